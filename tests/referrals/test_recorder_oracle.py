"""The recorder learns nothing from a match (DESIGN.md §5.6a): an oracle test.

Two worlds, each built through the services and rolled back afterwards. In the *known* world the girl is
already known in Lambeth: a GP's and a police officer's concerns have put her at high (so she is on the
register and an automatic referral is open), and the Lambeth MASH has linked her to a place on the map.
In the *new* world nobody knows her. The same recorder then records the same concern, entering Southwark
as the borough she lives in, and requests every page they can reach afterwards (home, confirmation, the
concern, subject page and chronology, risk, map, the form for another concern, lists, "My referrals"; a
DSL also refers her and follows the referral to its decision, and a second referral is refused naming
only their own). Every response, and every email sent to the recorder, must be the same in both worlds
once reference numbers, CSRF and draft binding tokens, nonces, identifiers and times are normalised.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies import services as agency_services
from agencies.choices import RoleCode
from referrals import routing
from referrals.choices import ReferralDecision
from referrals.models import Referral, Subject
from risk.map.models import Place, PlaceKind
from risk.models import RegisterEntry
from tests.factories import new_concern
from tests.risk.map_cases import link
from tests.two_factor_helpers import ensure_authenticator, mark_session_verified, requires_two_factor

GIVEN, FAMILY, DOB = "Oraclia", "Matchtest", dt.date(2011, 5, 17)
# The known agencies: Lambeth's GP and police (never a recorder's own agency: a DSL may see their agency's).
KNOWN_SIGNS = ("older-boyfriend-or-associate", "missing-from-home-or-care")
MASH_OF = {"Lambeth": "mash_lambeth", "Southwark": "mash_southwark"}


class _Rollback(Exception):
    pass


def _know_her(world) -> Subject:
    first = new_concern(world, "gp_lambeth", given=GIVEN, family=FAMILY, dob=DOB, borough="Lambeth",
                   indicators=KNOWN_SIGNS, narrative="Collected from school by an older man.", seriously_worried=True)
    new_concern(world, "police_lambeth", given=GIVEN, family=FAMILY, dob=DOB, borough="Lambeth",
           indicators=KNOWN_SIGNS, narrative="Found in a car at 2am.", seriously_worried=True)
    subject = first.subject
    link(world, "mash_lambeth", subject, Place(name="Oracle Test Hotel", kind=PlaceKind.HOTEL))
    assert Referral.objects.filter(subject=subject, automatic=True, state="submitted").exists()
    assert RegisterEntry.objects.filter(subject=subject).exists()
    return subject


NORMALISE = [
    (re.compile(r"\b[SCRAPGL]-[0-9A-Z]{4}-[0-9A-Z]{4}\b"), "REF"),
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'), 'name="csrfmiddlewaretoken" value="CSRF"'),
    (re.compile(r'nonce="[^"]*"'), 'nonce="NONCE"'),
    # The draft binding token is signed per page (user, form, page, time), like the CSRF token.
    (re.compile(r'name="draft_binding" value="[^"]*"'), 'name="draft_binding" value="BINDING"'),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "UUID"),
    (re.compile(r"\b\d{1,2}:\d{2}\b"), "TIME"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T[\d:.+Z-]+"), "DATETIME"),
]


def _normalise(text: str) -> str:
    for pattern, replacement in NORMALISE:
        text = pattern.sub(replacement, text)
    return text


def _client(world, persona: str) -> Client:
    user = world.user(persona)
    client = Client()
    device = ensure_authenticator(user) if requires_two_factor(user) else None
    client.force_login(user, backend="agencies.backends.RoleBackend")
    if device is not None:
        mark_session_verified(client, device)
    return client


def _journey(world, recorder: str, known: bool) -> list[tuple[str, str]]:
    """Everything the recorder sees, as (what, normalised text) pairs."""
    seen: list[tuple[str, str]] = []
    user = world.user(recorder)
    user.email = f"{recorder}@example.test"
    user.save(update_fields=["email"])
    known_subject = _know_her(world) if known else None
    mail.outbox.clear()
    client = _client(world, recorder)

    def get(what: str, url: str) -> None:
        response = client.get(url)
        seen.append((f"{what} {response.status_code}", _normalise(response.content.decode())))

    get("form", reverse("concern-create"))
    observed = timezone.localdate() - dt.timedelta(days=1)
    answers = {
        "given_name": GIVEN, "family_name": FAMILY,
        "dob_day": DOB.day, "dob_month": DOB.month, "dob_year": DOB.year, "home_borough": "southwark",
        "observed_day": observed.day, "observed_month": observed.month, "observed_year": observed.year,
        "indicators": ["missing-from-home-or-care"], "narrative": "Seen with older boys after school.",
        "idempotency_key": "6f1c7a52-3c1e-4a7e-9d0a-2b8f7e0c1d11",
    }
    response = client.post(reverse("concern-create"), {**answers, "stage": "check"})
    seen.append((f"check your answers {response.status_code}", _normalise(response.content.decode())))
    response = client.post(reverse("concern-create"), {**answers, "stage": "confirm"})
    assert response.status_code == 302, response.content.decode()[:2000]
    concern_url = response["Location"]
    get("confirmation", concern_url)
    get("concern", concern_url)
    subject = Subject.objects.filter(concerns__recorded_by=user).distinct().get()
    # In the known world her concern joined the record the others made (so there was something to leak).
    assert known_subject is None or subject.pk == known_subject.pk
    ref = {"reference": subject.reference}
    get("subject", reverse("subject-detail", kwargs=ref))
    get("risk", reverse("subject-risk", kwargs=ref))
    get("map", reverse("map-subject", kwargs=ref))
    get("record another concern", reverse("concern-create") + f"?subject={subject.reference}")
    get("list", reverse("subject-list"))
    get("home", reverse("home"))
    get("my referrals", reverse("my-referrals"))
    # Her inbox and her chronology say nothing more about a known girl than about a new one.
    get("notifications", reverse("notification-list"))
    get("chronology", reverse("subject-chronology", kwargs=ref))
    if recorder.startswith("dsl"):
        get("refer form", reverse("referral-create", kwargs=ref))
        response = client.post(reverse("referral-create", kwargs=ref), {
            "summary": "Going missing after school.", "legal_basis": "safeguarding", "consent": "not_sought_risk"})
        seen.append((f"refer {response.status_code}", _normalise(response.content.decode())))
        assert response.status_code == 302, _normalise(response.content.decode())[:3000]
        referral = Referral.objects.get(subject=subject, referred_by=user)
        get("referral", response["Location"])
        get("my referrals after referring", reverse("my-referrals"))
        get("refer form while theirs is open", reverse("referral-create", kwargs=ref))
        again = client.post(reverse("referral-create", kwargs=ref), {
            "summary": "Going missing after school.", "legal_basis": "safeguarding", "consent": "not_sought_risk"})
        seen.append((f"refer again {again.status_code}", _normalise(again.content.decode())))
        # The MASH responsible decides it; the DSL follows the decision.
        mash = world.user(MASH_OF[referral.borough.name])
        referral = routing.do_start_screening(referral, version=referral.version, actor=mash)
        routing.do_decide_referral(referral, decision=ReferralDecision.NO_FURTHER_ACTION,
                                   reason="Held by the school.", version=referral.version, actor=mash)
        get("referral decided", response["Location"])
        get("subject after decision", reverse("subject-detail", kwargs=ref))
        get("refer form after decision", reverse("referral-create", kwargs=ref))
        get("my referrals after decision", reverse("my-referrals"))
        get("notifications after decision", reverse("notification-list"))
        get("chronology after decision", reverse("subject-chronology", kwargs=ref))
    for message in mail.outbox:
        if user.email in message.to:
            seen.append(("email", _normalise(f"{message.subject}\n{message.body}")))
    return seen


def _in_a_world(world, recorder: str, known: bool) -> list[tuple[str, str]]:
    # Both databases (the case data and the key store) roll back, so the second world starts clean.
    try:
        with transaction.atomic(), transaction.atomic(using=settings.KEYS_DATABASE_ALIAS), _capture_on_commit():
            seen = _journey(world, recorder, known)
            raise _Rollback
    except _Rollback:
        pass
    return seen


class _capture_on_commit:
    """Run on-commit callbacks (the emails) at once inside the world's savepoint, which is rolled back."""

    def __enter__(self):
        self._original = transaction.on_commit
        transaction.on_commit = lambda func, using=None, robust=False: func()
        return self

    def __exit__(self, *exc):
        transaction.on_commit = self._original
        return False


@pytest.fixture
def recorders(world):
    """A Southwark DSL too, so a DSL records from the other borough as well."""
    world.users["dsl_southwark"] = agency_services.do_create_user(
        username="dsl_southwark", password="correct horse battery staple", agency=world.agencies["southwark_school"],
        roles=[RoleCode.DSL, RoleCode.PRACTITIONER], first_name="Dsl", last_name="Persona", actor=None)
    return world


@pytest.mark.parametrize("recorder", [
    "teacher_lambeth",    # practitioner, the known agencies' borough
    "teacher_southwark",  # practitioner, another borough
    "dsl_lambeth",        # DSL, the known agencies' borough
    "dsl_southwark",      # DSL, another borough
])
def test_a_recorder_learns_nothing_from_a_match(recorders, recorder):
    world = recorders
    new = _in_a_world(world, recorder, known=False)
    known = _in_a_world(world, recorder, known=True)
    assert [what for what, _ in known] == [what for what, _ in new]
    differing = [(what, difflib.unified_diff(new_text.splitlines(), known_text.splitlines(), "new", "known", n=0,
                                              lineterm=""))
                 for (what, known_text), (_, new_text) in zip(known, new, strict=True) if known_text != new_text]
    assert not differing, "\n".join(f"{recorder}: {what} differs between a known and a new girl:\n"
                                     + "\n".join(list(diff)[:30]) for what, diff in differing)
    # She is shown in the borough the recorder chose, and never with a level drawn from others' concerns.
    pages = "\n".join(text for _, text in new)
    assert "Southwark" in pages
    assert "Lambeth Test MASH" not in pages
    assert sum(1 for what, _ in new if what == "email") >= (1 if recorder.startswith("dsl") else 0)
