"""PostgreSQL: the trail partitioned by month. Every partition is append-only and has exactly the trail's
grants; the chains run across partitions; the migration's move works on a trail that already has events;
the scheduled job creates next month's partition. SQLite keeps one table (checked too)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from agencies.models import Borough
from audit import chain, partitions
from audit.api import record
from audit.models import AccessEvent, ArchivedPartition, VerificationRun
from operations.models import JobRun, RunOutcome
from tests.audit.tampering import raw, triggers_off
from tests.audit.test_chain import verify
from tests.audit_helpers import assert_audit

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'")


def _partitions() -> list[str]:
    with connection.cursor() as cursor:
        return [name for name, _bound in partitions.partitions(cursor)]


def _events(count: int) -> list[AccessEvent]:
    lambeth = Borough.objects.get(name="Lambeth")
    return [record("view", actor=None, object_type="subject", reference=f"SUB-{n:04d}", borough=lambeth)
            for n in range(count)]


def test_sqlite_keeps_one_table_and_the_job_says_so(capsys):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    call_command("create_audit_partitions")
    assert "one table" in capsys.readouterr().out
    run = JobRun.objects.get(job="create_audit_partitions")
    assert run.outcome == RunOutcome.SUCCEEDED and run.counts == {"created": 0}


@postgresql_only
def test_the_trail_is_partitioned_by_month_with_this_and_next_month():
    today = timezone.now().date()
    names = _partitions()
    assert partitions.partition_name(today.replace(day=1)) in names
    assert partitions.partition_name(partitions.next_month(today)) in names
    assert partitions.DEFAULT_PARTITION in names


@postgresql_only
@pytest.mark.parametrize("statement", [
    "UPDATE {p} SET reference = 'SUB-9999'",
    "DELETE FROM {p}",
    "TRUNCATE {p}",
])
def test_a_partition_refuses_update_delete_and_truncate(statement):
    _events(2)
    month = partitions.partition_name(timezone.now().date().replace(day=1))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(statement.format(p=month))
    assert AccessEvent.objects.count() >= 2


@postgresql_only
def test_a_partition_has_exactly_the_trails_grants():
    # The application role of README "Deployment": SELECT and INSERT on the trail, nothing else, and
    # default privileges that would give new tables more.
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE trail_test_app NOLOGIN")
        cursor.execute("ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO trail_test_app")
        cursor.execute(f"GRANT SELECT, INSERT ON {partitions.TABLE} TO trail_test_app")
        created = partitions.ensure_months(cursor, dt.date(2031, 1, 1), dt.date(2031, 1, 1))
        assert created == ["audit_accessevent_y2031m01"]
        cursor.execute("SELECT privilege_type FROM information_schema.role_table_grants "
                       "WHERE table_name = %s AND grantee = 'trail_test_app' ORDER BY 1", [created[0]])
        assert [row[0] for row in cursor.fetchall()] == ["INSERT", "SELECT"]
        cursor.execute("SET LOCAL ROLE trail_test_app")
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            cursor.execute(f"UPDATE {created[0]} SET reference = ''")  # noqa: S608
        cursor.execute("RESET ROLE")


def _dated(when: dt.datetime) -> AccessEvent:
    lambeth = Borough.objects.get(name="Lambeth")
    return chain.append(AccessEvent(occurred_at=when, action="view", object_type="subject",
                                    reference="SUB-0100", borough_code=lambeth.ons_code, chain=lambeth.ons_code))


@postgresql_only
def test_chains_run_across_partitions_and_both_walks_name_tampering_in_an_older_one():
    a_year_ago = timezone.now() - dt.timedelta(days=365)
    with connection.cursor() as cursor:
        partitions.ensure_months(cursor, a_year_ago.date(), a_year_ago.date())
    first = _dated(a_year_ago)
    assert verify().startswith("OK")  # the checkpoint: sequence 1, in last year's partition
    checkpointed = VerificationRun.objects.get()
    second = _dated(a_year_ago + dt.timedelta(minutes=1))
    newer = _events(2)
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tableoid::regclass::text FROM audit_accessevent WHERE id IN (%s, %s)",
                       [first.pk, second.pk])
        assert [row[0] for row in cursor.fetchall()] == [partitions.partition_name(a_year_ago.date())]
    assert [e.sequence for e in (first, second, *newer)] == [1, 2, 3, 4]
    assert verify("--full").startswith("OK"), "one chain across two partitions"
    with triggers_off():
        raw("UPDATE audit_accessevent SET reference = 'SUB-9999' WHERE id = %s", [second.pk])
    VerificationRun.objects.exclude(pk=checkpointed.pk).delete()  # back to the checkpoint at sequence 1
    incremental, full = verify(), verify("--full")
    assert f"chain E09000022: event {second.pk} (sequence 2)" in incremental and "edited" in incremental, incremental
    assert f"chain E09000022: event {second.pk} (sequence 2)" in full and "edited" in full, full


@postgresql_only
def test_the_migrations_move_keeps_every_event_and_the_chains():
    events = _events(5)
    with connection.cursor() as cursor:
        partitions.unpartition_trail(cursor, timezone.now().date())
        assert not partitions.is_partitioned(cursor)
        more = _events(3)  # appended to the plain table
        partitions.partition_trail(cursor, timezone.now().date())
        assert partitions.is_partitioned(cursor)
    assert AccessEvent.objects.filter(pk__in=[e.pk for e in events + more]).count() == 8
    assert chain.verify_all(full=True).intact
    after = _events(1)[0]  # ids carry on from the same sequence
    assert after.pk > more[-1].pk and after.sequence == 9
    month = partitions.partition_name(timezone.now().date().replace(day=1))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(f"TRUNCATE {month}")


@postgresql_only
def test_the_job_creates_next_months_partition_and_records_its_run(capsys):
    today = timezone.now().date()
    later = partitions.next_month(partitions.next_month(today))
    call_command("create_audit_partitions", "--months-ahead", "2")
    assert partitions.partition_name(later) in _partitions()
    run = JobRun.objects.get(job="create_audit_partitions")
    assert run.outcome == RunOutcome.SUCCEEDED and run.counts["created"] >= 1
    assert run.counts["default_partition_rows"] == 0
    call_command("create_audit_partitions", "--months-ahead", "2")
    assert JobRun.objects.filter(job="create_audit_partitions").order_by("-id")[0].counts["created"] == 0
    capsys.readouterr()


@postgresql_only
def test_retention_exports_signed_months_detaches_them_and_what_remains_still_verifies(settings, tmp_path, capsys):
    settings.AUDIT_TRAIL_RETENTION_MONTHS, settings.AUDIT_ARCHIVE_DIR = 6, str(tmp_path)
    long_ago = timezone.now() - dt.timedelta(days=400)
    with connection.cursor() as cursor:
        partitions.ensure_months(cursor, long_ago.date(), long_ago.date())
    old = [_dated(long_ago + dt.timedelta(minutes=n)) for n in range(3)]
    recent = _events(2)
    anchor_path = tmp_path / "anchor.json"
    call_command("anchor_audit", stdout=anchor_path.open("w"))
    assert verify().startswith("OK")
    name = partitions.partition_name(long_ago.date())

    call_command("create_audit_partitions")
    assert name not in _partitions()
    archived = ArchivedPartition.objects.get(name=name)
    assert archived.events == 3 and archived.heads["E09000022"]["last_sequence"] == 3
    assert_audit(action="erase", service="do_archive_trail", reference=str(archived.pk))
    assert JobRun.objects.get(job="create_audit_partitions").counts["archived"] == 1
    assert not AccessEvent.objects.filter(pk__in=[e.pk for e in old]).exists()
    # What remains starts at sequence 4 and links to the archived head: full, incremental, anchored.
    assert verify("--full").startswith("OK") and verify().startswith("OK")
    assert verify("--anchor", str(anchor_path)).startswith("OK")
    assert [e.sequence for e in recent] == [4, 5]

    manifest = tmp_path / f"{name}.manifest.json"
    assert verify("--archive", str(manifest)) == "OK Intact: 3 archived events match the signed manifest.\n"
    lines = (tmp_path / f"{name}.jsonl").read_text().splitlines()
    (tmp_path / f"{name}.jsonl").write_text("\n".join([lines[0].replace("SUB-0100", "SUB-0999"), *lines[1:]]) + "\n")
    result = verify("--archive", str(manifest))
    assert result.startswith("FAILED") and "line 1" in result and "edited" in result, result
    document = json.loads(manifest.read_text())
    document["events"] = 2
    manifest.write_text(json.dumps(document))
    assert "signature does not match" in verify("--archive", str(manifest))
    capsys.readouterr()


@postgresql_only
def test_without_a_retention_setting_nothing_is_archived(settings, tmp_path):
    settings.AUDIT_TRAIL_RETENTION_MONTHS, settings.AUDIT_ARCHIVE_DIR = 0, str(tmp_path)
    long_ago = timezone.now() - dt.timedelta(days=400)
    with connection.cursor() as cursor:
        partitions.ensure_months(cursor, long_ago.date(), long_ago.date())
    _dated(long_ago)
    call_command("create_audit_partitions")
    assert partitions.partition_name(long_ago.date()) in _partitions()
    assert not ArchivedPartition.objects.exists() and not list(tmp_path.iterdir())


# What the trail is read by (the auditors' searches by girl, by person and by agency; the chain walks; the
# date range of a search, an export and a retention run): every other index is paid on every append and
# read by nothing (issue 23, G10: appends at 20M events as fast as at 2M).
TRAIL_INDEXES = {
    (("id",), True),  # the primary key
    (("chain", "sequence"), True),  # one event per place in a chain; the verifier's and the head's walk
    (("occurred_at",), False),
    (("object_type", "reference", "id"), False),
    (("actor_id", "id"), False),
    (("actor_agency_id", "id"), False),
}


def _indexes(table: str) -> set[tuple[tuple[str, ...], bool]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    # On PostgreSQL every key of a partitioned table carries the partition key too.
    return {(tuple(c for c in info["columns"] if c != "occurred_at" or info["columns"] == ["occurred_at"]),
             bool(info["unique"] or info["primary_key"]))
            for info in found.values() if info["index"] or info["unique"] or info["primary_key"]}


def test_the_trail_keeps_only_the_indexes_something_reads():
    assert _indexes("audit_accessevent") == TRAIL_INDEXES
    if connection.vendor == "postgresql":  # and so does every month, which is where an append writes
        for name in _partitions():
            assert _indexes(name) == TRAIL_INDEXES, name


def test_sequence_stays_unique_within_a_chain_without_an_index_on_hash():
    first = _events(1)[0]
    clone = {f.attname: getattr(first, f.attname) for f in AccessEvent._meta.concrete_fields if f.attname != "id"}
    with pytest.raises(Exception, match="(?i)unique|duplicate"), transaction.atomic():
        AccessEvent.objects.create(**clone)
