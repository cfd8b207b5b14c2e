"""Nothing lost when time runs out: a form posted after the session ended is kept as an encrypted draft
for its author, offered back after she signs in, unreadable in the database, gone after her erasure or
its expiry, never shown to anyone else, and never kept on a forged, expired or copied token."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies.sessions import SIGNED_IN_AT
from audit.choices import Action
from drafts import services
from drafts.binding import FIELD as BINDING
from drafts.models import Draft
from encryption import ERASED
from encryption.models import DataKey, ErasureRecord
from referrals.models import Concern, Referral
from referrals.services import do_erase_subject
from tests.audit_helpers import assert_audit
from tests.factories import new_concern
from tests.personas import PASSWORD
from tests.two_factor_helpers import set_session_value

pytestmark = pytest.mark.django_db(databases="__all__")

NARRATIVE = "Draftcanary seen getting into a grey car outside the chip shop at 16:20."
CONCERN_URL = "/concerns/new/"


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} on the page"
    return found.group(1)


def _signed_in(world, persona: str = "teacher_lambeth") -> Client:
    """A browser (CSRF enforced, as in real life) signed in as the persona."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user(persona), backend="agencies.backends.RoleBackend")
    return client


def _concern_form(**extra) -> dict:
    today = timezone.localdate() - dt.timedelta(days=1)
    return {"given_name": "Draftcase", "family_name": "Timeout", "dob_day": "3", "dob_month": "4",
            "dob_year": "2011", "home_borough": "lambeth", "indicators": ["missing-from-home-or-care"],
            "narrative": NARRATIVE, "observed_day": str(today.day), "observed_month": str(today.month),
            "observed_year": str(today.year), "idempotency_key": str(uuid.uuid4()), "stage": "confirm",
            "judgement": "worried", **extra}


def _open_form(client: Client, url: str = CONCERN_URL) -> dict:
    """The page a signed-in user opened: its CSRF token and draft binding."""
    html = client.get(url).content.decode()
    return {"csrfmiddlewaretoken": _hidden(html, "csrfmiddlewaretoken"), BINDING: _hidden(html, BINDING)}


def _end_session(client: Client) -> None:
    """The idle limit passed: the server forgot the session; the browser still has its cookies."""
    Session.objects.filter(session_key=client.session.session_key).delete()


def _raw_data(draft_id) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM drafts_draft WHERE id = %s", [draft_id.hex if connection.vendor == "sqlite"
                                                                        else draft_id])
        return bytes(cursor.fetchone()[0])


def _post_after_timeout(world, persona="teacher_lambeth", url=CONCERN_URL, data=None):
    client = _signed_in(world, persona)
    tokens = _open_form(client, url)
    _end_session(client)
    response = client.post(url, {**(data if data is not None else _concern_form()), **tokens})
    return client, response


def test_a_form_posted_after_the_session_ended_is_kept_and_restored_after_signing_in(world):
    teacher = world.user("teacher_lambeth")
    client, response = _post_after_timeout(world)
    # Sent to sign in, told her work is kept; nothing was recorded as a concern.
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "next=/concerns/new/" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "we kept what you typed as a draft that only you can open" in page
    assert not Concern.objects.filter(recorded_by=teacher).exists()
    draft = Draft.objects.get(user=teacher, form="concern-create", path=CONCERN_URL)
    assert_audit(Action.CREATE, actor=teacher, object_type="draft", reference=draft.pk, service="do_keep_draft")
    # Encrypted in the database: the raw column holds no part of what she typed.
    raw = _raw_data(draft.pk)
    assert b"Draftcanary" not in raw and b"Draftcase" not in raw and b"chip shop" not in raw
    # Never the CSRF token or the binding itself.
    assert BINDING not in draft.data and "csrfmiddlewaretoken" not in draft.data
    assert draft.data["narrative"] == [NARRATIVE]

    # She signs in again (through the sign-in page) and is offered it, on her home page and on the form.
    login_page = client.get(reverse("login")).content.decode()
    signed_in = client.post(reverse("login"), {"username": teacher.username, "password": PASSWORD,
                                               "next": CONCERN_URL,
                                               "csrfmiddlewaretoken": _hidden(login_page, "csrfmiddlewaretoken")})
    assert signed_in.status_code == 302 and signed_in["Location"] == CONCERN_URL
    home = client.get(reverse("home")).content.decode()
    assert "You have an unsent concern from" in home and NARRATIVE not in home
    form_page = client.get(CONCERN_URL).content.decode()
    assert "You have an unsent concern from" in form_page and NARRATIVE not in form_page

    # Continue: the form filled in again, not sent.
    csrf = _hidden(form_page, "csrfmiddlewaretoken")
    resumed = client.post(reverse("draft-continue", kwargs={"reference": draft.pk}), {"csrfmiddlewaretoken": csrf})
    assert resumed.status_code == 302 and resumed["Location"] == f"{CONCERN_URL}?draft_id={draft.pk}"
    assert_audit(Action.UPDATE, actor=teacher, object_type="draft", reference=draft.pk, service="do_resume_draft")
    filled = client.get(resumed["Location"]).content.decode()
    assert NARRATIVE in filled and 'value="Draftcase"' in filled
    assert Concern.objects.filter(recorded_by=teacher).count() == 0

    # Sending it records the concern once and ends the draft (its key shredded).
    sent = client.post(CONCERN_URL, {**_concern_form(idempotency_key=draft.data["idempotency_key"][0]),
                                     "draft_id": str(draft.pk),
                                     "csrfmiddlewaretoken": _hidden(filled, "csrfmiddlewaretoken"),
                                     BINDING: _hidden(filled, BINDING)})
    assert sent.status_code == 302
    assert Concern.objects.filter(recorded_by=teacher).count() == 1
    assert not Draft.objects.filter(pk=draft.pk).exists()
    assert DataKey.objects.get(pk=draft.data_key_id).is_shredded
    assert ErasureRecord.objects.get(data_key_id=draft.data_key_id).reason == "draft_ended"


def test_discard_ends_the_draft_and_is_recorded(world):
    teacher = world.user("teacher_lambeth")
    _post_after_timeout(world)
    draft = Draft.objects.get(user=teacher)
    client = _signed_in(world)
    csrf = _hidden(client.get(reverse("home")).content.decode(), "csrfmiddlewaretoken")
    response = client.post(reverse("draft-discard", kwargs={"reference": draft.pk}),
                           {"csrfmiddlewaretoken": csrf, "return_to": "form"})
    assert response.status_code == 302 and response["Location"] == CONCERN_URL
    assert_audit(Action.ERASE, actor=teacher, object_type="draft", reference=draft.pk, service="do_discard_draft")
    assert not Draft.objects.filter(pk=draft.pk).exists()
    assert DataKey.objects.get(pk=draft.data_key_id).is_shredded
    assert "You have an unsent" not in client.get(reverse("home")).content.decode()


def test_a_newer_draft_replaces_the_older_one_for_the_same_form(world):
    _post_after_timeout(world)
    first = Draft.objects.get(user=world.user("teacher_lambeth"))
    _post_after_timeout(world, data=_concern_form(narrative="Second version."))
    second = Draft.objects.get(user=world.user("teacher_lambeth"))
    assert second.pk != first.pk and second.data["narrative"] == ["Second version."]
    assert DataKey.objects.get(pk=first.data_key_id).is_shredded


@pytest.mark.parametrize("persona", ["dsl_lambeth", "mash_lambeth", "gp_lambeth", "auditor", "administrator",
                                     "dpo"])
def test_nobody_else_sees_continues_or_discards_her_draft(world, client_for, persona):
    _post_after_timeout(world)
    draft = Draft.objects.get(user=world.user("teacher_lambeth"))
    other = client_for(persona)
    home = other.get(reverse("home")).content.decode()
    assert "unsent" not in home and str(draft.pk) not in home
    assert other.post(reverse("draft-continue", kwargs={"reference": draft.pk})).status_code == 404
    assert other.post(reverse("draft-discard", kwargs={"reference": draft.pk})).status_code == 404
    assert Draft.objects.get(pk=draft.pk).resumed_at is None
    assert not Draft.objects.restrict(world.user(persona), "view").exists()
    # Even after its author resumed it, naming it in the form's address shows nothing of it to another.
    services.do_resume_draft(draft_id=draft.pk, actor=world.user("teacher_lambeth"))
    if other.get(CONCERN_URL).status_code == 200:
        page = other.get(f"{CONCERN_URL}?draft_id={draft.pk}").content.decode()
        assert NARRATIVE not in page and "no longer available" in page


def test_a_forged_altered_or_expired_token_is_refused_and_nothing_is_kept(world, settings):
    client = _signed_in(world)
    tokens = _open_form(client)
    _end_session(client)
    signed, _sep, signature = tokens[BINDING].rpartition(":")
    forged = [
        signed + ":" + ("A" if signature[0] != "A" else "B") + signature[1:],  # altered signature
        tokens[BINDING].replace(tokens[BINDING][:10], "eyJ1Ijo5OT"),  # altered payload (another user)
        "not-a-token",
    ]
    for token in forged:
        response = client.post(CONCERN_URL, {**_concern_form(), **tokens, BINDING: token})
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert_audit(Action.DENIED, object_type="draft", outcome="denied")
    settings.DRAFT_BINDING_HOURS = 0  # every token is now too old
    time.sleep(1.1)
    client.post(CONCERN_URL, {**_concern_form(), **tokens})
    assert not Draft.objects.exists()
    assert "could not be kept" in client.get(reverse("login")).content.decode()


def test_a_token_for_another_form_page_or_browser_is_refused(world, client_for):
    teacher_concern = new_concern(world, "teacher_lambeth", given="Tokenform", family="Case", dob=None, age=14)
    dsl = _signed_in(world, "dsl_lambeth")
    from tests.two_factor_helpers import ensure_authenticator, mark_session_verified

    mark_session_verified(dsl, ensure_authenticator(world.user("dsl_lambeth")))
    refer_url = reverse("referral-create", kwargs={"reference": teacher_concern.subject.reference})
    referral_tokens = _open_form(dsl, refer_url)
    _end_session(dsl)
    # The referral page's token posted to the concern form: another form, refused.
    dsl.post(CONCERN_URL, {**_concern_form(), **referral_tokens})
    assert not Draft.objects.exists()
    # The concern page's token, copied to another browser (another CSRF cookie): refused.
    client = _signed_in(world)
    tokens = _open_form(client)
    stranger = Client(enforce_csrf_checks=True)
    stranger_csrf = _hidden(stranger.get(reverse("login")).content.decode(), "csrfmiddlewaretoken")
    stranger.post(CONCERN_URL, {**_concern_form(), BINDING: tokens[BINDING], "csrfmiddlewaretoken": stranger_csrf})
    assert not Draft.objects.exists()


def test_a_cross_site_post_without_the_csrf_token_plants_nothing(world):
    client = _signed_in(world)
    tokens = _open_form(client)
    _end_session(client)
    response = client.post(CONCERN_URL, {**_concern_form(), BINDING: tokens[BINDING]})
    assert response.status_code == 403
    assert not Draft.objects.exists()


def test_secrets_are_never_kept_and_an_oversized_form_is_not_kept(world):
    _post_after_timeout(world, data=_concern_form(password="hunter2hunter2", otp_token="123456",
                                                  recovery_code="abcd"))
    draft = Draft.objects.get()
    assert not {"password", "otp_token", "recovery_code"} & set(draft.data)
    services.do_discard_draft(draft_id=draft.pk, actor=world.user("teacher_lambeth"))
    _client, response = _post_after_timeout(world, data=_concern_form(narrative="x" * 30_000))
    assert response.status_code == 302 and not Draft.objects.exists()


def test_a_referral_draft_is_bound_to_her_and_erased_with_her(world, client_for):
    concern = new_concern(world, "teacher_lambeth", given="Erasedraft", family="Case", dob=None, age=14)
    subject = concern.subject
    dsl = client_for("dsl_lambeth")
    url = reverse("referral-create", kwargs={"reference": subject.reference})
    html = dsl.get(url).content.decode()
    binding = _hidden(html, BINDING)
    _end_session(dsl)
    response = dsl.post(url, {"summary": "Draftcanary summary about her.", "legal_basis": "safeguarding",
                              "consent": "given", BINDING: binding})
    assert response.status_code == 302
    assert not Referral.objects.filter(subject=subject).exists()
    draft = Draft.objects.get(user=world.user("dsl_lambeth"), form="referral-create")
    assert draft.subject_id == subject.pk
    do_erase_subject(subject=subject, reason="subject_request", actor=None)
    assert not Draft.objects.filter(pk=draft.pk).exists()
    assert DataKey.objects.get(pk=draft.data_key_id).is_shredded


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_restored_backup_never_brings_back_a_readable_draft_about_an_erased_girl(world, tmp_path):
    """The main database restored from before her erasure has the draft row back, but not its key; the
    key store restored too has the key back until ``reapply_erasures`` (the draft's key is in the ledger)."""
    from io import StringIO

    from django.core.management import call_command

    from encryption.keys import clear_cache
    from tests.encryption.test_backup_restore import Backup

    concern = new_concern(world, "teacher_lambeth", given="Backupdraft", family="Case", dob=None, age=14)
    dsl = world.user("dsl_lambeth")
    draft = services.do_keep_draft(user=dsl, form="referral-create", path="/subjects/x/refer/",
                                   data={"summary": [NARRATIVE]}, subject_reference=concern.subject.reference,
                                   actor=dsl)
    main_before, keys_before = Backup("default", tmp_path, "draftnightly"), Backup("keys", tmp_path, "draftkeys")
    try:
        do_erase_subject(subject=concern.subject, reason="subject_request", actor=None)
        assert not Draft.objects.filter(pk=draft.pk).exists()
        ledger = tmp_path / "erasures.json"
        call_command("export_erasures", "--output", str(ledger), stdout=StringIO())
        main_before.restore()
        assert Draft.objects.get(pk=draft.pk).data is ERASED  # the row is back, its key is not
        keys_before.restore()
        call_command("reapply_erasures", "--ledger", str(ledger), stdout=StringIO())
        clear_cache()
        # Her key is shredded again and her erasure finished again: the draft row is gone, as it was.
        assert not Draft.objects.filter(pk=draft.pk).exists()
    finally:
        main_before.drop()
        keys_before.drop()


def test_a_draft_binds_only_to_a_young_person_its_author_may_see_and_only_for_a_member(world):
    hidden = new_concern(world, "teacher_southwark", given="Notyours", family="Case", dob=None, age=14,
                         borough="Southwark").subject
    teacher = world.user("teacher_lambeth")
    draft = services.do_keep_draft(user=teacher, form="concern-create", path=CONCERN_URL,
                                   data={"subject": [hidden.reference]}, subject_reference=hidden.reference,
                                   actor=teacher)
    assert draft.subject is None
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        lonely = world.user("inactive_membership")
        services.do_keep_draft(user=lonely, form="concern-create", path=CONCERN_URL, data={}, actor=lonely)


def test_drafts_expire_after_a_day(world):
    teacher = world.user("teacher_lambeth")
    draft = services.do_keep_draft(user=teacher, form="concern-create", path=CONCERN_URL,
                                   data={"narrative": [NARRATIVE]}, actor=teacher)
    assert draft.expires_at == draft.saved_at + dt.timedelta(hours=settings.DRAFT_HOURS)
    assert services.do_expire_drafts(now=draft.expires_at - dt.timedelta(seconds=1)) == 0
    Draft.objects.filter(pk=draft.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    # Past its expiry it is offered to nobody, not even its author, even before the job runs.
    assert not Draft.objects.restrict(teacher, "view").exists()
    with pytest.raises(Draft.DoesNotExist):
        services.do_resume_draft(draft_id=draft.pk, actor=teacher)
    from django.core.management import call_command

    out = io.StringIO()
    call_command("expire_drafts", stdout=out)
    assert "1 expired draft(s) ended." in out.getvalue()
    assert not Draft.objects.filter(pk=draft.pk).exists()
    assert DataKey.objects.get(pk=draft.data_key_id).is_shredded


def test_apply_retention_also_ends_expired_drafts(world):
    teacher = world.user("teacher_lambeth")
    draft = services.do_keep_draft(user=teacher, form="concern-create", path=CONCERN_URL,
                                   data={"narrative": [NARRATIVE]}, actor=teacher)
    Draft.objects.filter(pk=draft.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    from django.core.management import call_command

    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "1 expired draft(s) ended." in out.getvalue()
    assert not Draft.objects.filter(pk=draft.pk).exists()


def test_services_record_one_event_each_with_no_personal_data(world):
    teacher = world.user("teacher_lambeth")
    draft = services.do_keep_draft(user=teacher, form="concern-create", path=CONCERN_URL,
                                   data={"narrative": [NARRATIVE]}, actor=teacher)
    event = assert_audit(Action.CREATE, object_type="draft", service="do_keep_draft", only=True)
    services.do_resume_draft(draft_id=draft.pk, actor=teacher)
    assert_audit(Action.UPDATE, object_type="draft", service="do_resume_draft", only=True)
    services.do_discard_draft(draft_id=draft.pk, actor=teacher)
    assert_audit(Action.ERASE, object_type="draft", service="do_discard_draft", only=True)
    services.do_expire_drafts()
    assert_audit(Action.ERASE, object_type="draft", service="do_expire_drafts", only=True)
    assert "Draftcanary" not in str(event.detail) and event.reference == str(draft.pk)


def test_when_the_warning_ran_out_on_a_live_session_the_form_is_kept_not_sent(world, client_for):
    concern = new_concern(world, "teacher_lambeth", given="Liveform", family="Case", dob=None, age=14)
    dsl = client_for("dsl_lambeth")
    url = reverse("referral-create", kwargs={"reference": concern.subject.reference})
    binding = _hidden(dsl.get(url).content.decode(), BINDING)
    response = dsl.post(url, {"summary": "Draftcanary summary.", "legal_basis": "safeguarding", "consent": "given",
                              BINDING: binding, "draft_only": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert not Referral.objects.filter(subject=concern.subject).exists()
    draft = Draft.objects.get(user=world.user("dsl_lambeth"))
    assert "draft_only" not in draft.data
    # Another user's token is not enough to keep a draft in a live session.
    teacher = _signed_in(world)
    teacher_binding = _open_form(teacher)[BINDING]
    dsl.post(CONCERN_URL, {**_concern_form(), BINDING: teacher_binding, "draft_only": "1"})
    assert Draft.objects.count() == 1


# --- The session's end: said on every page, and "Stay signed in" -------------------------------------


def test_every_signed_in_page_says_when_the_session_ends(world, client_for):
    page = client_for("teacher_lambeth").get(reverse("home")).content.decode()
    ends = timezone.localtime(timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE))
    assert "For your security, we will sign you out at" in page
    assert ends.strftime("%H:%M") in page or (ends - dt.timedelta(minutes=1)).strftime("%H:%M") in page
    assert 'role="dialog"' not in page  # the native <dialog> is a dialog already; no duplicated role
    assert "<dialog" in page and 'aria-labelledby="app-timeout-title"' in page
    assert "For your security" not in Client().get(reverse("login")).content.decode()


def test_stay_signed_in_restarts_the_idle_clock_but_never_the_absolute_one(world, client_for, settings):
    client = client_for("teacher_lambeth")
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + dt.timedelta(minutes=1))
    response = client.post(reverse("session-keep-alive"))
    assert response.status_code == 200
    answer = response.json()
    assert answer["seconds_left"] == settings.SESSION_COOKIE_AGE and answer["absolute"] is False
    expires = Session.objects.get(session_key=key).expire_date
    assert expires > timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
    # Ten minutes before the absolute limit, staying signed in gives ten minutes, not thirty.
    set_session_value(client, SIGNED_IN_AT, time.time() - settings.SESSION_ABSOLUTE_HOURS * 3600 + 600)
    answer = client.post(reverse("session-keep-alive")).json()
    assert answer["absolute"] is True and 590 <= answer["seconds_left"] <= 600
    assert "a session lasts at most 10 hours" in client.get(reverse("home")).content.decode()
    # Past it, the session is over: sent to sign in.
    set_session_value(client, SIGNED_IN_AT, time.time() - settings.SESSION_ABSOLUTE_HOURS * 3600 - 1)
    assert client.post(reverse("session-keep-alive")).status_code == 302


def test_the_timeout_script_stores_nothing_in_the_browser():
    script = (Path(settings.BASE_DIR) / "static" / "js" / "timeout-warning.js").read_text()
    assert "sessionStorage." not in script and "localStorage." not in script and "document.cookie" not in script
