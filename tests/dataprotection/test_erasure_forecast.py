"""The data protection officer's forecast of what retention erases in the next 90 days."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from dataprotection import views
from dataprotection.export import erasure_forecast
from referrals.services import do_set_legal_hold, subjects_due_for_erasure
from tests.audit_helpers import assert_audit, audit_checkpoint
from tests.factories import new_concern

pytestmark = pytest.mark.django_db


def _born(years_ago: int, days: int) -> dt.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years_ago) + dt.timedelta(days=days)


@pytest.fixture
def due(world, settings):
    """Retention dates: one passed, two within 90 days (one on legal hold), one by age estimate, one far off."""
    years = settings.SUBJECT_RETENTION_YEARS
    made = {
        "overdue": new_concern(world, "teacher_lambeth", given="Ada", family="Pastdue", dob=_born(years, -70),
                          borough="Lambeth").subject,
        "soon": new_concern(world, "teacher_lambeth", given="Bea", family="Soondue", dob=_born(years, 20),
                       borough="Lambeth").subject,
        "held": new_concern(world, "teacher_southwark", given="Cleo", family="Heldback", dob=_born(years, 25),
                       borough="Southwark").subject,
        "later": new_concern(world, "teacher_lambeth", given="Dee", family="Muchlater", dob=_born(years - 1, 0),
                        borough="Lambeth").subject,
    }
    do_set_legal_hold(subject=made["held"], on_hold=True, reason="court_order", actor=None)
    audit_checkpoint()
    return made


def test_the_forecast_and_apply_retention_use_one_selection(due):
    today = timezone.localdate()
    assert list(subjects_due_for_erasure(today)) == [due["overdue"]]
    assert {s.reference for s in erasure_forecast(today)} == {due["overdue"].reference, due["soon"].reference}
    assert [s.reference for s in erasure_forecast(today, on_legal_hold=True)] == [due["held"].reference]
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert due["overdue"].reference in out.getvalue() and due["soon"].reference not in out.getvalue()


def test_the_page_lists_references_rules_and_dates_with_holds_apart(client_for, world, due):
    response = client_for("dpo").get(reverse("erasure-forecast"))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-forecast="{due["overdue"].reference}"' in html and f'data-forecast="{due["soon"].reference}"' in html
    assert f'data-held="{due["held"].reference}"' in html and f'data-forecast="{due["held"].reference}"' not in html
    assert due["later"].reference not in html
    assert "25 years after date of birth" in html
    assert "Bea" not in html and "Soondue" not in html  # reference numbers only
    assert_audit("list", actor=world.user("dpo"), object_type="erasure_forecast")


def test_the_page_is_paginated(client_for, due, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    first = client_for("dpo").get(reverse("erasure-forecast")).content.decode()
    second = client_for("dpo").get(reverse("erasure-forecast"), {"page": 2}).content.decode()
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert (due["overdue"].reference in first) != (due["overdue"].reference in second)


def test_an_age_estimate_names_its_rule(client_for, world):
    new_concern(world, "teacher_lambeth", given="Eve", family="Estimate", dob=None, age=25, borough="Lambeth")
    html = client_for("dpo").get(reverse("erasure-forecast")).content.decode()
    assert "estimated year of birth" in html


def test_the_csv_download(client_for, world, due):
    response = client_for("dpo").get(reverse("erasure-forecast-export"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_reference = {row["reference"]: row for row in rows}
    assert set(by_reference) == {due["overdue"].reference, due["soon"].reference, due["held"].reference}
    assert by_reference[due["held"].reference]["legal_hold"] == "yes"
    assert by_reference[due["held"].reference]["erased_on"] == ""
    assert by_reference[due["overdue"].reference]["erased_on"] == timezone.localdate().isoformat()
    assert_audit("export", actor=world.user("dpo"), object_type="erasure_forecast")
