"""Loads version 1 of the indicator catalogue from ``risk.catalogue``."""

import datetime

from django.db import migrations

from risk.catalogue import V1_INDICATORS, V1_SOURCE, V1_TITLE


def load(apps, schema_editor):
    CatalogueVersion = apps.get_model("risk", "CatalogueVersion")
    Indicator = apps.get_model("risk", "Indicator")
    version, _ = CatalogueVersion.objects.get_or_create(
        number=1,
        defaults={"title": V1_TITLE, "source": V1_SOURCE, "published_on": datetime.date(2026, 11, 27)},
    )
    for order, (code, kind, category, label, hint) in enumerate(V1_INDICATORS, start=1):
        Indicator.objects.update_or_create(
            code=code,
            defaults={"kind": kind, "category": category, "label": label, "hint": hint,
                      "display_order": order * 10, "introduced_in": version},
        )


def unload(apps, schema_editor):
    apps.get_model("risk", "Indicator").objects.all().delete()
    apps.get_model("risk", "CatalogueVersion").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
