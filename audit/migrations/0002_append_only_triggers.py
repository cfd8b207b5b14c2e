"""Make the access trail append-only in the database itself: UPDATE and DELETE (and TRUNCATE on
PostgreSQL) of access events are refused by triggers, whatever the application does."""

from django.db import migrations

from audit.triggers import statements


def install(apps, schema_editor):
    for sql in statements(schema_editor.connection.vendor, install=True):
        schema_editor.execute(sql, params=None)


def remove(apps, schema_editor):
    for sql in statements(schema_editor.connection.vendor, install=False):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
