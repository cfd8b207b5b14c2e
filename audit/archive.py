"""Retention of the trail (PostgreSQL): a month's partition exported as a signed file, then detached.

Each archived month is two files in ``AUDIT_ARCHIVE_DIR``: ``<partition>.jsonl``, one event a line
(every stored column, ``occurred_at`` as in the canonical serialisation), and
``<partition>.manifest.json``: the partition, its range, the number of events, the SHA-256 of the
lines file and, per chain, the first event's sequence and previous hash and the last event's sequence
and hash, HMAC-SHA256 signed with the anchor key exactly as anchors are (``audit.chain``).
``verify_audit --archive MANIFEST`` checks the signature, the file's digest, every event's hash and
every link inside the file.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from audit import chain, partitions

ARCHIVE_VERSION = 1
_MONTH = re.compile(r"_y(\d{4})m(\d{2})$")
_COLUMNS = ("id", "hash", *chain.CANONICAL_COLUMNS)


def partition_month(name: str) -> tuple[int, int] | None:
    match = _MONTH.search(name)
    return (int(match.group(1)), int(match.group(2))) if match else None


def export_partition(cursor: Any, name: str, directory: Path, key: bytes, now: datetime) -> dict[str, Any]:
    """Write the partition's events and its signed manifest; return the manifest."""
    month = partition_month(name)
    if month is None:
        raise ValueError(f"{name} is not a monthly partition of the trail")
    start = datetime(month[0], month[1], 1, tzinfo=UTC)
    end_day = partitions.next_month(start.date())
    end = datetime(end_day.year, end_day.month, 1, tzinfo=UTC)
    directory.mkdir(parents=True, exist_ok=True)
    lines_path = directory / f"{name}.jsonl"
    digest = hashlib.sha256()
    heads: dict[str, dict[str, Any]] = {}
    count = 0
    cursor.execute(f"SELECT {', '.join(_COLUMNS)} FROM {partitions._quote(cursor, name)} "  # noqa: S608
                   "ORDER BY chain, sequence, id")
    with lines_path.open("wb") as out:
        while batch := cursor.fetchmany(5000):
            for row in batch:
                values = dict(zip(_COLUMNS, row, strict=True))
                values["occurred_at"] = chain._utc_text(values["occurred_at"])
                if isinstance(values["detail"], str):  # Django leaves jsonb undecoded on raw cursors
                    values["detail"] = json.loads(values["detail"])
                line = (json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
                        + "\n").encode("ascii")
                out.write(line)
                digest.update(line)
                count += 1
                head = heads.setdefault(values["chain"], {"first_sequence": values["sequence"],
                                                           "first_prev_hash": values["prev_hash"]})
                head["last_sequence"], head["last_hash"] = values["sequence"], values["hash"]
    body = {"version": ARCHIVE_VERSION, "partition": name, "range_start": chain._utc_text(start),
            "range_end": chain._utc_text(end), "events": count, "file": lines_path.name,
            "sha256": digest.hexdigest(), "chains": heads, "created_at": chain._utc_text(now)}
    manifest = {**body, "signature": chain._sign(body, key)}
    (directory / f"{name}.manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True),
                                                     encoding="utf-8")
    return manifest


def verify_archive(manifest_path: Path, key: bytes) -> tuple[int, list[str]]:
    """Check an archived month: (events checked, problems). An empty list means intact."""
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        body = {k: manifest[k] for k in ("version", "partition", "range_start", "range_end", "events", "file",
                                         "sha256", "chains", "created_at")}
        signature = str(manifest["signature"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return 0, [f"The manifest cannot be read: {type(exc).__name__}."]
    if not hmac.compare_digest(signature, chain._sign(body, key)):
        return 0, ["The manifest's signature does not match: it was altered or signed with another key."]
    lines_path = manifest_path.parent / Path(str(body["file"])).name
    digest, count = hashlib.sha256(), 0
    problems: list[str] = []
    expected: dict[str, tuple[int, str]] = {
        name: (int(h["first_sequence"]), str(h["first_prev_hash"])) for name, h in body["chains"].items()
    }
    try:
        with lines_path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                digest.update(line)
                count += 1
                if problems:
                    continue
                try:
                    row = json.loads(line)
                    when = datetime.strptime(row["occurred_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
                    values: list[Any] = [when if c == "occurred_at" else row[c] for c in chain.CANONICAL_COLUMNS]
                    name = row["chain"]
                except (ValueError, KeyError, TypeError):
                    problems.append(f"line {number}: not an archived event")
                    continue
                sequence, previous = expected.get(name, (None, None))
                if row["sequence"] != sequence or row["prev_hash"] != previous:
                    problems.append(f"line {number}: chain {name} sequence {row['sequence']} does not follow "
                                    "the event before it")
                elif hashlib.sha256(chain.canonical_row(*values)).hexdigest() != row["hash"]:
                    problems.append(f"line {number}: chain {name} sequence {row['sequence']}: its contents do "
                                    "not match its hash (edited)")
                expected[name] = (int(row["sequence"]) + 1, str(row["hash"]))
    except OSError as exc:
        return 0, [f"The events file cannot be read: {type(exc).__name__}."]
    if not hmac.compare_digest(digest.hexdigest(), str(body["sha256"])):
        problems.append("The events file does not match the manifest's digest.")
    if count != body["events"]:
        problems.append(f"The events file has {count} events; the manifest says {body['events']}.")
    for name, head in body["chains"].items():
        if not problems and expected[name] != (int(head["last_sequence"]) + 1, str(head["last_hash"])):
            problems.append(f"chain {name}: the last event is not the manifest's")
    return count, problems
