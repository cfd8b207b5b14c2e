"""The table of the API's rate counts (``settings.CACHES["api_rate"]``, Django's database cache), made
here so that every deployment has it after ``migrate``, with no ``createcachetable`` step to forget."""

from django.core.management import call_command
from django.db import migrations

TABLE = "api_rate_counts"


def create(apps, schema_editor):
    if schema_editor.connection.alias != "default":
        return  # the key store holds no counts
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop(apps, schema_editor):
    if schema_editor.connection.alias == "default":
        schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):

    dependencies = [("api", "0002_client_accounts_are_system_accounts")]

    operations = [migrations.RunPython(create, drop)]
