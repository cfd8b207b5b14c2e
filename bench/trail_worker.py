"""One trail database, driven over stdin/stdout by ``bench.trail`` so that two trails of different sizes
can be measured in alternating rounds (a noisy machine then slows both alike).

Run as ``python -m bench.trail_worker`` with ``BENCH_TRAIL_URL`` and ``BENCH_TRAIL_KEYS_URL`` (the database
and key store URLs) in the environment; each line in is a command, each line out is its JSON answer:

* ``add N SEED``  add N valid events to the per-borough chains (not timed)
* ``verify``      one incremental ``verify_audit`` run: ``{"ms": ..., "checked": ...}``
* ``append N``    N appends through ``audit.api.record``, one transaction each: ``{"ms_per_append": ...}``
* ``analyze``     refresh the planner's statistics of the trail (PostgreSQL)
* ``count``       the number of events
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TrailOnly:
    """What ``bench.dataset._load_trail`` needs of a loaded dataset: users to act, and nothing else."""

    practitioners: list[Any] = field(default_factory=list)


def _serve(lines: Any, out: Any) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from agencies.models import Borough
    from audit.api import record
    from audit.choices import Action
    from audit.models import AccessEvent
    from audit.services import do_verify_trail
    from bench.dataset import _load_trail

    users = list(get_user_model().objects.filter(membership__isnull=False).order_by("pk")[:500])
    ds = TrailOnly(practitioners=[(user, None) for user in users])
    boroughs = list(Borough.objects.order_by("ons_code"))
    for line in lines:
        command, *args = line.split()
        if command == "add":
            _load_trail(random.Random(int(args[1])), int(args[0]), boroughs, ds)
            answer: dict[str, Any] = {"ok": True}
        elif command == "verify":
            started = time.perf_counter()
            report, _run = do_verify_trail(run_by="bench")
            elapsed = (time.perf_counter() - started) * 1000
            if not report.intact:
                raise SystemExit(f"trail not intact: {report.problems[:1]}")
            answer = {"ms": elapsed, "checked": report.events_checked, "full": report.full}
        elif command == "append":
            count = int(args[0])
            started = time.perf_counter()
            for _ in range(count):
                record(Action.VIEW, actor=None, object_type="subject", reference="S-BNCH-0000", borough=boroughs[0])
            answer = {"ms_per_append": (time.perf_counter() - started) * 1000 / count}
        elif command == "analyze":
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE audit_accessevent")
            answer = {"ok": True}
        elif command == "count":
            answer = {"count": AccessEvent.objects.count()}
        else:
            raise SystemExit(f"unknown command {command!r}")
        out.write(json.dumps(answer) + "\n")
        out.flush()


def main() -> None:
    from bench import db

    db.attach(os.environ["BENCH_TRAIL_URL"], os.environ["BENCH_TRAIL_KEYS_URL"])
    _serve(sys.stdin, sys.stdout)


if __name__ == "__main__":
    main()
