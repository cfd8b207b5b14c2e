"""SQL of the triggers that make ``audit_accessevent`` append-only, per database vendor.

Kept here (not only in the migration) so tests can show that tampering is caught even when someone with
the table owner's rights has switched the triggers off, and then put them back exactly.
"""

from __future__ import annotations

TABLE = "audit_accessevent"

POSTGRESQL_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION audit_accessevent_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_accessevent is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$;
    """,
    f"""
    CREATE TRIGGER audit_accessevent_no_update_or_delete
        BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION audit_accessevent_append_only();
    """,
    f"""
    CREATE TRIGGER audit_accessevent_no_truncate
        BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION audit_accessevent_append_only();
    """,
]
POSTGRESQL_REMOVE = [
    f"DROP TRIGGER IF EXISTS audit_accessevent_no_truncate ON {TABLE};",
    f"DROP TRIGGER IF EXISTS audit_accessevent_no_update_or_delete ON {TABLE};",
    "DROP FUNCTION IF EXISTS audit_accessevent_append_only();",
]

SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER audit_accessevent_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'audit_accessevent is append-only: UPDATE refused'); END;
    """,
    f"""
    CREATE TRIGGER audit_accessevent_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'audit_accessevent is append-only: DELETE refused'); END;
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_accessevent_no_update;",
    "DROP TRIGGER IF EXISTS audit_accessevent_no_delete;",
]


def statements(vendor: str, install: bool) -> list[str]:
    """The statements that install (or remove) the triggers on ``vendor``."""
    if vendor == "postgresql":
        return POSTGRESQL_INSTALL if install else POSTGRESQL_REMOVE
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    raise NotImplementedError(f"No append-only triggers for {vendor}; the access trail needs them.")

# audit/migrations/0002 runs these statements: change them only together with a new migration.
