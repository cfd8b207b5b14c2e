"""Pathway catalogue version 2, made active: adult safeguarding (Care Act 2014 s42) is received by adult
social care, a kind of agency added by ``agencies.0006``; Marac at 16-17 for a gang-involved partner on her
map comes with children's services beside it. Version 1 stays, inactive, for the decisions made under it."""

from django.db import migrations

from risk.pathways import V2_CATALOGUE, V2_TITLE


def load(apps, schema_editor):
    PathwayCatalogue = apps.get_model("risk", "PathwayCatalogue")
    PathwayCatalogue.objects.update_or_create(
        version=2, defaults={"title": V2_TITLE, "config": V2_CATALOGUE, "is_active": True})
    PathwayCatalogue.objects.exclude(version=2).update(is_active=False)


def unload(apps, schema_editor):
    PathwayCatalogue = apps.get_model("risk", "PathwayCatalogue")
    PathwayCatalogue.objects.filter(version=2).delete()
    PathwayCatalogue.objects.filter(version=1).update(is_active=True)


class Migration(migrations.Migration):

    dependencies = [
        ("agencies", "0006_adult_social_care"),
        ("risk", "0013_pathway_catalogue"),
    ]

    operations = [
        migrations.RunPython(load, unload),
    ]
