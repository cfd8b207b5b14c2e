"""The DPIA and the privacy documents point at tests that exist, and the measures they cite for
discrimination (docs/dpia.md, risk R5) are proved here."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

from dataprotection.inventory import model_fields, project_models
from risk.scoring import LEVEL_RANK, V3_CONFIG, ConcernFact, Decision, assess

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["docs/dpia.md", "docs/privacy-notice.md", "docs/information-sharing-agreement.md"]
REFERENCE = re.compile(r"(tests/[\w/]+\.py)::(\w+)")
PROTECTED = re.compile(r"ethnic|race|racial|religio|belief|nationality|gender|sexual_orientation|disabilit")


def _defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


@pytest.mark.parametrize("doc", DOCS)
def test_every_test_a_document_cites_exists(doc):
    text = (ROOT / doc).read_text()
    missing = [f"{file}::{name}" for file, name in REFERENCE.findall(text)
               if not (ROOT / file).exists() or name not in _defined_tests(ROOT / file)]
    assert missing == [], f"{doc} cites tests that do not exist: {missing}"


def test_every_risk_in_the_dpia_names_a_test_for_its_measures():
    text = (ROOT / "docs" / "dpia.md").read_text()
    risks = re.split(r"^### (?=R\d)", text, flags=re.MULTILINE)[1:]
    assert len(risks) >= 5
    for risk in risks:
        assert REFERENCE.search(risk), f"risk {risk.splitlines()[0]!r} names no test"


def test_the_scoring_inputs_carry_no_protected_characteristic():
    """Scoring sees signs, dates, agencies, the recorder's judgement and her age: never race, religion,
    nationality or any other protected characteristic (age is the one it uses, for the floors)."""
    for fact in (ConcernFact, Decision):
        names = [f.name for f in dataclasses.fields(fact)]
        assert not [n for n in names if PROTECTED.search(n)], names


def test_no_model_records_ethnicity_religion_or_nationality():
    """Nothing in the record asks for or stores a protected characteristic: the DPIA's equality section
    relies on it (and names the cost: disproportionality cannot be measured from this system alone)."""
    found = [f"{m._meta.label}.{f.name}" for m in project_models() for f in model_fields(m)
             if PROTECTED.search(f.name)]
    assert found == []


@pytest.mark.parametrize("age", [None, 11, 14, 17])
def test_where_she_lives_alone_never_puts_her_on_the_register(age):
    """Living in a gang-affected neighbourhood is a postcode, and postcodes stand in for race: reported by
    every agency, every month for a year, it never reaches the register's threshold on its own."""
    start = dt.date(2026, 1, 1)
    facts = [ConcernFact(reference=f"C{agency}{month:02d}", agency_id=agency,
                         observed_on=start + dt.timedelta(days=30 * month),
                         indicators=(("gang-neighbourhood", "vulnerability"),), age=age)
             for agency in range(1, 6) for month in range(12)]
    result = assess(facts, V3_CONFIG, start + dt.timedelta(days=365))
    assert LEVEL_RANK[result.level] < LEVEL_RANK[V3_CONFIG["register_threshold"]]
