"""G11: a load test. Simulated users in several processes against gunicorn (2 workers).

    python -m bench.load [--processes 4] [--users 8] [--duration 60] [--max-requests 20000]
                         [--subjects 10000] [--events 100000] [--quick] [--json FILE]

Loads the benchmark's synthetic London (``bench.dataset``) into the benchmark's own database
(``bench.db``: ``<DATABASE_URL name>_bench``), starts gunicorn with 2 sync workers on a free port of
127.0.0.1 in production mode (DEBUG off, keys and secrets generated for the run, ``BEHIND_TLS_PROXY`` as
behind the deployment's reverse proxy), then runs the users' mix from ``--processes`` client processes
without think time:

* practitioners open the concern form, record a concern (with its CSRF token), read the concern's page
  and the young person's page;
* MASH leads read their borough's register, the referral list and one referral;
* an auditor reads the access trail.

Then the same processes send as many requests to a bare page served by the same gunicorn (one
``SELECT 1``, through the same middleware and the same sessions). The report gives each page's count,
p50 and p95 and errors (any unexpected status, or a connection that failed), both throughputs and their
ratio. Goal: the mix at ≥ 0.3× the bare page's throughput, with 0 errors.

Signing in: each simulated user gets a session made on the server side before the run, as Django's
``force_login`` makes it, with a confirmed authenticator and the session marked as having given the
second factor (what entering a code stores). The password and code pages are not part of the load.

The clients only ever connect to 127.0.0.1; any other target is refused.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

from bench import db

LOOPBACK = "127.0.0.1"
WORKERS = 2
# Goal: the mix's throughput at least this share of the bare page's, with no errors.
GOAL_RATIO = 0.3
BARE_PAGE = "/__bench/page/"
INDICATORS = ["missing-from-home-or-care", "older-boyfriend-or-associate"]
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBJECT_LINK = re.compile(r'href="(/subjects/[A-Z0-9-]+/)"')
# Expected statuses: pages answer 200, recording a concern redirects to it.
PAGES = {
    "concern form": 200, "record a concern": 302, "concern page": 200, "subject page": 200,
    "register": 200, "referral list": 200, "referral page": 200, "access trail": 200,
}


def refuse_unless_loopback(base_url: str) -> str:
    """The load test's only permitted target: this machine's 127.0.0.1. Anything else stops it."""
    host = urlparse(base_url).hostname
    if host != LOOPBACK:
        raise SystemExit(f"bench.load only sends load to {LOOPBACK}; refusing {host!r}.")
    return base_url


# --- Who the simulated users are --------------------------------------------------------------------------

@dataclass
class Persona:
    role: str  # practitioner, mash_lead, auditor
    session_key: str
    borough_slug: str = ""
    subjects: list[str] = field(default_factory=list)
    referrals: list[str] = field(default_factory=list)


def _signed_in_session(user: Any) -> str:
    """A session for ``user``, made as ``force_login`` makes one, then marked as having given the second
    factor with a confirmed authenticator (what entering a code stores in the session)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from agencies.sessions import FRESH_AUTH_AT

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="Load test authenticator", confirmed=True)
    client = Client()
    client.force_login(user, backend="agencies.backends.RoleBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[FRESH_AUTH_AT] = time.time()
    session.save()
    return str(session.session_key)


def personas(ds: Any, users: int) -> list[Persona]:
    """About half practitioners, three in eight MASH leads, at least one auditor; from the busiest boroughs."""
    from django.db.models import Count

    from agencies.choices import AgencyKind
    from referrals.models import Referral, Subject
    from risk.models import RegisterEntry

    users = max(3, users)
    auditors = max(1, users // 8)
    mash = max(1, (users * 3) // 8)
    practitioners = max(1, users - auditors - mash)
    registers = [row["borough_id"] for row in RegisterEntry.objects.values("borough_id").annotate(
        n=Count("pk")).order_by("-n", "borough_id")]
    busiest = registers + [b for b in sorted(ds.mash_leads) if b not in registers]
    made: list[Persona] = []
    by_borough: dict[int, list[Any]] = {}
    for user, agency in ds.practitioners:
        if agency.kind != AgencyKind.CHILDRENS_SOCIAL_CARE:
            by_borough.setdefault(agency.borough_id, []).append((user, agency))
    recording = [b for b in busiest if b in by_borough] + sorted(set(by_borough) - set(busiest))
    for n in range(practitioners):
        people = by_borough[recording[n % len(recording)]]
        user, agency = people[(n // len(recording)) % len(people)]
        seen = list(Subject.objects.restrict(user, "view").order_by("reference").values_list(
            "reference", flat=True)[:20])
        made.append(Persona("practitioner", _signed_in_session(user), agency.borough.slug, subjects=seen))
    for n in range(mash):
        borough_id = busiest[n % len(busiest)]
        lead = ds.mash_leads[borough_id]
        referrals = list(Referral.objects.filter(borough_id=borough_id).order_by("reference").values_list(
            "reference", flat=True)[:20])
        made.append(Persona("mash_lead", _signed_in_session(lead), referrals=referrals))
    made += [Persona("auditor", _signed_in_session(ds.auditor)) for _ in range(auditors)]
    return made


# --- The client side: one process, several users, one request at a time -------------------------------------

class Browser:
    """One simulated user's connection to the server: its session, CSRF cookie and the reverse proxy's
    headers (TLS ends there: X-Forwarded-Proto says https, as the deployment's proxy does)."""

    def __init__(self, base_url: str, session_key: str) -> None:
        parts = urlparse(refuse_unless_loopback(base_url))
        self.host, self.port = LOOPBACK, parts.port or 80
        self.origin = f"https://{LOOPBACK}:{self.port}"
        self.cookies = {"__Host-sessionid": session_key}

    def request(self, method: str, path: str, form: dict[str, Any] | None = None) -> tuple[int, str, str]:
        """Status, body and Location; status 0 when the connection failed."""
        headers = {"Host": f"{self.host}:{self.port}", "X-Forwarded-Proto": "https",
                   "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin,
                            "Referer": self.origin + path})
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, text, response.getheader("Location") or ""
        except (OSError, http.client.HTTPException):
            return 0, "", ""
        finally:
            connection.close()


def _concern_form(rng: random.Random, token: str, borough_slug: str, seen: Any) -> dict[str, Any]:
    return {
        "csrfmiddlewaretoken": token,
        "given_name": f"Loadia{rng.randrange(10**6)}", "family_name": f"Runsworth{rng.randrange(10**6)}",
        "dob_day": "3", "dob_month": "4", "dob_year": "2011", "home_borough": borough_slug,
        "observed_day": str(seen.day), "observed_month": str(seen.month), "observed_year": str(seen.year),
        "indicators": INDICATORS,
        "narrative": "Load test narrative: collected from school by an older male in a car. " * 4,
        "idempotency_key": str(uuid.uuid4()), "stage": "confirm",
    }


class SimulatedUser:
    """Walks its role's journey, one request per ``step``; yields (page, status, milliseconds)."""

    def __init__(self, persona: Persona, base_url: str, seed: int, observed: Any) -> None:
        self.persona, self.rng, self.observed = persona, random.Random(seed), observed
        self.browser = Browser(base_url, persona.session_key)
        self.journeys = 0
        self.journey = self._journey()

    def _timed(self, page: str, method: str, path: str, form: dict[str, Any] | None = None
               ) -> tuple[tuple[str, int, float], str, str]:
        started = time.perf_counter()
        status, body, location = self.browser.request(method, path, form)
        return (page, status, (time.perf_counter() - started) * 1000), body, location

    def _journey(self) -> Any:
        """The role's pages in order, for ever; ``journeys`` counts the walks finished (or cut short by an
        answer that leaves nothing to follow)."""
        p = self.persona
        while True:
            last: tuple[str, int, float] | None = None
            if p.role == "practitioner":
                sample, body, _ = self._timed("concern form", "GET", "/concerns/new/")
                token = CSRF_FIELD.search(body)
                if token is not None:
                    yield sample
                    form = _concern_form(self.rng, token.group(1), p.borough_slug, self.observed)
                    sample, _, location = self._timed("record a concern", "POST", "/concerns/new/", form)
                    if location.startswith("/concerns/"):
                        yield sample
                        sample, body, _ = self._timed("concern page", "GET", location)
                        link = SUBJECT_LINK.search(body)
                        subject = link.group(1) if link else (
                            f"/subjects/{self.rng.choice(p.subjects)}/" if p.subjects else "")
                        if subject:
                            yield sample
                            sample = self._timed("subject page", "GET", subject)[0]
                last = sample
            elif p.role == "mash_lead":
                yield self._timed("register", "GET", "/register/")[0]
                last = self._timed("referral list", "GET", "/referrals/")[0]
                if p.referrals:
                    yield last
                    last = self._timed("referral page", "GET", f"/referrals/{self.rng.choice(p.referrals)}/")[0]
            else:
                last = self._timed("access trail", "GET", "/audit/")[0]
            self.journeys += 1
            yield last

    def step(self) -> tuple[str, int, float]:
        return next(self.journey)

    def bare(self) -> tuple[str, int, float]:
        started = time.perf_counter()
        status, _body, _ = self.browser.request("GET", BARE_PAGE)
        return "bare page", status, (time.perf_counter() - started) * 1000


def _client_process(kind: str, people: list[Persona], base_url: str, seed: int, observed: Any, quota: int,
                    seconds: float, start: Any, results: Any) -> None:
    users = [SimulatedUser(p, base_url, seed * 1000 + n, observed) for n, p in enumerate(people)]
    samples: list[tuple[str, int, float]] = []
    start.wait()
    deadline = time.monotonic() + seconds
    n = 0
    # Within the bounds, and until every user has walked its journey once (so every page is in the report).
    while (len(samples) < quota and time.monotonic() < deadline) or (
            kind == "mix" and any(user.journeys == 0 for user in users)):
        user = users[n % len(users)]
        n += 1
        samples.append(user.step() if kind == "mix" else user.bare())
    results.put(samples)


def _drive(kind: str, people: list[Persona], base_url: str, processes: int, total: int, seconds: float,
           observed: Any) -> dict[str, Any]:
    """Run ``processes`` client processes at once; the wall time is from their common start to the last end."""
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(processes + 1), context.Queue()
    shares = [people[n::processes] or people[n % len(people):n % len(people) + 1] for n in range(processes)]
    quota = max(1, total // processes)
    runners = [context.Process(target=_client_process, args=(kind, shares[n], base_url, n + 1, observed, quota,
                                                             seconds, start, results)) for n in range(processes)]
    for runner in runners:
        runner.start()
    start.wait()
    began = time.perf_counter()
    samples: list[tuple[str, int, float]] = []
    for _ in runners:
        # A client that died (it never answers) stops the run rather than hanging it.
        samples += results.get(timeout=seconds + 300)
    elapsed = time.perf_counter() - began
    for runner in runners:
        runner.join()
    return summarise(samples, elapsed)


def _p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else 0.0


def summarise(samples: list[tuple[str, int, float]], elapsed: float) -> dict[str, Any]:
    pages: dict[str, dict[str, Any]] = {}
    errors = 0
    for page, status, ms in samples:
        row = pages.setdefault(page, {"count": 0, "times": [], "errors": 0, "statuses": {}})
        row["count"] += 1
        row["times"].append(ms)
        row["statuses"][str(status)] = row["statuses"].get(str(status), 0) + 1
        if status != PAGES.get(page, 200):
            row["errors"] += 1
            errors += 1
    for row in pages.values():
        times = row.pop("times")
        row["p50_ms"], row["p95_ms"] = round(statistics.median(times), 1), round(_p(times, 0.95), 1)
    return {"requests": len(samples), "seconds": round(elapsed, 2),
            "throughput": round(len(samples) / elapsed, 2) if elapsed else 0.0, "errors": errors,
            "pages": dict(sorted(pages.items()))}


# --- The server --------------------------------------------------------------------------------------------

def production_secrets() -> dict[str, str]:
    """Fresh keys for this run only, so the server runs with DEBUG off as production does."""
    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode("ascii")

    return {"SECRET_KEY": secrets.token_urlsafe(50), "AUDIT_ANCHOR_KEY": secrets.token_urlsafe(50),
            "ENCRYPTION_KEYRING": json.dumps({"active": "load1", "keys": {"load1": key()}}),
            "BLIND_INDEX_KEY": key()}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def keys_in_use(secret_key: str) -> dict[str, str]:
    """The secrets for a server that must read what this process wrote: its encryption keys (from the
    configuration, or the development files), and ``secret_key``, which the sessions were signed with."""
    from django.conf import settings

    keyring = settings.ENCRYPTION_KEYRING or Path(settings.ENCRYPTION_DEV_KEYRING_FILE).read_text(encoding="utf-8")
    blind = settings.BLIND_INDEX_KEY or Path(settings.ENCRYPTION_DEV_BLIND_INDEX_KEY_FILE).read_text(
        encoding="utf-8").strip()
    return {"SECRET_KEY": secret_key, "AUDIT_ANCHOR_KEY": secrets.token_urlsafe(50),
            "ENCRYPTION_KEYRING": keyring, "BLIND_INDEX_KEY": blind}


def database_url(alias: str) -> str:
    """The URL of one of this process's PostgreSQL databases, for the server to use."""
    from urllib.parse import quote

    from django.db import connections

    d = connections[alias].settings_dict
    auth = quote(d["USER"]) + (":" + quote(d["PASSWORD"]) if d.get("PASSWORD") else "")
    return f"postgres://{auth}@{d['HOST'] or LOOPBACK}:{d['PORT'] or 5432}/{d['NAME']}"


def server_environment(database_url: str, keys_url: str, var_dir: Path,
                       secrets_env: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, **(secrets_env or {}), "DEBUG": "false", "DATABASE_URL": database_url,
           "KEYS_DATABASE_URL": keys_url,
           "ALLOWED_HOSTS": LOOPBACK, "BEHIND_TLS_PROXY": "true", "VAR_DIR": str(var_dir),
           "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "config.settings"}
    return env


def _static_collected(var_dir: Path) -> bool:
    """Whether the collected static files and their manifest are newer than every source static file."""
    manifest = var_dir / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    sources = [db.ROOT / "static", *db.ROOT.glob("*/static")]
    return all(path.stat().st_mtime <= built for folder in sources for path in folder.rglob("*") if path.is_file())


def start_server(env: dict[str, str], var_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """gunicorn as deploy/ runs it (after collectstatic when the static files changed: the production
    storage serves pages only with its manifest)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    if not _static_collected(var_dir):
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],  # noqa: S603
                       env=env, cwd=db.ROOT, check=True)
    log = (var_dir / f"gunicorn-{port}.log").open("wb")
    return subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "gunicorn", "bench.wsgi:application", "--bind", f"{LOOPBACK}:{port}",
         "--workers", str(WORKERS), "--timeout", "60", "--access-logfile", "-",
         "--access-logformat", '%(h)s "%(m)s %(U)s" %(s)s %(M)sms'],
        env=env, cwd=db.ROOT, stdout=log, stderr=subprocess.STDOUT)


def wait_until_serving(base_url: str, session_key: str, server: subprocess.Popen[bytes], seconds: float = 120) -> None:
    browser = Browser(base_url, session_key)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped before serving; see its log.")
        if browser.request("GET", BARE_PAGE)[0] == 200:
            return
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer the bare page in time; see its log.")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- Running -------------------------------------------------------------------------------------------------

def _loadavg() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def run_against(database_url: str, keys_url: str, people: list[Persona], *, processes: int, duration: float,
                max_requests: int, var_dir: Path, warm_up: int = 8,
                secrets_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Serve the prepared database with gunicorn and run the mix, then the bare page, against it."""
    import datetime as dt

    from django.db import connections
    from django.utils import timezone

    observed = timezone.localdate() - dt.timedelta(days=1)
    connections.close_all()  # the client processes are forked from here: they must not share a connection
    port = free_port()
    base_url = refuse_unless_loopback(f"http://{LOOPBACK}:{port}")
    server = start_server(server_environment(database_url, keys_url, var_dir, secrets_env), var_dir, port)
    try:
        wait_until_serving(base_url, people[0].session_key, server)
        for n, persona in enumerate(people):  # warm both workers' caches with every page, unmeasured
            user = SimulatedUser(persona, base_url, 10_000 + n, observed)
            for _ in range(warm_up):
                user.step()
        load_before = _loadavg()
        mix = _drive("mix", people, base_url, processes, max_requests, duration, observed)
        bare = _drive("bare", people, base_url, processes, mix["requests"], duration, observed)
        load_after = _loadavg()
    finally:
        stop_server(server)
    ratio = round(mix["throughput"] / bare["throughput"], 3) if bare["throughput"] else 0.0
    return {
        "goal_id": "G11", "goal": f"≥ {GOAL_RATIO}× the bare page's throughput, 0 errors",
        "met": ratio >= GOAL_RATIO and mix["errors"] == 0 and bare["errors"] == 0,
        "ratio": ratio, "mix": mix, "bare": bare,
        "setup": {"gunicorn_workers": WORKERS, "client_processes": processes, "users": len(people),
                  "roles": {role: sum(p.role == role for p in people)
                            for role in ("practitioner", "mash_lead", "auditor")},
                  "duration_limit_s": duration, "max_requests": max_requests,
                  "conn_max_age": os.environ.get("DATABASE_CONN_MAX_AGE", "0")},
        "machine": {"cores": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": load_after},
    }


def run(subjects: int, events: int, users: int, processes: int, duration: float, max_requests: int
        ) -> dict[str, Any]:
    # The same keys and secrets for the loader (this process) and the server, which runs with DEBUG off.
    os.environ.update(production_secrets())
    url = db.setup(fresh=True)
    from django.db import connection

    from bench.dataset import generate

    ds = generate(subjects=subjects, events=events)
    people = personas(ds, users)
    report = run_against(url, db.bench_keys_database_url(url), people, processes=processes, duration=duration,
                         max_requests=max_requests, var_dir=db.ROOT / "var" / "load")
    report["machine"]["database"] = connection.vendor
    report["dataset"] = {"subjects": ds.subjects, "concerns": ds.concerns, "events": ds.events,
                         "referrals": sum(ds.referrals.values())}
    return report


def print_table(report: dict[str, Any]) -> None:
    setup, machine = report["setup"], report["machine"]
    print(f"G11 load test: {setup['users']} users {setup['roles']} in {setup['client_processes']} client "
          f"processes, gunicorn {setup['gunicorn_workers']} workers; cores {machine['cores']}, "
          f"load average {machine['loadavg_before']} -> {machine['loadavg_after']}")
    if "dataset" in report:
        print(f"dataset: {report['dataset']}")
    header = f"{'page':18} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}  statuses"
    print(header)
    print("-" * len(header))
    for part in ("mix", "bare"):
        for page, row in report[part]["pages"].items():
            print(f"{page:18} {row['count']:7} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} {row['errors']:7}  "
                  f"{row['statuses']}")
    mix, bare = report["mix"], report["bare"]
    print(f"mix:  {mix['requests']} requests in {mix['seconds']} s = {mix['throughput']} req/s, "
          f"{mix['errors']} errors")
    print(f"bare: {bare['requests']} requests in {bare['seconds']} s = {bare['throughput']} req/s, "
          f"{bare['errors']} errors")
    print(f"ratio {report['ratio']}× (goal {report['goal']}): {'met' if report['met'] else 'NOT met'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=8, help="simulated users (half practitioners)")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--duration", type=float, default=60, help="seconds, at most, for each of the two runs")
    parser.add_argument("--max-requests", type=int, default=20_000, help="requests, at most, in the mix")
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="300 subjects, 5 s, 4 users in 2 processes")
    parser.add_argument("--json", help="also write the report as JSON to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.subjects, args.events, args.duration, args.users, args.processes = 300, 1_000, 5, 4, 2
    report = run(args.subjects, args.events, args.users, max(1, args.processes), args.duration,
                 max(1, args.max_requests))
    print_table(report)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)
    sys.exit(exit_status(report))


def exit_status(report: dict[str, Any]) -> int:
    """1 when any request failed: errors are faults to look into. The ratio is a measurement (as in
    ``python -m bench``), reported, not enforced."""
    return 1 if report["mix"]["errors"] or report["bare"]["errors"] else 0


if __name__ == "__main__":
    main()
