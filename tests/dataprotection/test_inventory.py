"""The data inventory (``python manage.py data_inventory``) covers every model and field, says true
things the code can check, and its committed Markdown (``docs/data-inventory.md``) is its current output."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dataprotection import inventory
from encryption.fields import EncryptedField

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "data-inventory.md"


def _run(*args: str) -> str:
    out = StringIO()
    call_command("data_inventory", *args, stdout=out)
    return out.getvalue()


def test_every_model_and_field_has_its_entry():
    problems = inventory.gaps()
    assert vars(problems) == vars(inventory.Gaps()), (
        "Give every new model an entry in dataprotection/inventory.py (MODELS if it holds personal data, "
        f"NOT_PERSONAL or THIRD_PARTY if not) and every clear field a reason in FIELDS: {vars(problems)}")


def test_a_new_field_or_model_without_an_entry_is_found(monkeypatch):
    fields = {label: dict(entries) for label, entries in inventory.FIELDS.items()}
    del fields["referrals.Concern"]["observed_on"]
    monkeypatch.setattr(inventory, "FIELDS", fields)
    monkeypatch.setattr(inventory, "MODELS", {k: v for k, v in inventory.MODELS.items() if k != "risk.Link"})
    monkeypatch.setattr(inventory, "THIRD_PARTY", {k: v for k, v in inventory.THIRD_PARTY.items() if k != "auth.User"})
    problems = inventory.gaps()
    assert problems.fields_without_entry == ["referrals.Concern.observed_on"]
    assert problems.models_without_entry == ["risk.Link", "auth.User"]
    with pytest.raises(CommandError, match="referrals.Concern.observed_on"):
        _run()


def test_an_entry_for_a_field_that_is_gone_is_stale(monkeypatch):
    fields = {label: dict(entries) for label, entries in inventory.FIELDS.items()}
    fields["referrals.Subject"]["nickname"] = "left behind"
    monkeypatch.setattr(inventory, "FIELDS", fields)
    assert inventory.gaps().stale_fields == ["referrals.Subject.nickname"]


def test_every_model_with_case_data_or_encrypted_values_is_declared_personal():
    for model in inventory.project_models():
        encrypted = any(isinstance(f, EncryptedField) for f in model._meta.concrete_fields)
        if encrypted or hasattr(model, "access_rule"):
            assert model._meta.label in inventory.MODELS, model._meta.label


def test_every_personal_model_says_who_why_how_long_and_who_sees():
    for label, entry in inventory.MODELS.items():
        for name in ("about", "lawful_basis", "condition", "who_sees", "retention"):
            assert getattr(entry, name).strip(), f"{label}: {name} is empty"
        assert entry.subjects, label


def test_encrypted_fields_name_their_data_key():
    data = json.loads(_run("--format", "json"))
    by_model = {m["model"]: m for m in data["personal_data_models"]}
    subject_fields = {f["name"]: f for f in by_model["referrals.Subject"]["fields"]}
    assert subject_fields["given_name"]["encrypted"] is True
    assert subject_fields["given_name"]["data_key"] == "data_key_id"
    assert "her own data key" in subject_fields["given_name"]["protection"]
    narrative = next(f for f in by_model["referrals.Concern"]["fields"] if f["name"] == "narrative")
    assert narrative["data_key"] == "subject.data_key_id" and narrative["protection"].endswith(": hers")
    name = next(f for f in by_model["risk.Associate"]["fields"] if f["name"] == "name")
    assert "the associate's own data key" in name["protection"]
    # Copies read from the code: the history table and the key store.
    copies = " ".join(by_model["referrals.Subject"]["copies"])
    assert "referrals_historicalsubject" in copies and "key store" in copies
    assert not any("row history" in c for c in by_model["risk.Assessment"]["copies"])


# Read by the export through another model's rows rather than by name.
REACHED_THROUGH = {
    "referrals.ReferralTransition": "Referral's transitions",
    "referrals.ReferralPathway": "Referral's pathways",
    "risk.Associate": "Link", "risk.Place": "Link", "risk.Group": "Link",
}


def test_the_subject_access_export_claims_match_the_export_code():
    """An entry says a model is in the DPO's subject access export exactly when dataprotection/export.py
    reads it (a declared gap says "not yet"), so the inventory cannot promise more than the export gives."""
    source = (ROOT / "dataprotection" / "export.py").read_text()
    for label, entry in inventory.MODELS.items():
        read = re.search(rf"\b{label.split('.')[1]}\b", source) is not None or label in REACHED_THROUGH
        claims = any("subject access export" in e and not e.startswith("not yet") for e in entry.exports)
        assert claims == read, f"{label}: the entry's exports and dataprotection/export.py disagree"


def test_the_committed_markdown_is_the_commands_output():
    current = _run()
    assert DOC.exists(), (
        "docs/data-inventory.md is missing: run `python manage.py data_inventory > docs/data-inventory.md`")
    assert DOC.read_text() == current, (
        "docs/data-inventory.md is stale: run `python manage.py data_inventory > docs/data-inventory.md` "
        "and commit it")


def test_the_markdown_has_a_section_and_every_field_of_every_personal_model():
    text = _run()
    for model in inventory.project_models():
        if model._meta.label in inventory.MODELS:
            assert f"### {model._meta.label}\n" in text
            for f in inventory.model_fields(model):
                assert f"| `{f.name}` |" in text
