"""Forms of the register pages. Filters travel as GET parameters: levels, flags and numeric ids only,
never personal data (DESIGN.md §5.6)."""

from __future__ import annotations

from typing import Any

from django import forms

from agencies.models import Agency
from config.forms import ServiceForm, TextField, model_choice_field
from risk import queries
from risk.choices import RiskLevel
from risk.models import ReviewOutcome


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


class LeadForm(ServiceForm):
    lead = _UserChoice(queryset=None, required=False, empty_label="No lead professional",
                       label="Lead professional", widget=forms.Select(attrs={"class": "govuk-select"}))

    def __init__(self, *args: Any, borough: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "lead").queryset = queries.lead_candidates(borough.pk)
