"""The benchmark harness: every hot path timed interleaved with its baseline, reported as a ratio.

    python -m bench [--subjects 100000] [--events 2000000] [--rounds 200] [--json FILE] [--quick]

Runs against its own database (see ``bench.db``), loads the dataset (``bench.dataset``), then measures.
Each path and its baseline alternate round by round so that machine noise hits both alike; the table
gives median and p95 in milliseconds and the ratio of medians (path / baseline, or throughput ratio
where the goal is about throughput). Nothing here asserts a time: CI runs ``--quick`` only to keep the
harness working.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from bench import db


@dataclass
class Result:
    """One measured comparison."""

    goal_id: str
    path: str
    baseline: str
    path_median_ms: float
    path_p95_ms: float
    base_median_ms: float
    base_p95_ms: float
    ratio: float
    ratio_meaning: str
    goal: str
    extra: dict[str, Any]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def interleaved(path: Callable[[], Any], baseline: Callable[[], Any], rounds: int) -> tuple[list[float], list[float]]:
    """Time ``path`` and ``baseline`` alternately, ``rounds`` times each; milliseconds."""
    a: list[float] = []
    b: list[float] = []
    for n in range(rounds):
        first, second = (path, baseline) if n % 2 == 0 else (baseline, path)
        for fn in (first, second):
            started = time.perf_counter()
            fn()
            elapsed = (time.perf_counter() - started) * 1000
            (a if fn is path else b).append(elapsed)
    return a, b


def compare(goal_id: str, path_name: str, base_name: str, path: Callable[[], Any], baseline: Callable[[], Any],
            rounds: int, *, throughput: bool, goal: str, extra: dict[str, Any] | None = None) -> Result:
    path(), baseline()  # warm caches and connections
    a, b = interleaved(path, baseline, rounds)
    pm, bm = statistics.median(a), statistics.median(b)
    ratio = bm / pm if throughput else pm / bm
    meaning = "path throughput / baseline throughput" if throughput else "path time / baseline time"
    return Result(goal_id, path_name, base_name, round(pm, 3), round(_p95(a), 3), round(bm, 3), round(_p95(b), 3),
                  round(ratio, 3), meaning, goal, extra or {})


# --- G1 and G2: recording a concern, and encryption's share ----------------------------------------------

class CryptoClock:
    """Accumulates time spent in the encrypted fields (encrypt in pre_save, decrypt on read)."""

    def __init__(self) -> None:
        from encryption.fields import EncryptedField

        self.field = EncryptedField
        self.total = 0.0
        self._originals = (EncryptedField.pre_save, EncryptedField.decrypt_into)

    def __enter__(self) -> CryptoClock:
        clock = self
        pre_save, decrypt_into = self._originals

        def timed_pre_save(field: Any, instance: Any, add: bool) -> Any:
            started = time.perf_counter()
            try:
                return pre_save(field, instance, add)
            finally:
                clock.total += time.perf_counter() - started

        def timed_decrypt(field: Any, instance: Any, state: Any) -> Any:
            started = time.perf_counter()
            try:
                return decrypt_into(field, instance, state)
            finally:
                clock.total += time.perf_counter() - started

        self.field.pre_save, self.field.decrypt_into = timed_pre_save, timed_decrypt
        return self

    def __exit__(self, *exc: Any) -> None:
        self.field.pre_save, self.field.decrypt_into = self._originals


def _concern_form(rng: random.Random, borough_slug: str) -> dict[str, Any]:
    from django.utils import timezone

    seen = timezone.localdate()
    return {
        "given_name": f"Benchia{rng.randrange(10**6)}", "family_name": f"Runsworth{rng.randrange(10**6)}",
        "dob_day": "3", "dob_month": "4", "dob_year": "2011", "home_borough": borough_slug,
        "observed_day": str(seen.day), "observed_month": str(seen.month), "observed_year": str(seen.year),
        "indicators": ["missing-from-home-or-care", "older-boyfriend-or-associate"],
        "narrative": "Benchmark narrative: collected from school by an older male in a car. " * 4,
        "idempotency_key": str(uuid.uuid4()), "stage": "confirm",
    }


def g1_g2(ds: Any, rounds: int) -> list[Result]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_baseline (id integer PRIMARY KEY "
                       + ("GENERATED ALWAYS AS IDENTITY" if connection.vendor == "postgresql" else "AUTOINCREMENT")
                       + ", payload text)")
    user, agency = ds.practitioners[0]
    client = Client()
    client.force_login(user, backend="agencies.backends.RoleBackend")
    rng = random.Random(1)
    slug = agency.borough.slug

    def record() -> None:
        response = client.post("/concerns/new/", _concern_form(rng, slug))
        assert response.status_code == 302, response.status_code

    def bare() -> None:
        client.post("/__bench/insert/", {"narrative": "x" * 300})

    record()  # first request warms per-process caches (content types, permissions)
    with CaptureQueriesContext(connection) as queries:
        record()
    g1 = compare("G1", "record a concern (whole request)", "bare view: one INSERT", record, bare, rounds,
                 throughput=True, goal="≥ 0.33×, statements as few as the features allow",
                 extra={"queries": len(queries.captured_queries)})

    # G2: encryption's share of the record request and of the subject page that shows the result.
    references = list(ds.sample_subjects[:20])
    mash = ds.mash_leads[agency.borough_id]
    viewer = Client()
    viewer.force_login(mash, backend="agencies.backends.RoleBackend")
    from referrals.models import Subject

    visible = list(Subject.objects.filter(home_borough_id=agency.borough_id).values_list("reference", flat=True)[:20])
    references = visible or references
    total = 0.0
    with CryptoClock() as clock:
        for n in range(rounds):
            started = time.perf_counter()
            record()
            viewer.get(f"/subjects/{references[n % len(references)]}/")
            total += time.perf_counter() - started
    share = clock.total / total
    g2 = Result("G2", "encrypted-field work in record + subject page", "the whole requests",
                round(clock.total * 1000 / rounds, 3), 0.0, round(total * 1000 / rounds, 3), 0.0,
                round(share, 4), "share of request time", "≤ 2 %", {"percent": round(share * 100, 2)})
    return [g1, g2]


# --- G4: the register page, restricted vs unrestricted; p95 at full scale vs a tenth ---------------------

def _register_page(borough_id: int | None) -> Callable[[], None]:
    from django.utils import timezone

    from risk import queries
    from risk.models import RegisterEntry

    def page() -> None:
        now, today = timezone.now(), timezone.localdate()
        if borough_id is None:
            entries = RegisterEntry.objects.filter(status="on", subject__status="active").select_related(
                "subject", "lead_professional", "subject__risk")
        else:
            entries = queries.register_entries(borough_id, today=today, now=now)
            queries.level_counts(borough_id)
        rows, _cursor = queries.keyset_page(entries, "level", "", 50)
        for entry in rows:
            _ = entry.subject.reference, entry.subject.risk.score, queries.is_rising(entry.subject.risk, now)

    return page


def _busiest_borough() -> int:
    from django.db.models import Count

    from risk.models import RegisterEntry

    row = RegisterEntry.objects.values("borough_id").annotate(n=Count("pk")).order_by("-n").first()
    return row["borough_id"] if row else 1


TENTH: dict[str, float] = {}


def g4_tenth(ds: Any, rounds: int) -> None:
    """Called by the dataset loader at a tenth of the scale: the register page's p95 there."""
    page = _register_page(_busiest_borough())
    page()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        page()
        times.append((time.perf_counter() - started) * 1000)
    TENTH["p95"], TENTH["median"] = _p95(times), statistics.median(times)


def g4(ds: Any, rounds: int) -> list[Result]:
    result = compare("G4", "register page, 50 rows, MASH lead's borough", "same page, all of London",
                     _register_page(_busiest_borough()), _register_page(None), rounds, throughput=False,
                     goal="≤ 1.3×")
    results = [result]
    if TENTH:
        results.append(Result("G4", "register page p95 at full scale", "same at a tenth of the scale",
                              result.path_p95_ms, result.path_p95_ms, round(TENTH["median"], 3),
                              round(TENTH["p95"], 3), round(result.path_p95_ms / TENTH["p95"], 3),
                              "p95 ratio", "≤ 1.5×", {}))
    return results


# --- G6: rescore of everyone vs one set-based UPDATE of the same rows ------------------------------------------

def g6(ds: Any, rounds: int) -> list[Result]:
    import datetime as dt

    from django.db import connection, transaction
    from django.utils import timezone

    from risk.services.assessment import do_rescore_all

    tomorrow = timezone.now() + dt.timedelta(days=1)

    def update_all() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE risk_subjectrisk SET assessed_at = assessed_at")

    started = time.perf_counter()
    first = do_rescore_all(now=tomorrow)  # a day of decay: writes where scores moved
    first_ms = (time.perf_counter() - started) * 1000

    def steady() -> None:
        do_rescore_all(now=tomorrow)  # nothing changed since: nobody is due, writes nothing

    n = max(3, rounds // 40)
    result = compare("G6", "rescore everyone (steady state, writes nothing)", "one UPDATE of every risk row",
                     steady, update_all, n, throughput=False, goal="≤ 2×",
                     extra={"first_run_ms": round(first_ms), "first_run_evaluated": first.evaluated,
                            "first_run_appended": first.appended,
                            "first_run_level_changes": first.level_changes, "subjects": first.subjects})
    return [result]


# --- G7: the association map, two hops vs one ------------------------------------------------------------

def g7(ds: Any, rounds: int) -> list[Result]:
    from referrals.models import Subject
    from risk.map.models import Link
    from risk.map.queries import neighbourhood

    hub_subject = Subject.objects.select_related("home_borough").get(pk=ds.hub_subject)
    ordinary = (Subject.objects.filter(home_borough=hub_subject.home_borough, map_links__isnull=False)
                .exclude(map_links__associate_id__in=Link.objects.filter(subject=hub_subject).values("associate_id"))
                .select_related("home_borough").first())
    mash = ds.mash_leads[hub_subject.home_borough_id]

    def one_hop(subject: Any) -> Callable[[], None]:
        return lambda: list(Link.objects.restrict(mash, "view").filter(subject=subject, status="confirmed")
                            .select_related("associate", "place", "group"))

    def two_hops(subject: Any) -> Callable[[], None]:
        return lambda: neighbourhood(subject, mash).rows()

    results = [compare("G7", "two-hop map through a hub over the fan-out cap", "one-hop links of the same girl",
                       two_hops(hub_subject), one_hop(hub_subject), rounds, throughput=False, goal="≤ 5×")]
    if ordinary is not None and ordinary.pk != hub_subject.pk:
        results.append(compare("G7", "two-hop map, ordinary girl", "one-hop links of the same girl",
                               two_hops(ordinary), one_hop(ordinary), rounds, throughput=False, goal="≤ 5×"))
    return results


# --- G5: auditor queries ----------------------------------------------------------------------------------

def g5(ds: Any, rounds: int) -> list[Result]:
    import datetime as dt

    from django.utils import timezone

    from audit.models import AccessEvent

    rng = random.Random(5)
    last_id = AccessEvent.objects.order_by("-id").values_list("id", flat=True).first() or 1
    users = [u for u, _a in ds.practitioners]
    since = timezone.now() - dt.timedelta(days=30)

    def pk_lookup() -> None:
        AccessEvent.objects.filter(pk=rng.randrange(1, last_id + 1)).first()

    def one_user() -> None:
        list(AccessEvent.objects.filter(actor_id=users[rng.randrange(len(users))].pk, occurred_at__gte=since)
             .order_by("-id")[:50])

    def disclosure() -> None:
        list(AccessEvent.objects.filter(object_type="subject", reference=rng.choice(ds.sample_subjects))
             .order_by("-id")[:50])

    return [
        compare("G5", "auditor: one user, last 30 days (50 rows)", "primary-key lookup", one_user, pk_lookup,
                rounds, throughput=False, goal="≤ 3×"),
        compare("G5", "auditor: one subject's disclosure log (50 rows)", "primary-key lookup", disclosure,
                pk_lookup, rounds, throughput=False, goal="≤ 3×"),
    ]


# --- G8: audit appends --------------------------------------------------------------------------------------

def _append_worker(borough: Any, per_worker: int, start: Any, done: Any) -> None:
    from django.db import connections

    from audit.api import record
    from audit.choices import Action

    connections.close_all()  # never share the parent's connection
    start.wait()
    for _ in range(per_worker):
        record(Action.VIEW, actor=None, object_type="subject", reference="S-BNCH-0000", borough=borough)
    connections.close_all()
    done.put(1)


def _append_rate(workers: int, per_worker: int, chains: list[Any], *, processes: bool = True) -> float:
    """Events per second appended by ``workers`` writers, each on its own connection. Processes, as
    gunicorn runs the application (threads share one interpreter lock, which the hashing and the ORM
    hold for most of an append); ``processes=False`` measures threads for comparison."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    if processes:
        context = multiprocessing.get_context("fork")
        start, done = context.Barrier(workers + 1), context.Queue()
        runners: list[Any] = [context.Process(target=_append_worker, args=(chains[n % len(chains)], per_worker,
                                                                           start, done)) for n in range(workers)]
    else:
        import queue

        start, done = threading.Barrier(workers + 1), queue.Queue()
        runners = [threading.Thread(target=_append_worker, args=(chains[n % len(chains)], per_worker, start, done))
                   for n in range(workers)]
    for runner in runners:
        runner.start()
    start.wait()
    started = time.perf_counter()
    for runner in runners:
        runner.join()
    return workers * per_worker / (time.perf_counter() - started)


def _cpu_busy(measure: Callable[[], float]) -> tuple[float, float]:
    """Run ``measure`` and return its result and the share of all cores busy meanwhile (from
    /proc/stat: the whole machine, PostgreSQL and anything else running included)."""
    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    try:
        total0, idle0 = sample()
    except OSError:
        return measure(), float("nan")
    result = measure()
    total1, idle1 = sample()
    return result, 1 - (idle1 - idle0) / max(1, total1 - total0)


def g8(rounds: int) -> list[Result]:
    from django.db import connection

    from agencies.models import Borough

    if connection.vendor != "postgresql":
        return []
    boroughs = list(Borough.objects.order_by("ons_code")[:4])
    per = max(50, rounds)
    one, two, hot, threads, busy_one, busy_two = [], [], [], [], [], []
    for _ in range(5):
        rate, busy = _cpu_busy(lambda: _append_rate(1, per, boroughs[:1]))
        one.append(rate)
        busy_one.append(busy)
        rate, busy = _cpu_busy(lambda: _append_rate(2, per, boroughs[1:3]))
        two.append(rate)
        busy_two.append(busy)
        hot.append(_append_rate(2, per, boroughs[3:4]))
        threads.append(_append_rate(2, per, boroughs[1:3], processes=False))
    m1, m2, mh, mt = (statistics.median(v) for v in (one, two, hot, threads))
    b1, b2 = statistics.median(busy_one), statistics.median(busy_two)
    return [
        Result("G8", "two workers, own chains (events/s)", "one worker (events/s)", round(1000 / m2, 3), 0.0,
               round(1000 / m1, 3), 0.0, round(m2 / m1, 3), "throughput ratio", "≥ 1.8×",
               {"events_per_second": {"one": round(m1), "two_spread": round(m2), "two_threads": round(mt)},
                "cpu_busy": {"one": round(b1, 2), "two_spread": round(b2, 2)}}),
        Result("G8", "two workers, one hot chain (events/s)", "two workers, spread chains", round(1000 / mh, 3),
               0.0, round(1000 / m2, 3), 0.0, round(mh / m2, 3), "throughput ratio", "(informative)",
               {"events_per_second": {"two_hot": round(mh), "two_spread": round(m2)}}),
    ]


# --- Running ---------------------------------------------------------------------------------------------------

EXTRA_MEASURES: list[Callable[[Any, int], list[Result]]] = []


def run(subjects: int, events: int, rounds: int) -> dict[str, Any]:
    url = db.setup(fresh=True)
    from django.db import connection

    from bench.dataset import generate

    ds = generate(subjects=subjects, events=events, on_tenth=lambda tenth: g4_tenth(tenth, rounds))
    results: list[Result] = []
    results += g1_g2(ds, rounds)
    results += g4(ds, rounds)
    results += g5(ds, rounds)
    results += g6(ds, rounds)
    results += g7(ds, rounds)
    for measure in EXTRA_MEASURES:
        results += measure(ds, rounds)
    results += g8(rounds)
    # G9/G10 (bench/trail.py) grow the trail, so they run after everything measured at the loaded size.
    from bench.trail import g9_g10

    results += g9_g10(ds, rounds)
    return {
        "machine": {"cores": os.cpu_count(), "database": connection.vendor,
                    "database_url": url.rsplit("@", 1)[-1]},
        "dataset": {"subjects": ds.subjects, "concerns": ds.concerns, "events": ds.events, "map_links": ds.links,
                    "referrals": ds.referrals, "load_seconds": round(ds.seconds, 1)},
        "rounds": rounds,
        "results": [asdict(r) for r in results],
    }


def print_table(report: dict[str, Any]) -> None:
    machine, data = report["machine"], report["dataset"]
    print(f"cores: {machine['cores']}  database: {machine['database']}  rounds: {report['rounds']}")
    print(f"dataset: {data['subjects']} subjects, {data['concerns']} concerns, {data['events']} events, "
          f"{data.get('map_links', 0)} map links, referrals {data.get('referrals', {})}, "
          f"loaded in {data['load_seconds']} s")
    header = f"{'goal':5} {'path':52} {'med ms':>8} {'p95 ms':>8} {'base med':>9} {'base p95':>9} {'ratio':>7}  goal"
    print(header)
    print("-" * len(header))
    for r in report["results"]:
        print(f"{r['goal_id']:5} {r['path'][:52]:52} {r['path_median_ms']:8.2f} {r['path_p95_ms']:8.2f} "
              f"{r['base_median_ms']:9.2f} {r['base_p95_ms']:9.2f} {r['ratio']:7.3f}  {r['goal']}"
              + (f"  {r['extra']}" if r["extra"] else ""))
        print(f"      vs {r['baseline']} ({r['ratio_meaning']})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="small scale, for CI (under a minute)")
    parser.add_argument("--json", help="also write the report as JSON to this file")
    # G9/G10 (bench/trail.py): how many times the loaded trail grows, and the new events per incremental run.
    parser.add_argument("--trail-growth", type=int, default=10, help="G9/G10: the large trail is N × --events")
    parser.add_argument("--new-events", type=int, default=10_000, help="G9: new events before each incremental run")
    args = parser.parse_args(argv)
    if args.quick:
        args.subjects, args.events, args.rounds = 1_000, 10_000, 20
        args.trail_growth, args.new_events = 2, 1_000
    from bench import trail

    trail.GROWTH, trail.NEW_EVENTS = max(2, args.trail_growth), max(1, args.new_events)
    trail.APPENDS = 40 if args.quick else trail.APPENDS
    report = run(args.subjects, args.events, args.rounds)
    print_table(report)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)
