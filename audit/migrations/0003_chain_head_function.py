"""PostgreSQL: take a chain's advisory lock and read its head in one round trip (``audit.chain``)."""

from django.db import migrations

# VOLATILE, so the SELECT takes its own snapshot after the lock is granted (READ COMMITTED): it sees the
# event that the previous holder of the lock committed. One statement that locked and read in the same
# snapshot could miss it.
INSTALL = """
CREATE OR REPLACE FUNCTION audit_lock_chain_head(chain_name varchar, key bigint)
RETURNS TABLE (head_sequence bigint, head_hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(key);
    RETURN QUERY SELECT e.sequence::bigint, e.hash::varchar FROM audit_accessevent e
        WHERE e.chain = chain_name ORDER BY e.sequence DESC LIMIT 1;
END
$$;
"""
REMOVE = "DROP FUNCTION IF EXISTS audit_lock_chain_head(varchar, bigint);"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
