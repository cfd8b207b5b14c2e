"""The trail keeps only the indexes that something reads (issue 23, G10: appends stay flat as it grows).

Dropped: the unique index on ``hash`` and Django's ``varchar_pattern_ops`` copy of it (nothing looks an
event up by hash; random 64-character keys put every append on a random page of two large indexes), and
the single-column indexes on ``actor_id`` and ``actor_agency_id`` (``accessevent_actor`` and
``accessevent_agency`` lead with the same columns).

On PostgreSQL the trail is partitioned (audit.0005 rebuilt its keys with ``occurred_at`` added), so
Django's ``AlterField`` would not find the unique constraint by its columns: the indexes are dropped here
by introspection, from the parent, which drops every partition's copy with it. On SQLite the usual
``AlterField`` rebuilds the one table, which loses its append-only triggers: they are put back.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from audit.triggers import statements

TABLE = "audit_accessevent"
# (columns, unique) of each dropped index, as introspection reports them on either layout.
_DROPPED = [(["hash", "occurred_at"], True), (["hash"], True), (["hash"], False), (["actor_id"], False),
            (["actor_agency_id"], False)]


def _drop_postgresql_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, TABLE)
        for name, info in found.items():
            if info["primary_key"] or (info["columns"], info["unique"]) not in _DROPPED:
                continue
            quoted = schema_editor.quote_name(name)
            if info["unique"] and not info["index"]:  # a constraint, not a bare index
                cursor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {quoted}")
            elif info["index"]:
                cursor.execute(f"DROP INDEX {quoted}")


def _restore_postgresql_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        partitioned = cursor.fetchone()[0]
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT audit_accessevent_hash_key UNIQUE "
                       + ("(hash, occurred_at)" if partitioned else "(hash)"))
        cursor.execute(f"CREATE INDEX audit_accessevent_hash_41b82ecb_like ON {TABLE} (hash varchar_pattern_ops)")
        cursor.execute(f"CREATE INDEX audit_accessevent_actor_id_69b33196 ON {TABLE} (actor_id)")
        cursor.execute(f"CREATE INDEX audit_accessevent_actor_agency_id_3a718421 ON {TABLE} (actor_agency_id)")


def _reinstall_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in statements("sqlite", install=False) + statements("sqlite", install=True):
            schema_editor.execute(sql, params=None)


class _AlterFieldOnSQLite(migrations.AlterField):
    """The model state changes everywhere; the table is rebuilt this way only on SQLite."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "sqlite":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "sqlite":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0008_membership_is_system_account"),
        ("audit", "0006_archived_partitions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(_drop_postgresql_indexes, _restore_postgresql_indexes, elidable=False),
        _AlterFieldOnSQLite(
            model_name="accessevent",
            name="actor",
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True,
                                    on_delete=django.db.models.deletion.DO_NOTHING, related_name="+",
                                    to=settings.AUTH_USER_MODEL),
        ),
        _AlterFieldOnSQLite(
            model_name="accessevent",
            name="actor_agency",
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True,
                                    on_delete=django.db.models.deletion.DO_NOTHING, related_name="+",
                                    to="agencies.agency"),
        ),
        _AlterFieldOnSQLite(
            model_name="accessevent",
            name="hash",
            field=models.CharField(max_length=64),
        ),
        migrations.RunPython(_reinstall_sqlite_triggers, _reinstall_sqlite_triggers, elidable=False),
    ]
