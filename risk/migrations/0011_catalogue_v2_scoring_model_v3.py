"""Indicator catalogue v2 (the screening tools' signs v1 lacked, and a weight class for every indicator)
and scoring model v3 (``risk.scoring.V3_CONFIG``), made active. v1 and v2 stay; old assessments keep
their version; old concerns keep their codes.

After migrating, run ``python manage.py rescore`` so every subject is re-assessed under v3.
"""

import datetime

from django.db import migrations

from risk.catalogue import INDICATOR_CLASSES, V1_INDICATORS, V2_INDICATORS, V2_SOURCE, V2_TITLE
from risk.scoring import V3_CONFIG


def load(apps, schema_editor):
    CatalogueVersion = apps.get_model("risk", "CatalogueVersion")
    Indicator = apps.get_model("risk", "Indicator")
    ScoringModel = apps.get_model("risk", "ScoringModel")
    version, _ = CatalogueVersion.objects.get_or_create(
        number=2, defaults={"title": V2_TITLE, "source": V2_SOURCE, "published_on": datetime.date(2026, 11, 29)})
    start = (len(V1_INDICATORS) + 1) * 10
    for order, (code, kind, category, label, hint) in enumerate(V2_INDICATORS):
        Indicator.objects.update_or_create(
            code=code, defaults={"kind": kind, "category": category, "label": label, "hint": hint,
                                 "display_order": start + order * 10, "introduced_in": version})
    for code, cls in INDICATOR_CLASSES.items():
        Indicator.objects.filter(code=code).update(indicator_class=cls)
    ScoringModel.objects.update_or_create(
        version=3,
        defaults={"title": "v3: screening-tool classes and windows, floors, judgement, honest counting, age",
                  "config": V3_CONFIG, "is_active": True},
    )
    ScoringModel.objects.exclude(version=3).update(is_active=False)


def unload(apps, schema_editor):
    ScoringModel = apps.get_model("risk", "ScoringModel")
    ScoringModel.objects.filter(version=2).update(is_active=True)
    ScoringModel.objects.filter(version=3).delete()
    apps.get_model("risk", "Indicator").objects.filter(code__in=[row[0] for row in V2_INDICATORS]).delete()
    apps.get_model("risk", "Indicator").objects.update(indicator_class="")
    apps.get_model("risk", "CatalogueVersion").objects.filter(number=2).delete()


class Migration(migrations.Migration):
    dependencies = [("risk", "0010_indicator_class_decisions_protective_factors")]
    operations = [migrations.RunPython(load, unload)]
