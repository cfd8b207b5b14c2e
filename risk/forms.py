"""Forms of the register pages and of the MASH's decisions about her risk. Filters travel as GET
parameters: levels, flags and numeric ids only, never personal data (DESIGN.md §5.6)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from agencies.models import Agency
from config.forms import ServiceForm, TextField, model_choice_field
from risk import queries
from risk.choices import CHOSEN_REMOVAL_REASONS, ProtectiveFactorKind, RiskLevel
from risk.map.forms import DateInput
from risk.models import Indicator, ReviewOutcome
from risk.services.decisions import REASON_MIN


class _UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.username


class RegisterFilterForm(ServiceForm):
    level = forms.ChoiceField(choices=[("", "Any level"), *[c for c in RiskLevel.choices if c[0] != "none"]],
                              required=False)
    rising = forms.BooleanField(required=False, label="Rising (level went up in the last 4 weeks)")
    overdue = forms.BooleanField(required=False, label="Review overdue")
    new = forms.BooleanField(required=False, label="New this week")
    lead = _UserChoice(queryset=None, required=False, empty_label="Any lead professional",
                       label="Lead professional", widget=forms.Select(attrs={"class": "govuk-select"}))
    agency: forms.ModelChoiceField[Agency] = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Any agency", label="Agencies involved",
        widget=forms.Select(attrs={"class": "govuk-select"}))

    def __init__(self, *args: Any, borough: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "lead").queryset = queries.lead_candidates(borough.pk)
        agencies = Agency.objects.filter(borough=borough, is_active=True).order_by("name")
        model_choice_field(self, "agency").queryset = agencies


class ReviewForm(ServiceForm):
    outcome = forms.ChoiceField(choices=ReviewOutcome.choices, widget=forms.RadioSelect)
    notes = TextField(required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=5000,
                            help_text="Kept encrypted with the young person's record.")


class ReasonForm(ServiceForm):
    reason = TextField(max_length=200, help_text="Plain words: this is kept in the record's history.")

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give a reason.")
        return reason


class RemovalForm(ReasonForm):
    """Why she comes off the register: a code (counted by the statistics) and the MASH lead's own words."""

    reason_code = forms.ChoiceField(choices=[(r.value, r.label) for r in CHOSEN_REMOVAL_REASONS],
                                    widget=forms.RadioSelect,
                                    error_messages={"required": "Choose why she is coming off the register.",
                                                    "invalid_choice": "Choose why she is coming off the register."})
    field_order = ["reason_code", "reason"]


class LeadForm(ServiceForm):
    lead = _UserChoice(queryset=None, required=False, empty_label="No lead professional",
                       label="Lead professional", widget=forms.Select(attrs={"class": "govuk-select"}))

    def __init__(self, *args: Any, borough: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "lead").queryset = queries.lead_candidates(borough.pk)


# ---------------------------------------------------------------------------------------------------
# The MASH's decisions about her risk, and protective factors (scoring model v3)
# ---------------------------------------------------------------------------------------------------
REASON_MAX = 2000
_EXPIRED = {"required": "This form has expired. Start again.", "invalid": "This form has expired. Start again."}


def _reason_field(label: str, hint: str) -> TextField:
    return TextField(
        label=label, help_text=hint, max_length=REASON_MAX, min_length=REASON_MIN,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Give the reason.",
                        "min_length": f"Give the reason, in at least {REASON_MIN} characters.",
                        "max_length": f"The reason must be {REASON_MAX} characters or fewer."})


class ExplainSignForm(ServiceForm):
    """The MASH lead marks one of her signs explained and verified (for example a bereavement)."""

    indicator = forms.ModelChoiceField(
        queryset=Indicator.objects.none(), to_field_name="code", widget=forms.RadioSelect,
        label="Which sign has been explained?",
        help_text="Only signs seen in concerns about her. If she is seen with it again later, it counts again.",
        error_messages={"required": "Choose the sign that has been explained.",
                        "invalid_choice": "Choose a sign from the list."})
    reason = _reason_field("How was it explained and verified?",
                           "For example: a bereavement in the family, confirmed with her school. Kept encrypted "
                           "with her record; the access trail never holds it.")
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, error_messages=_EXPIRED)

    def __init__(self, *args: Any, signs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "indicator").queryset = signs


class ReviewLevelForm(ServiceForm):
    """The MASH lead records a review of her level, with the reason."""

    level = forms.ChoiceField(
        choices=RiskLevel.choices, widget=forms.RadioSelect, label="What level did the review agree?",
        help_text="Her level can fall at once to this, but never below what her current signs support. "
                  "A higher level holds her there, falling one step per review period without another review.",
        error_messages={"required": "Choose the level the review agreed.",
                        "invalid_choice": "Choose a level from the list."})
    reason = _reason_field("Why?", "What the review weighed: signs, protective factors, what partners said. "
                                   "Kept encrypted with her record; the access trail never holds it.")
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, error_messages=_EXPIRED)


class ProtectiveFactorForm(ServiceForm):
    """A practitioner, DSL or MASH lead records something that keeps her safer."""

    kind = forms.ChoiceField(
        choices=ProtectiveFactorKind.choices, widget=forms.RadioSelect, label="What keeps her safer?",
        error_messages={"required": "Choose what keeps her safer.",
                        "invalid_choice": "Choose one of the options given."})
    observed_on = forms.DateField(
        widget=DateInput, label="When did you see this?", help_text="Today or an earlier date.",
        error_messages={"required": "Enter the date you saw this.", "invalid": "Enter a real date."})
    note = TextField(
        required=False, max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 3}), label="Details (optional)",
        help_text="Kept encrypted with her record. It is shown beside her risk; it never lowers her score.")
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, error_messages=_EXPIRED)

    def clean_observed_on(self) -> Any:
        day = self.cleaned_data["observed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date must be today or in the past.")
        if day < timezone.localdate() - dt.timedelta(days=5 * 366):
            raise forms.ValidationError("The date must be within the last 5 years.")
        return day
