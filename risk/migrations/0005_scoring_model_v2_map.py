"""Scoring model v2: v1 plus the association-map factor (capped at medium on its own); made active.

After migrating, run ``python manage.py rescore`` so every subject is re-assessed under v2.
"""

from django.db import migrations

from risk.scoring import V2_CONFIG


def load(apps, schema_editor):
    ScoringModel = apps.get_model("risk", "ScoringModel")
    ScoringModel.objects.update_or_create(
        version=2,
        defaults={"title": "v1 plus links on the association map (contexts of concern, associates of concern)",
                  "config": V2_CONFIG, "is_active": True},
    )
    ScoringModel.objects.exclude(version=2).update(is_active=False)


def unload(apps, schema_editor):
    ScoringModel = apps.get_model("risk", "ScoringModel")
    ScoringModel.objects.filter(version=1).update(is_active=True)
    ScoringModel.objects.filter(version=2).delete()


class Migration(migrations.Migration):
    dependencies = [("risk", "0004_association_map")]
    operations = [migrations.RunPython(load, unload)]
