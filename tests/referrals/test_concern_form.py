"""The quicker concern form: the date seen defaults to today, what she has already done is recorded (under
her key), errors are listed in page order, and a second concern about her shows her name as entered."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from agencies.models import Borough
from referrals import intake
from referrals.choices import ActionTaken
from referrals.intake import SubjectDetails
from referrals.models import Concern
from tests.audit_helpers import assert_audit, audit_checkpoint
from tests.factories import new_concern

pytestmark = pytest.mark.django_db


def test_the_form_opens_with_today_as_the_date_seen(client_for):
    html = client_for("teacher_lambeth").get(reverse("concern-create")).content.decode()
    today = timezone.localdate()
    for part, value in (("day", today.day), ("month", today.month), ("year", today.year)):
        assert re.search(rf'name="observed_{part}"[^>]*value="{value}"', html), part


def test_what_she_has_already_done_is_kept_under_her_key_and_shown_back(world, client_for):
    audit_checkpoint()
    concern, _ = intake.do_record_concern(
        details=SubjectDetails(given_name="Donea", family_name="Alreadycase", date_of_birth=dt.date(2011, 2, 3)),
        home_borough=Borough.objects.get(name="Lambeth"), observed_on=timezone.localdate(), indicators=[],
        narrative="Saw her get into a car.", seriously_worried=False, idempotency_key=uuid.uuid4(),
        actor=world.user("teacher_lambeth"), actions_taken=[ActionTaken.CALLED_999, ActionTaken.TOLD_DSL])
    assert_audit("create", object_type="concern", reference=concern.reference, service="do_record_concern")
    concern.refresh_from_db()
    assert concern.actions_taken == ["called_999", "told_dsl"]
    raw = Concern._base_manager.filter(pk=concern.pk).values_list("actions_taken", flat=True).get()
    assert "called_999" not in str(raw)
    page = client_for("teacher_lambeth").get(reverse("concern-detail", kwargs={"reference": concern.reference}))
    assert "Called 999" in page.content.decode() and "Told my designated safeguarding lead" in page.content.decode()


def test_an_unknown_action_is_refused_and_nothing_is_written(world):
    with pytest.raises(ValidationError):
        intake.do_record_concern(
            details=SubjectDetails(given_name="Refusa", family_name="Badcode", date_of_birth=dt.date(2011, 2, 3)),
            home_borough=Borough.objects.get(name="Lambeth"), observed_on=timezone.localdate(), indicators=[],
            narrative="x", seriously_worried=False, idempotency_key=uuid.uuid4(),
            actor=world.user("teacher_lambeth"), actions_taken=["told_the_press"])
    assert not Concern.objects.exists()


def test_the_error_summary_lists_errors_in_page_order(client_for):
    response = client_for("teacher_lambeth").post(reverse("concern-create"), {
        "idempotency_key": str(uuid.uuid4()), "home_borough": "lambeth", "observed_day": "40"})
    html = response.content.decode()
    summary = html[html.index("govuk-error-summary__list"):html.index("</ul>", html.index("govuk-error-summary__list"))]
    order = [m.group(1) for m in re.finditer(r'href="#id_([a-z_]+)"', summary)]
    page = [m.group(1) for m in re.finditer(r'<(?:input|select|textarea)[^>]*id="id_([a-z_]+)"', html)]
    positions = [page.index(name) for name in order if name in page]
    assert order and positions == sorted(positions), order


def test_another_concern_shows_her_name_as_this_recorder_entered_it(world, client_for):
    concern = new_concern(world, "teacher_lambeth", given="Namedia", family="Asentered", dob=dt.date(2011, 5, 6))
    page = client_for("teacher_lambeth").get(reverse("concern-create") + f"?subject={concern.subject.reference}")
    assert "Namedia Asentered" in page.content.decode()
    # A practitioner at another agency who recorded about her sees what they entered, not the teacher's.
    other = new_concern(world, "gp_lambeth", given="Namedia", family="Asentered", dob=dt.date(2011, 5, 6))
    assert other.subject_id == concern.subject_id
