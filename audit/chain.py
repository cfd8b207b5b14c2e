"""The hash chain over access events: canonical serialisation, appends, verification and anchors.

Canonical serialisation (version 1)
-----------------------------------
Each event is hashed as ``hash = SHA-256(canonical)`` written as 64 lower-case hex digits, where
``canonical`` is the UTF-8 encoding of a JSON object with exactly these keys, serialised with sorted
keys, separators ``","`` and ``":"``, ASCII only (``ensure_ascii``) and no whitespace:

=================  ===================================================================================
``v``              the integer 1 (the version of this serialisation)
``chain``          the partition: the borough's ONS code (``E09000022``) or ``"system"``
``sequence``       the event's position in its chain, 1 for the first event
``prev_hash``      the previous event's ``hash`` in the same chain; 64 zeros for sequence 1
``occurred_at``    UTC time as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (always six fraction digits)
``actor``          the actor's user id as an integer, or null
``actor_username``, ``actor_agency`` (agency id or null), ``actor_roles`` (comma-separated, sorted)
``action``, ``object_type``, ``reference``, ``borough``, ``outcome``, ``purpose``, ``request_id``,
``client_address``   strings exactly as stored ("" when absent)
``detail``         the JSON object of non-personal metadata (string, integer, boolean or null values)
=================  ===================================================================================

So the hash covers the previous hash (``H(prev || payload)``): editing any field of an event breaks its
own hash; deleting or inserting one breaks the sequence and ``prev_hash`` links; swapping two events breaks
their hashes because ``sequence`` and ``prev_hash`` are inside them. Someone who can rewrite the table can
recompute a whole chain, so the chain heads are also exported (``anchor_audit``), HMAC-signed, to be
kept outside the database; ``verify_audit --anchor`` then detects a rewritten or shortened chain.

Appends to one chain are serialised by ``pg_advisory_xact_lock`` on a 64-bit key derived from the chain
name, held to the end of the writer's transaction (taken, with the read of the head, by one function
call), so two writers can never read the same head; writers
on different chains never wait on each other. SQLite serialises all writes anyway, and the unique
``(chain, sequence)`` constraint is the last line of defence on both.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from audit.models import AccessEvent

SERIALISATION_VERSION = 1
GENESIS_HASH = "0" * 64
ANCHOR_VERSION = 1


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# The stored columns that the canonical serialisation covers, in the order ``canonical_row`` takes them.
CANONICAL_COLUMNS = (
    "chain", "sequence", "prev_hash", "occurred_at", "actor_id", "actor_username", "actor_agency_id",
    "actor_roles", "action", "object_type", "reference", "borough_code", "outcome", "purpose", "request_id",
    "client_address", "detail",
)


def canonical_row(chain: str, sequence: int, prev_hash: str, occurred_at: datetime, actor: int | None,
                  actor_username: str, actor_agency: int | None, actor_roles: str, action: str,
                  object_type: str, reference: str, borough: str, outcome: str, purpose: str,
                  request_id: str, client_address: str, detail: Mapping[str, Any] | None) -> bytes:
    """The bytes that are hashed for one event given its ``CANONICAL_COLUMNS`` (see the module docstring).

    The verifier reads rows as these values (no model instances), so it costs little more than the
    hashing itself."""
    payload = {
        "v": SERIALISATION_VERSION,
        "chain": chain,
        "sequence": int(sequence),
        "prev_hash": prev_hash,
        "occurred_at": _utc_text(occurred_at),
        "actor": actor,
        "actor_username": actor_username,
        "actor_agency": actor_agency,
        "actor_roles": actor_roles,
        "action": action,
        "object_type": object_type,
        "reference": reference,
        "borough": borough,
        "outcome": outcome,
        "purpose": purpose,
        "request_id": request_id,
        "client_address": client_address,
        "detail": detail or {},
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def canonical_bytes(event: AccessEvent) -> bytes:
    """The bytes that are hashed for ``event`` (see the module docstring)."""
    return canonical_row(*(getattr(event, column) for column in CANONICAL_COLUMNS))


def compute_hash(event: AccessEvent) -> str:
    """SHA-256 of the canonical serialisation, as hex."""
    return hashlib.sha256(canonical_bytes(event)).hexdigest()


def lock_key(chain: str) -> int:
    """A signed 64-bit advisory-lock key for ``chain`` (namespaced so other locks cannot collide)."""
    digest = hashlib.sha256(b"audit.chain:" + chain.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _locked_head(chain_name: str) -> tuple[int, str]:
    """Take the chain's lock (to the end of the transaction) and read its head: (sequence, hash), or
    (0, genesis) for a new chain. One round trip on PostgreSQL (migration ``audit.0003``)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT head_sequence, head_hash FROM audit_lock_chain_head(%s, %s)",
                           [chain_name, lock_key(chain_name)])
            row = cursor.fetchone()
    else:
        row = (AccessEvent.objects.filter(chain=chain_name).order_by("-sequence")
               .values_list("sequence", "hash").first())
    return (int(row[0]), row[1]) if row else (0, GENESIS_HASH)


def append(event: AccessEvent) -> AccessEvent:
    """Give ``event`` its place at the head of its chain and insert it.

    Runs in the caller's transaction when there is one (so a rolled-back service leaves no event), or
    in its own. The advisory lock is released when that transaction ends.
    """
    append_many([event])
    return event


def append_many(events: list[AccessEvent]) -> None:
    """Append several events, in order, to their chains: per chain one lock, one read of the head and
    one INSERT of all its events, whatever their number. Chains are locked in name order so that two
    transactions appending to the same chains can never deadlock."""
    by_chain: dict[str, list[AccessEvent]] = {}
    for event in events:
        by_chain.setdefault(event.chain, []).append(event)
    # No savepoint: a failed append must fail the caller's whole transaction anyway, and this runs on
    # every request that touches case data.
    with transaction.atomic(savepoint=False):
        for chain_name in sorted(by_chain):
            sequence, previous = _locked_head(chain_name)
            pending = by_chain[chain_name]
            for event in pending:
                sequence += 1
                event.sequence, event.prev_hash = sequence, previous
                # Stored times keep microseconds on both databases; trim here so the hash matches a re-read.
                event.occurred_at = event.occurred_at.astimezone(UTC)
                event.hash = previous = compute_hash(event)
            if len(pending) == 1:
                pending[0].save(force_insert=True)
            else:
                AccessEvent.objects.bulk_create(pending)


# --- Verification -------------------------------------------------------------------------------------


@dataclass
class Problem:
    """The first bad event found in a chain."""

    chain: str
    event_id: int | None
    sequence: int | None
    reason: str

    def __str__(self) -> str:
        where = f"event {self.event_id} (sequence {self.sequence})" if self.event_id else "end of chain"
        return f"chain {self.chain}: {where}: {self.reason}"


@dataclass(frozen=True)
class Checkpoint:
    """A chain's verified head: where an incremental verification starts."""

    chain: str
    sequence: int
    hash: str
    event_id: int


@dataclass
class Report:
    """The result of walking every chain (from its checkpoint, when incremental)."""

    chains: dict[str, tuple[int, str]]  # chain -> (head sequence, head hash)
    events_checked: int
    problems: list[Problem]
    # chain -> the verified head as a checkpoint, for chains found intact (what the next run starts from)
    heads: dict[str, Checkpoint] = field(default_factory=dict)
    full: bool = True

    @property
    def intact(self) -> bool:
        return not self.problems


def chain_names() -> list[str]:
    """Every chain in the trail, by a loose index scan of the ``(chain, sequence)`` index: one index probe
    per chain (per partition on PostgreSQL) however long the chains are, where ``SELECT DISTINCT`` would
    read the whole trail."""
    table = AccessEvent._meta.db_table
    sql = f"""
        WITH RECURSIVE chains(name) AS (
            SELECT MIN(chain) FROM {table}
            UNION ALL
            SELECT (SELECT MIN(chain) FROM {table} WHERE chain > chains.name) FROM chains
            WHERE chains.name IS NOT NULL
        )
        SELECT name FROM chains WHERE name IS NOT NULL
    """  # noqa: S608 - the table name is the model's own, not input
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


def _walk(chain: str, after: int) -> Iterator[tuple[Any, ...]]:
    # Ordered by sequence (the chain's own order), not by id, so reordering shows as broken links. Values,
    # not model instances: building 20-field objects would cost more than hashing them.
    return (AccessEvent.objects.filter(chain=chain, sequence__gt=after).order_by("sequence", "id")
            .values_list("id", "hash", *CANONICAL_COLUMNS).iterator(chunk_size=5000))


def verify_chain(chain: str, start: Checkpoint | None = None,
                 floor: Checkpoint | None = None) -> tuple[int, Checkpoint | None, Problem | None]:
    """Walk one chain, from its first event, or from the event after ``start`` (whose event must still
    be there with the same id and hash), or after ``floor`` (its last event in an archived month, no
    longer in the table); return (events checked, the last good event as a checkpoint or None, the
    first problem or None)."""
    expected_sequence, expected_prev, checked, last_id = 1, GENESIS_HASH, 0, 0
    if start is not None and floor is not None and start.sequence <= floor.sequence:
        start = None  # the checkpointed event has been archived
    if start is None and floor is not None:
        expected_sequence, expected_prev = floor.sequence + 1, floor.hash
    if start is not None:
        found = (AccessEvent.objects.filter(chain=chain, sequence=start.sequence)
                 .values_list("id", "hash").first())
        if found is None or tuple(found) != (start.event_id, start.hash):
            return 0, None, Problem(
                chain, found[0] if found else None, start.sequence,
                "the event of the last verified checkpoint was removed or rewritten (run verify_audit --full)",
            )
        expected_sequence, expected_prev, last_id = start.sequence + 1, start.hash, start.event_id

    def head() -> Checkpoint | None:
        return Checkpoint(chain, expected_sequence - 1, expected_prev, last_id) if expected_sequence > 1 else None

    sha256 = hashlib.sha256
    for row in _walk(chain, expected_sequence - 1):
        pk, digest, sequence, prev_hash = row[0], row[1], row[3], row[4]
        checked += 1
        if sequence != expected_sequence:
            reason = (
                f"expected sequence {expected_sequence} but found {sequence}: "
                + ("an event is missing before it" if sequence > expected_sequence
                   else "an event was inserted or duplicated")
            )
            return checked, head(), Problem(chain, pk, sequence, reason)
        if prev_hash != expected_prev:
            return checked, head(), Problem(
                chain, pk, sequence, "its previous-hash link does not match the event before it"
            )
        if sha256(canonical_row(*row[2:])).hexdigest() != digest:
            return checked, head(), Problem(chain, pk, sequence, "its contents do not match its hash (edited)")
        if pk < last_id:
            # Ids come from one sequence and appends are serialised, so they rise with the chain.
            return checked, head(), Problem(
                chain, pk, sequence, "it is out of order with the event before it (reordered)"
            )
        last_id = pk
        expected_sequence += 1
        expected_prev = digest
    return checked, head(), None


def _still_there(checkpoint: Checkpoint, head: Checkpoint | None) -> Problem | None:
    """After a clean full walk: is the checkpointed event still in the chain, unchanged?"""
    if head is None or head.sequence < checkpoint.sequence:
        return Problem(checkpoint.chain, None, (head.sequence if head else 0) + 1,
                       f"events up to {checkpoint.sequence}, verified by an earlier run, are missing "
                       "(the newest events were removed)")
    found = (AccessEvent.objects.filter(chain=checkpoint.chain, sequence=checkpoint.sequence)
             .values_list("id", "hash").first())
    if found is None or tuple(found) != (checkpoint.event_id, checkpoint.hash):
        return Problem(checkpoint.chain, found[0] if found else None, checkpoint.sequence,
                       "differs from the event an earlier run verified: the chain was rewritten")
    return None


def verify_all(anchor: Mapping[str, Any] | None = None,
               checkpoints: Mapping[str, Checkpoint] | None = None, *, full: bool = True,
               floors: Mapping[str, Checkpoint] | None = None) -> Report:
    """Walk every chain; with a (signature-checked) anchor also check no anchored event has gone.

    ``checkpoints`` (chain -> the head a previous run verified): unless ``full``, each checkpointed chain
    is walked from its checkpoint on, so the cost follows the events added since, not the length of the
    trail. A full walk still requires every checkpointed event to be there with its hash, so it cannot
    take a shortened or rewritten chain as its new starting point. A chain that has disappeared while it
    has a checkpoint is reported either way.
    """
    checkpoints, floors = checkpoints or {}, floors or {}
    chains = sorted(set(chain_names()) | set(checkpoints))
    heads: dict[str, tuple[int, str]] = {}
    verified: dict[str, Checkpoint] = {}
    problems: list[Problem] = []
    total = 0
    for chain in chains:
        checkpoint = checkpoints.get(chain)
        floor = floors.get(chain)
        checked, head, problem = verify_chain(chain, None if full else checkpoint, floor)
        if floor is not None and checkpoint is not None and checkpoint.sequence <= floor.sequence:
            checkpoint = None  # archived since
        if full and checkpoint is not None and problem is None:
            problem = _still_there(checkpoint, head)
        total += checked
        heads[chain] = (head.sequence, head.hash) if head else (0, GENESIS_HASH)
        if problem:
            problems.append(problem)
        elif head is not None and head.event_id:
            verified[chain] = head
    if anchor is not None:
        for chain, anchored in sorted(anchor["chains"].items()):
            sequence, digest = int(anchored["sequence"]), anchored["hash"]
            if any(p.chain == chain for p in problems):
                continue
            if chain in floors and sequence <= floors[chain].sequence:
                continue  # archived: the signed archive file is the proof of that part
            head_sequence = heads.get(chain, (0, GENESIS_HASH))[0]
            if head_sequence < sequence:
                problems.append(Problem(
                    chain, None, head_sequence + 1,
                    f"events {head_sequence + 1} to {sequence} recorded in the anchor are missing "
                    "(the newest events were removed)",
                ))
                continue
            event = AccessEvent.objects.filter(chain=chain, sequence=sequence).first()
            if event is None or event.hash != digest:
                problems.append(Problem(
                    chain, event.pk if event else None, sequence,
                    "differs from the anchor: the anchored event was removed or rewritten",
                ))
    return Report(chains=heads, events_checked=total, problems=problems, heads=verified,
                  full=full or not checkpoints)


# --- Anchors ------------------------------------------------------------------------------------------


def _sign(body: Mapping[str, Any], key: bytes) -> str:
    message = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def make_anchor(key: bytes, now: datetime) -> dict[str, Any]:
    """The current head of every chain, HMAC-SHA256 signed, ready to be written out as JSON."""
    heads: dict[str, dict[str, Any]] = {}
    for chain in chain_names():
        newest = AccessEvent.objects.filter(chain=chain).order_by("-sequence")
        sequence, digest = newest.values_list("sequence", "hash")[0]
        heads[chain] = {"sequence": sequence, "hash": digest}
    body = {"version": ANCHOR_VERSION, "created_at": _utc_text(now), "chains": heads}
    return {**body, "signature": _sign(body, key)}


class AnchorError(ValueError):
    """The anchor file is malformed or its signature does not match."""


def check_anchor(document: Mapping[str, Any], key: bytes) -> dict[str, Any]:
    """Return the anchor body when the signature is right; raise ``AnchorError`` otherwise."""
    try:
        body = {k: document[k] for k in ("version", "created_at", "chains")}
        signature = str(document["signature"])
        for head in body["chains"].values():
            int(head["sequence"]), str(head["hash"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AnchorError("The anchor file is not a chain-head anchor.") from exc
    if not hmac.compare_digest(signature, _sign(body, key)):
        raise AnchorError("The anchor's signature does not match: it was altered or signed with another key.")
    return body
