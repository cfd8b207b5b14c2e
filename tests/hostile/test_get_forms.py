"""The corpus against the filter forms and page parameters that travel as GET (lists, the register,
the access trail): never a 500, never a raw control character on the page, and nothing written but
the page's own read."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.hostile.corpus import CORE, HOSTILE, MISSING, RawBytes, forbidden_in_page
from tests.hostile.snapshot import changed, events_since, last_event_id, row_counts
from tests.hostile.targets import READ_ACTIONS
from tests.personas import MEMBER_PERSONAS

pytestmark = pytest.mark.django_db

# url name: (persona, parameters it reads)
GET_FORMS = {
    "audit-log": ("auditor", ["actor", "agency", "action", "outcome", "object_type", "reference", "date_from",
                              "date_to", "before"]),
    "audit-export": ("auditor", ["actor", "agency", "action", "outcome", "object_type", "reference", "date_from",
                                 "date_to"]),
    "audit-object": ("auditor", ["object_type", "reference"]),
    "register": ("mash_lambeth", ["level", "rising", "overdue", "new", "lead", "agency", "sort", "after"]),
    "register-export": ("mash_lambeth", ["level", "rising", "overdue", "new", "lead", "agency", "names"]),
    "subject-list": ("mash_lambeth", ["page"]),
    "referral-list": ("mash_lambeth", ["tab", "page"]),
    "my-referrals": ("dsl_lambeth", ["page"]),
    "concern-create": ("teacher_lambeth", ["subject"]),
    "statistics": ("analyst_london", ["by"]),  # partnership statistics: by quarter or month
}
GET_FORMS["notification-list"] = ("teacher_lambeth", ["page"])  # the inbox
# Extra values that matter for these parameters: dates at the calendar's edges, cursors, page numbers.
GET_EXTRA = ["date_min", "date_zero", "date_year_10000", "int_bigint_edge", "int_4301_digits", "zero",
             "negative_huge", "sql_like", "reference_like", "unicode_spaces"]


def _query(params: dict[str, object]) -> str:
    from urllib.parse import quote_plus

    parts = []
    for name, value in params.items():
        if value is MISSING:
            continue
        for item in value if isinstance(value, list) else [value]:
            raw = item.data if isinstance(item, RawBytes) else str(item).encode()
            parts.append(f"{quote_plus(name)}={quote_plus(raw)}")
    return "&".join(parts)


@pytest.mark.parametrize("url_name", list(GET_FORMS))
def test_get_parameters(client_for, world, url_name, tally):
    persona, parameters = GET_FORMS[url_name]
    assert persona in MEMBER_PERSONAS
    client = client_for(persona)
    url = reverse(url_name)
    for parameter in parameters:
        for value_name in [*CORE, *GET_EXTRA]:
            label = f"{url_name} ?{parameter}={value_name}"
            before, first_event = row_counts(), last_event_id()
            tally.requests += 1
            try:
                response = client.get(f"{url}?{_query({parameter: HOSTILE[value_name]})}")
            except Exception as error:  # noqa: BLE001 - every exception here is a 500 to report
                tally.fail(label, f"500 {type(error).__name__}")
                continue
            if response.status_code not in (200, 302, 400, 404):
                tally.fail(label, f"status {response.status_code}")
            body = b"".join(response.streaming_content) if response.streaming else response.content
            if forbidden_in_page(body.decode("utf-8", errors="replace")):
                tally.fail(label, "page echoes raw characters")
            if changed(before, row_counts()):
                tally.fail(label, "a read changed rows")
            if {action for action, _ in events_since(first_event)} - READ_ACTIONS - {"export"}:
                tally.fail(label, "a read recorded more than a read")
    tally.check()
