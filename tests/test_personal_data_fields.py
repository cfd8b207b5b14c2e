"""Every text field of every project model is either encrypted or on this allow-list of non-personal
fields (DESIGN.md §5.6): a new plain CharField, TextField or JSONField fails here until someone decides.

Staff accounts (django.contrib.auth) are the organisation's own records of its staff, not case data,
and are outside this walk; third-party apps' tables likewise.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

from encryption.fields import EncryptedField

PROJECT_APPS = ["agencies", "encryption", "audit", "referrals", "risk", "dataprotection"]

# "app.Model.field": why it is not personal data. Fields with choices are codes and need no entry.
ALLOW_LIST = {
    # Organisations and reference data, not people.
    "agencies.Borough.ons_code": "ONS code of a London borough",
    "agencies.Borough.name": "borough name",
    "agencies.Borough.slug": "borough slug",
    "agencies.Agency.name": "an organisation's name (a school, a GP practice)",
    "agencies.Agency.official_code": "an organisation's official code",
    "agencies.Role.label": "label of a role code",
    "agencies.UserSession.session_key": "a random session key",
    "agencies.PasswordInvitation.token_digest": "keyed hash of a random single-use token",
    # The key store: key ids, KEK ids and keyed hashes, never plaintext.
    "encryption.DataKey.kek_id": "the id of the key-encryption key",
    "encryption.BlindIndex.kind": "what a blind index hashes (a code)",
    "encryption.BlindIndex.digest": "an HMAC digest (README, Encryption: what it leaks)",
    # The access trail: references, codes and metadata only; purpose is a reason code.
    "audit.AccessEvent.actor_username": "staff user name",
    "audit.AccessEvent.actor_roles": "role codes",
    "audit.AccessEvent.object_type": "object type code",
    "audit.AccessEvent.reference": "a reference number (S-..., never a name)",
    "audit.AccessEvent.borough_code": "ONS code",
    "audit.AccessEvent.purpose": "a reason code or fixed text; never typed text (test_trail_free_text)",
    "audit.AccessEvent.detail": "ids, references and codes written by services",
    "audit.AccessEvent.request_id": "a random request id",
    "audit.AccessEvent.client_address": "staff client address (security logging)",
    "audit.AccessEvent.chain": "chain name (a borough code)",
    "audit.AccessEvent.prev_hash": "hash",
    "audit.AccessEvent.hash": "hash",
    "audit.VerificationRun.run_by": "staff user name or job name",
    "audit.VerificationRun.problem": "the verifier's own message: sequence numbers and hashes",
    # Case records: references and system-written values.
    "referrals.Subject.reference": "reference number",
    "referrals.Concern.reference": "reference number",
    "referrals.Referral.reference": "reference number",
    "referrals.SubjectShare.purpose": "written by routing: the referral reference and the pathway label",
    "risk.Associate.reference": "reference number",
    "risk.Place.reference": "reference number",
    "risk.Group.reference": "reference number",
    "risk.Link.reference": "reference number",
    "risk.Assessment.reason": "code of what triggered the assessment (concern, rescore, ...)",
    "risk.Assessment.explanation": "indicator codes, weights and agency ids",
    "dataprotection.BreakGlassGrant.reference": "reference number",
    # The catalogue and the scoring model: versioned reference data written by migrations.
    "risk.CatalogueVersion.title": "catalogue title",
    "risk.CatalogueVersion.source": "citation of the catalogue's source",
    "risk.Indicator.code": "indicator code",
    "risk.Indicator.label": "indicator label",
    "risk.Indicator.hint": "indicator hint",
    "risk.ScoringModel.title": "model title",
    "risk.ScoringModel.config": "weights and thresholds",
    "risk.PathwayCatalogue.title": "catalogue title",
    "risk.PathwayCatalogue.config": "pathways, recommendation rules and their sources",
}
# simple-history's own columns: the change type, and the reason (never set by this project's services).
HISTORY_FIELDS = {"history_type", "history_change_reason"}


def _text_fields():
    for app in PROJECT_APPS:
        for model in apps.get_app_config(app).get_models():
            live = getattr(model, "instance_type", model)  # a historical model checks as its live model
            for field in model._meta.concrete_fields:
                if isinstance(field, (models.CharField, models.TextField, models.JSONField)):
                    yield model, live, field


def test_every_text_field_is_encrypted_or_allowed():
    unexplained = []
    for model, live, field in _text_fields():
        if isinstance(field, EncryptedField) or field.choices or field.name in HISTORY_FIELDS:
            continue
        if f"{live._meta.label}.{field.name}" not in ALLOW_LIST:
            unexplained.append(f"{model._meta.label}.{field.name}")
    assert unexplained == [], (
        "Plain text fields that may hold personal data: encrypt them (encryption.fields) or add them to "
        f"ALLOW_LIST with the reason they are not personal: {unexplained}")


def test_the_allow_list_has_no_stale_entries():
    present = {f"{live._meta.label}.{field.name}" for _m, live, field in _text_fields()}
    assert set(ALLOW_LIST) - present == set()


def test_free_text_typed_about_people_is_encrypted():
    from referrals.models import Subject
    from risk.map.models import Group, Link, Place
    from risk.models import RegisterEntry

    for model, name in ((Place, "name"), (Group, "name"), (Link, "removal_reason"),
                        (RegisterEntry, "removal_reason"), (RegisterEntry, "reinstatement_reason"),
                        (Subject, "merge_reason")):
        assert isinstance(model._meta.get_field(name), EncryptedField)
        assert isinstance(model.history.model._meta.get_field(name), EncryptedField)
