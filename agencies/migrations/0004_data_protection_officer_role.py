"""Adds the data protection officer role (subject access exports and the erasure forecast)."""

from django.db import migrations, models


def load(apps, schema_editor):
    apps.get_model("agencies", "Role").objects.update_or_create(
        code="data_protection_officer", defaults={"label": "Data protection officer"}
    )


def unload(apps, schema_editor):
    apps.get_model("agencies", "Role").objects.filter(code="data_protection_officer").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("agencies", "0003_user_sessions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="role",
            name="code",
            field=models.CharField(choices=[("practitioner", "Practitioner"), ("dsl", "Designated safeguarding lead"), ("mash_lead", "MASH lead"), ("receiving_worker", "Receiving worker"), ("auditor", "Auditor"), ("administrator", "Administrator"), ("data_protection_officer", "Data protection officer")], max_length=32, primary_key=True, serialize=False),
        ),
        migrations.RunPython(load, unload),
    ]
