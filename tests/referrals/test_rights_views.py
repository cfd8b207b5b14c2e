"""The pages of her rights: correcting her details and restricting processing, for her home
borough's MASH lead; the banner a restricted record shows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from referrals import rights
from referrals.models import Subject
from tests.audit_helpers import assert_audit, audit_checkpoint
from tests.factories import new_concern

pytestmark = pytest.mark.django_db


def _girl(world, n: int = 1) -> Subject:
    concern = new_concern(world, "teacher_lambeth", given=f"Pagerights{n}", family="Viewcase",
                          dob=dt.date(2011, 2, 3), borough="Lambeth")
    return Subject.objects.get(pk=concern.subject_id)


def _rectify_post(subject, **overrides) -> dict[str, str]:
    data = {"version": rights.identity_version(subject), "given_name": "Pagerights1", "family_name": "Viewcase",
            "dob_day": "3", "dob_month": "2", "dob_year": "2011", "reason": "recording_error"}
    data.update(overrides)
    return data


def test_the_form_shows_her_current_identity_and_her_page_links_to_it(world, client_for):
    subject = _girl(world)
    client = client_for("mash_lambeth")
    page = client.get(reverse("subject-detail", kwargs={"reference": subject.reference})).content.decode()
    assert reverse("subject-rectify", kwargs={"reference": subject.reference}) in page
    assert reverse("subject-restriction", kwargs={"reference": subject.reference}) in page
    form = client.get(reverse("subject-rectify", kwargs={"reference": subject.reference})).content.decode()
    assert 'value="Pagerights1"' in form and 'value="2011"' in form
    # Others who see her have no such links.
    page = client_for("teacher_lambeth").get(reverse("subject-detail", kwargs={"reference": subject.reference}))
    assert reverse("subject-rectify", kwargs={"reference": subject.reference}) not in page.content.decode()


def test_posting_a_correction_saves_it_and_redirects_with_a_confirmation(world, client_for):
    subject = _girl(world)
    audit_checkpoint()
    response = client_for("mash_lambeth").post(reverse("subject-rectify", kwargs={"reference": subject.reference}),
                                               _rectify_post(subject, family_name="Viewcorrected"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("subject-detail", kwargs={"reference": subject.reference})
    assert "her details have been corrected" in response.content.decode()
    assert Subject.objects.get(pk=subject.pk).family_name == "Viewcorrected"
    assert_audit("update", object_type="subject", reference=subject.reference, service="do_rectify_subject_identity")


def test_a_stale_correction_is_shown_again_with_the_current_details(world, client_for):
    subject = _girl(world)
    stale = _rectify_post(subject, family_name="Firstlead")
    client = client_for("mash_lambeth")
    url = reverse("subject-rectify", kwargs={"reference": subject.reference})
    assert client.post(url, stale).status_code == 302
    response = client.post(url, {**stale, "family_name": "Secondlead"})
    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    assert Subject.objects.get(pk=subject.pk).family_name == "Firstlead"


def test_restricting_from_the_page_shows_the_banner_to_the_mash_but_not_to_the_recorder(world, client_for):
    subject = _girl(world)
    client = client_for("mash_lambeth")
    url = reverse("subject-restriction", kwargs={"reference": subject.reference})
    response = client.post(url, {"reason": "objection"}, follow=True)
    assert "processing of her record is restricted" in response.content.decode()
    assert Subject.objects.get(pk=subject.pk).restricted
    detail = reverse("subject-detail", kwargs={"reference": subject.reference})
    assert "Processing restricted" in client.get(detail).content.decode()
    assert "Processing restricted" in client.get(reverse("subject-risk", kwargs={"reference": subject.reference})
                                                 ).content.decode()
    # A recorder's page stays what it would be for a girl nobody else knows (DESIGN.md §5.6a).
    assert "Processing restricted" not in client_for("teacher_lambeth").get(detail).content.decode()
    # The same page now lifts it.
    assert "Lift the restriction" in client.get(url).content.decode()
    assert client.post(url, {"reason": "accuracy_settled"}).status_code == 302
    assert not Subject.objects.get(pk=subject.pk).restricted


def test_not_visible_is_404_and_visible_but_not_allowed_is_403(world, client_for):
    subject = _girl(world)
    for name in ["subject-rectify", "subject-restriction"]:
        url = reverse(name, kwargs={"reference": subject.reference})
        assert client_for("mash_southwark").get(url).status_code == 404
        assert client_for("teacher_lambeth").get(url).status_code == 403
        assert client_for("teacher_lambeth").post(url, {"reason": "objection"}).status_code == 403
    assert not Subject.objects.get(pk=subject.pk).restricted
