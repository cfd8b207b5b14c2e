"""PostgreSQL: the access trail becomes a table partitioned by month (``audit.partitions``), existing
events moved into their months in this migration's transaction. SQLite keeps one table."""

from django.db import migrations
from django.utils import timezone

from audit import partitions


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            partitions.partition_trail(cursor, timezone.now().date())


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            partitions.unpartition_trail(cursor, timezone.now().date())


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_verification_checkpoints")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
