"""Send one hostile submission to a target and judge the answer.

The judgement, for every request:
- never a 500 (the test client re-raises the view's exception, which is caught and reported by name);
- done (a redirect), or the page again (200) with a GOV.UK error summary, or a 400 page;
- no raw control characters, bidirectional controls or surrogates anywhere in the page;
- when refused: no table changed its row count, and the access trail gained only the page's own read
  (and, for sign-in, the failed attempt);
- when done with markup in the probe field: the page it leads to shows the markup escaped.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

from django.test import Client

from tests.hostile.corpus import HOSTILE, MISSING, RawBytes, forbidden_in_page
from tests.hostile.snapshot import changed, events_since, last_event_id, row_counts
from tests.hostile.targets import READ_ACTIONS, Context, Target

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def encode(data: dict[str, Any]) -> bytes:
    """A urlencoded body; lists repeat the field, ``MISSING`` leaves it out, ``RawBytes`` go as they are."""
    parts: list[str] = []
    for name, value in data.items():
        if value is MISSING:
            continue
        for item in value if isinstance(value, list) else [value]:
            raw = item.data if isinstance(item, RawBytes) else str(item).encode("utf-8")
            parts.append(f"{quote_plus(name)}={quote_plus(raw)}")
    return "&".join(parts).encode("ascii")


@dataclass
class Tally:
    """What a test sent and what went wrong, reported together at the end."""

    requests: int = 0
    accepted: int = 0
    refused: int = 0
    server_errors: int = 0
    problems: list[str] = field(default_factory=list)

    def fail(self, label: str, message: str) -> None:
        if message.startswith("500"):
            self.server_errors += 1
        self.problems.append(f"{label}: {message}")

    def check(self) -> None:
        assert not self.problems, f"{len(self.problems)} of {self.requests} requests misbehaved:\n" + "\n".join(
            self.problems[:40])


def client_for_target(client_for: Any, target: Target, ctx: Context) -> Client:
    """The persona's client: one per test, or a new one per request where the request changes who it is."""
    persona = None if target.persona == "anonymous" else target.persona
    if target.new_client_each_time:
        return client_for(persona)
    if target.persona not in ctx.clients:
        ctx.clients[target.persona] = client_for(persona)
    return ctx.clients[target.persona]


def submit(client_for: Any, target: Target, ctx: Context, tally: Tally, label: str, *,
           override: dict[str, Any] | None = None, body: bytes | None = None,
           content_type: str = FORM_CONTENT_TYPE, client: Client | None = None,
           expect_refusal: bool = False, markup: str | None = None,
           statuses: set[int] | None = None) -> Any:
    """POST the target's valid data with ``override`` applied (or exactly ``body``), and judge it."""
    client = client or client_for_target(client_for, target, ctx)
    url = target.url(ctx)
    data = target.data(ctx)
    data.update(override or {})
    payload = encode(data) if body is None else body
    before = row_counts(exclude=target.side_tables)
    first_event = last_event_id()
    tally.requests += 1
    try:
        response = client.post(url, data=payload, content_type=content_type)
    except Exception as error:  # noqa: BLE001 - every exception here is a 500 to report
        frame = traceback.extract_tb(error.__traceback__)[-1]
        tally.fail(label, f"500 {type(error).__name__} at {frame.filename.rsplit('/', 2)[-2:]}:{frame.lineno}")
        ctx.consumed = True
        return None
    status = response.status_code
    allowed = statuses or ({200, 302, 400} | set(target.also_allowed))
    if status not in allowed:
        tally.fail(label, f"status {status}")
        return response
    page = b"" if getattr(response, "streaming", False) else response.content
    text = page.decode("utf-8", errors="replace")
    bad = forbidden_in_page(text)
    if bad:
        tally.fail(label, f"page echoes raw characters {bad[:5]}")
    done = status == 200 and any(marker in text for marker in target.success_markers)
    if status == 302 or done:
        tally.accepted += 1
        if target.consumes:
            ctx.consumed = True
        if expect_refusal:
            tally.fail(label, "accepted a value that must be refused")
        if markup is not None:
            shown = client.get(response["Location"]) if status == 302 else response
            html = shown.content.decode("utf-8", errors="replace")
            if markup in html:
                tally.fail(label, "the next page shows the markup unescaped")
            if forbidden_in_page(html):
                tally.fail(label, "the next page shows raw control characters")
        return response
    tally.refused += 1
    step = any(marker in text for marker in target.step_markers)
    if status == 200 and "govuk-error-summary" not in text and not step:
        tally.fail(label, "form shown again without an error summary")
    moved = changed(before, row_counts(exclude=target.side_tables))
    if moved:
        tally.fail(label, f"refused but rows changed: {moved}")
    written = {action for action, _outcome in events_since(first_event)}
    unexpected = written - READ_ACTIONS - set(target.refusal_actions)
    if unexpected:
        tally.fail(label, f"refused but recorded {sorted(unexpected)}")
    return response


def value(name: str) -> Any:
    return HOSTILE[name]
