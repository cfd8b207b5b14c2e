"""Forms for referral routing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from agencies.models import Agency
from config.forms import ServiceForm, TextField, model_choice_field
from referrals.choices import ConsentPosition, LegalBasis, Pathway, ReferralDecision
from referrals.routing import decidable_pathway_kinds


class ReferralForm(ServiceForm):
    """Refer a subject to her borough's MASH."""

    summary = TextField(label="Why are you referring?", widget=forms.Textarea(attrs={"rows": 5}),
                              max_length=4000, error_messages={"required": "Say why you are referring."},
                              help_text="What you are worried about now. The MASH sees the concerns already recorded.")
    legal_basis = forms.ChoiceField(label="Legal basis for sharing", choices=LegalBasis.choices,
                                    widget=forms.RadioSelect,
                                    error_messages={"required": "Choose the legal basis for sharing."})
    consent = forms.ChoiceField(label="Consent", choices=ConsentPosition.choices, widget=forms.RadioSelect,
                                error_messages={"required": "Say whether consent was given."})
    consent_override_reason = TextField(label="If consent was overridden, why?", required=False,
                                              widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        reason = (data.get("consent_override_reason") or "").strip()
        if data.get("consent") == ConsentPosition.OVERRIDDEN and not reason:
            self.add_error("consent_override_reason", "Give the reason for overriding consent.")
        return data


# The referral's version as the page was loaded: a positive integer column, so anything outside its range is
# a damaged or forged page, not a stale one.
def _version_field() -> forms.IntegerField:
    return forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=2_147_483_647,
        error_messages=dict.fromkeys(("required", "invalid", "min_value", "max_value"),
                                     "This page is out of date or damaged. Reload it and try again."),
    )


def _pathway_agencies() -> QuerySet[Agency]:
    return Agency.objects.filter(kind__in=decidable_pathway_kinds(), is_active=True).select_related("borough")


class DecisionForm(ServiceForm):
    """The MASH's decision. The version is the referral's as the lead loaded it."""

    version = _version_field()
    decision = forms.ChoiceField(label="Decision", choices=ReferralDecision.choices, widget=forms.RadioSelect,
                                 error_messages={"required": "Choose a decision."})
    pathway = forms.ChoiceField(label="Pathway (when referring on)", choices=[("", "Choose a pathway"),
                                                                              *Pathway.choices], required=False)
    receiving_agency = forms.ModelChoiceField(label="Service to refer to", queryset=Agency.objects.none(),
                                              required=False, empty_label="Choose a service")
    reason = TextField(label="Reason for the decision", widget=forms.Textarea(attrs={"rows": 5}),
                             max_length=4000, error_messages={"required": "Give the reason for the decision."})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "receiving_agency").queryset = _pathway_agencies()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == ReferralDecision.ROUTED:
            if not data.get("pathway"):
                self.add_error("pathway", "Choose the pathway.")
            if not data.get("receiving_agency"):
                self.add_error("receiving_agency", "Choose the service to refer to.")
        elif data.get("decision") and (data.get("pathway") or data.get("receiving_agency")):
            self.add_error("pathway", "Only a referral on to a service has a pathway. Clear the pathway and service.")
        return data


class ReferralActionForm(ServiceForm):
    """Any other move on the referral page: screen, accept, decline, close, withdraw."""

    ACTIONS = [("screen", "Start screening"), ("accept", "Accept"), ("decline", "Decline"), ("close", "Close"),
               ("withdraw", "Withdraw")]
    action = forms.ChoiceField(choices=ACTIONS, error_messages={"invalid_choice": "Choose what to do."})
    version = _version_field()
    reason = TextField(label="Reason", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=4000)
