"""Forms for referral routing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms

from agencies.models import Agency
from config.forms import ServiceForm, TextField
from referrals.choices import ConsentPosition, LegalBasis, ReferralDecision
from referrals.routing import PATHWAY_RESPONSES, PathwayChoice
from risk.choices import PathwayConsent
from risk.pathways import CONSENT_LABELS, Catalogue, PathwaySpec, Proposal, Recommendation


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


@dataclass(frozen=True)
class PathwayOption:
    """One pathway of the active catalogue as the decision form offers it: recommended or not (with the
    system's recommendation), the agencies of her borough that take it, and whose consent it needs at her
    age ("none" when nobody's)."""

    spec: PathwaySpec
    recommendation: Recommendation | None
    agencies: list[Agency]
    consent: str


def pathway_options(catalogue: Catalogue, proposal: Proposal | None, agencies: dict[str, list[Agency]],
                    age: int | None) -> list[PathwayOption]:
    """Every pathway of the catalogue that some agency of her borough takes (or that is recommended), the
    recommended ones first in the proposal's order (most urgent first)."""
    recommended = {item.pathway.code: item for item in proposal.recommended} if proposal is not None else {}
    open_now = {item.pathway.code for item in proposal.already_open} if proposal is not None else set()
    ordered = [item.pathway for item in recommended.values()] + [
        spec for spec in catalogue.pathways if spec.code not in recommended and spec.code not in open_now]
    return [PathwayOption(spec=spec, recommendation=recommended.get(spec.code), agencies=agencies.get(spec.code, []),
                          consent=spec.consent_for(age))
            for spec in ordered if spec.code in recommended or agencies.get(spec.code)]


class DecisionForm(ServiceForm):
    """The MASH's decision. The version is the referral's as the lead loaded it.

    Routing her on, each pathway of the catalogue is a tick box (the recommended ones ticked already, so
    that accepting the recommendation is one click), a choice of the agencies of her borough that take it
    (chosen already when there is only one), a reason (to leave out a recommended pathway, or to add one
    that is not), and her consent position where the pathway needs it at her age."""

    version = _version_field()
    decision = forms.ChoiceField(label="Decision", choices=ReferralDecision.choices, widget=forms.RadioSelect,
                                 error_messages={"required": "Choose a decision."})
    reason = TextField(label="Reason for the decision", widget=forms.Textarea(attrs={"rows": 5}),
                             max_length=4000, error_messages={"required": "Give the reason for the decision."})

    def __init__(self, *args: Any, options: list[PathwayOption] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = options or []
        for option in self.options:
            code, label = option.spec.code, option.spec.label
            self.fields[f"pathway-{code}"] = forms.BooleanField(
                label=label, required=False, initial=option.recommendation is not None and bool(option.agencies))
            # Choices from the agencies already loaded for the page (one query for every pathway).
            self.fields[f"agency-{code}"] = forms.TypedChoiceField(
                label=f"Service to refer to for \u201c{label}\u201d", required=False, coerce=int, empty_value=None,
                choices=[("", "Choose a service"), *((a.pk, a.name) for a in option.agencies)],
                initial=option.agencies[0].pk if len(option.agencies) == 1 else None,
                error_messages={"invalid_choice": "Choose one of the services offered."})
            self.fields[f"why-{code}"] = TextField(
                label=("If you leave it out, why?" if option.recommendation is not None
                       else "If you add it, why? (the system did not recommend it)"),
                required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
            if option.consent != PathwayConsent.NONE:
                self.fields[f"consent-{code}"] = forms.ChoiceField(
                    label=f"Her consent ({CONSENT_LABELS[option.consent].lower()})", required=False,
                    choices=ConsentPosition.choices, widget=forms.RadioSelect,
                    error_messages={"invalid_choice": "Choose one of the options given."})

    def rows(self) -> list[dict[str, Any]]:
        """The pathway rows for the template: the option and its bound fields."""
        return [{"option": option, "code": option.spec.code, "tick": self[f"pathway-{option.spec.code}"],
                 "agency": self[f"agency-{option.spec.code}"], "why": self[f"why-{option.spec.code}"],
                 "consent": self[f"consent-{option.spec.code}"] if f"consent-{option.spec.code}" in self.fields
                 else None} for option in self.options]

    def recommended_rows(self) -> list[dict[str, Any]]:
        return [row for row in self.rows() if row["option"].recommendation is not None]

    def other_rows(self) -> list[dict[str, Any]]:
        return [row for row in self.rows() if row["option"].recommendation is None]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == ReferralDecision.ROUTED and not self.chosen():
            self.add_error(None, "Tick at least one pathway to refer her on to.")
        return data

    def chosen(self) -> list[PathwayChoice]:
        """The ticked pathways, as the decision service takes them."""
        data = self.cleaned_data
        agencies = {agency.pk: agency for option in self.options for agency in option.agencies}
        return [PathwayChoice(option.spec.code, agencies.get(data.get(f"agency-{option.spec.code}") or 0),
                              reason=data.get(f"why-{option.spec.code}") or "",
                              consent=data.get(f"consent-{option.spec.code}") or "")
                for option in self.options if data.get(f"pathway-{option.spec.code}")]

    def left_out(self) -> dict[str, str]:
        """The recommended pathways not ticked, with the reasons typed for them."""
        data = self.cleaned_data
        return {option.spec.code: data.get(f"why-{option.spec.code}") or "" for option in self.options
                if option.recommendation is not None and not data.get(f"pathway-{option.spec.code}")}


class ReferralActionForm(ServiceForm):
    """Any other move on the referral page: screen, accept, decline, close, withdraw."""

    ACTIONS = [("screen", "Start screening"), ("accept", "Accept"), ("decline", "Decline"), ("close", "Close"),
               ("withdraw", "Withdraw")]
    action = forms.ChoiceField(choices=ACTIONS, error_messages={"invalid_choice": "Choose what to do."})
    version = _version_field()
    reason = TextField(label="Reason", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=4000)


class PathwayResponseForm(ServiceForm):
    """A receiving service answers for one pathway routed to it: accept, decline (with a reason) or
    complete. The version is the pathway's as the page was loaded."""

    pathway = forms.UUIDField(widget=forms.HiddenInput, error_messages=dict.fromkeys(
        ("required", "invalid"), "This page is out of date or damaged. Reload it and try again."))
    response = forms.ChoiceField(choices=[(key, key.capitalize()) for key in PATHWAY_RESPONSES],
                                 error_messages=dict.fromkeys(("invalid_choice", "required"), "Choose what to do."))
    version = _version_field()
    reason = TextField(label="Reason (needed to decline)", required=False, widget=forms.Textarea(attrs={"rows": 2}),
                       max_length=4000)
