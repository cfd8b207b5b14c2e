"""The MASH lead's lists name each girl, with her age and the agencies involved (MASH leads may see names);
nobody else's list does, and the cost does not grow with the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.factories import new_concern, new_referral, new_subject

pytestmark = pytest.mark.django_db


def test_the_mash_inbox_names_each_girl_with_her_age_and_agencies(world, client_for):
    concern = new_concern(world, "teacher_lambeth", given="Inboxia", family="Namedcase", dob=dt.date(2011, 1, 5))
    new_concern(world, "gp_lambeth", given="Inboxia", family="Namedcase", dob=dt.date(2011, 1, 5))
    new_referral(world, concern.subject)
    html = client_for("mash_lambeth").get(reverse("referral-list")).content.decode()
    assert "Inboxia Namedcase" in html and concern.subject.reference in html
    assert "Lambeth Test Academy, Lambeth Test Surgery" in html
    # The referrer's own list keeps to what it had: status and decision, no name from the MASH's side.
    mine = client_for("dsl_lambeth").get(reverse("my-referrals")).content.decode()
    assert "Lambeth Test Surgery" not in mine
    assert "Inboxia" not in client_for("mash_southwark").get(reverse("referral-list")).content.decode()


def test_the_inbox_costs_the_same_for_one_referral_or_many(world, client_for, django_assert_max_num_queries):
    client = client_for("mash_lambeth")
    new_referral(world, new_subject(world))
    with django_assert_max_num_queries(60) as one:
        client.get(reverse("referral-list"))
    for _ in range(6):
        new_referral(world, new_subject(world))
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(reverse("referral-list"))


def test_possible_duplicates_give_age_and_agencies(world, client_for):
    new_concern(world, "teacher_lambeth", given="Dupla", family="Twincase", dob=dt.date(2010, 6, 7))
    new_concern(world, "gp_lambeth", given="Duppla", family="Twincase", dob=dt.date(2010, 6, 7))
    html = client_for("mash_lambeth").get(reverse("duplicate-list")).content.decode()
    assert "Twincase" in html and "Lambeth Test Surgery" in html


def test_her_page_gives_register_status_and_open_referral_at_a_glance_to_those_who_may_see_them(world, client_for):
    from tests.factories import raise_automatic_referral

    referral = raise_automatic_referral(world, n=41)
    url = reverse("subject-detail", kwargs={"reference": referral.subject.reference})
    mash = client_for("mash_lambeth").get(url).content.decode()
    assert "At a glance" in mash and "On the register since" in mash and referral.reference in mash
    # Her recorder learns nothing new: not the register, not the MASH's automatic referral.
    teacher = client_for("teacher_lambeth").get(url).content.decode()
    assert "On the register" not in teacher and referral.reference not in teacher


def test_a_receiving_service_sees_its_own_deadline_not_the_mashs(world, client_for):
    from tests.factories import advance_referral

    referral = advance_referral(world, new_referral(world, new_subject(world)), "decided")
    html = client_for("csc_lambeth").get(reverse("referral-list")).content.decode()
    assert referral.reference in html and "Your deadline" in html and "Decision due" not in html
    assert "Referra" not in html.split("Your deadline")[1]  # no name in a receiving service's list


def test_a_receiving_service_reads_the_referral_but_not_her_record_until_it_accepts(world, client_for):
    from referrals import routing
    from tests.factories import advance_referral

    subject = new_subject(world)
    referral = advance_referral(world, new_referral(world, subject), "decided")
    csc = client_for("csc_lambeth")
    pages = [reverse(name, kwargs={"reference": subject.reference})
             for name in ("subject-detail", "subject-risk", "map-subject")]
    assert csc.get(reverse("referral-detail", kwargs={"reference": referral.reference})).status_code == 200
    assert [csc.get(url).status_code for url in pages] == [404, 404, 404]
    routing.do_respond_to_referral(referral, accept=True, reason="", version=referral.version,
                                   actor=world.user("csc_lambeth"))
    assert [csc.get(url).status_code for url in pages] == [200, 200, 200]
