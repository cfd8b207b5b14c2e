"""Real-browser journeys: Debian's Chromium driven by Playwright, axe-core run on every page.

One Chromium per test process (``browser``), a fresh context per test (``journey``). The browser is
Debian's ``/usr/bin/chromium`` (``make test`` installs it), never a build downloaded by Playwright.
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = Path("/usr/bin/chromium")
# Without the networking flags Chromium tries to reach Google's services, which this closed machine
# refuses; the others keep a headless run quiet and deterministic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_SOURCE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ARTEFACTS = Path(settings.BASE_DIR) / "var" / "test-artefacts" / "browser"
DEMO_PASSWORD = "safeguarding-demo"
TIMEOUT_MS = 15_000


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The browser tests run last in each process: Playwright's synchronous API keeps an event loop on
    # the test thread from the first browser test to the end of the run, which no other test should see.
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium, started once per test process."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make browser` (or `make test`) installs Debian's chromium; "
            "run the other tests alone with -m 'not browser'.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    # Playwright's synchronous API runs its event loop on this thread, which Django's guard against
    # blocking calls inside async code mistakes for async code. The tests and the live server call the
    # ORM synchronously only, so the guard is lifted for as long as the browser runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def demo(transactional_db, monkeypatch) -> None:
    """The demo London of ``seed_demo``, with the documented demo password."""
    from django.core.management import call_command

    from tests.personas import ensure_reference_data

    # Another transactional test may have emptied the tables the data migrations fill.
    ensure_reference_data()
    monkeypatch.setenv("DEMO_PASSWORD", DEMO_PASSWORD)
    call_command("seed_demo", stdout=io.StringIO())
    # seed_demo installs the published authenticator keys only with DEBUG on; the journeys sign in as a
    # person running the demo would, with those keys.
    from django.test import override_settings

    from agencies.demo import seed_authenticators

    with override_settings(DEBUG=True):
        seed_authenticators()


@dataclass
class Journey:
    """A page in a fresh browser context, checked with axe-core and photographed after every step."""

    page: object
    base_url: str
    artefacts: Path
    steps: int = 0
    violations: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def check(self, name: str) -> None:
        """Screenshot the page as it stands and run axe-core on it; violations are reported at the end."""
        self.page.wait_for_load_state("load")
        self.steps += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        self.page.screenshot(path=str(self.artefacts / f"{self.steps:02d}-{slug}.png"), full_page=True)
        results = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            AXE_TAGS,
        )
        for violation in results["violations"]:
            targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            more = len(violation["nodes"]) - 5
            self.violations.append(
                f"[{self.steps:02d}-{slug}] {violation['id']} ({violation['impact']}): {violation['help']}\n"
                f"    at {targets}{f' and {more} more' if more > 0 else ''}\n    {violation['helpUrl']}"
            )

    def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> None:
        """Sign in through the sign-in page, answering the two-factor step when there is one."""
        self.goto("/sign-in/")
        self.check("sign-in")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state("load")
        token = self.page.locator("input[name='otp_token']")
        if token.count():
            self.check("two-factor")
            token.fill(_current_totp(username))
            self.page.locator("form", has=token).get_by_role("button").first.click()
            self.page.wait_for_load_state("load")

    def assert_clean(self) -> None:
        problems = []
        if self.violations:
            problems.append("Accessibility violations (axe-core, WCAG 2.2 AA):\n" + "\n".join(self.violations))
        if self.console_errors:
            problems.append("Browser errors:\n" + "\n".join(self.console_errors))
        assert not problems, "\n\n".join(problems)


def _current_totp(username: str) -> str:
    """The code the user's confirmed authenticator shows now (waiting out a step already used)."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    assert device is not None, f"{username} is asked for a code but has no confirmed authenticator"
    # A code is accepted once per time step: wait for the next step if this one was used already.
    while (time.time() - device.t0) // device.step + device.drift <= device.last_t:
        time.sleep(0.5)
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(code).zfill(device.digits)


@pytest.fixture
def browser_page(browser, live_server, transactional_db, request) -> Iterator[Journey]:
    """A signed-out page on the live server, in its own browser context, on an empty database."""
    artefacts = ARTEFACTS / request.node.name
    artefacts.mkdir(parents=True, exist_ok=True)
    for old in artefacts.glob("*.png"):
        old.unlink()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    # axe-core is injected as an init script, which the browser runs before the page's own scripts and
    # outside its Content-Security-Policy; the policy stays fully in force for the page itself.
    context.add_init_script(path=str(AXE_SOURCE))
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    result = Journey(page=page, base_url=live_server.url, artefacts=artefacts)
    # A CSP refusal or a script error is as much a failure as a missing label.
    page.on("pageerror", lambda error: result.console_errors.append(f"script error: {error}"))
    page.on("console", lambda message: message.type == "error" and result.console_errors.append(message.text))
    try:
        yield result
    finally:
        context.close()


@pytest.fixture
def journey(demo, browser_page) -> Journey:
    """A signed-out page on the live server, with the demo London loaded."""
    return browser_page
