"""Forms for her rights in practice: correcting her identity, restricting processing of her record."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from config.forms import ServiceForm, TextField, TextRegexField
from referrals.choices import RectificationReason, RestrictionLiftReason, RestrictionReason
from referrals.forms import NAME_MAX, _date_parts, clean_date_of_birth

EXPIRED = {"required": "This form has expired. Open her record again.",
           "invalid": "This form has expired. Open her record again."}


class RectifyForm(ServiceForm):
    """Her identity as the record should hold it, prefilled with what it holds now, and why it changes."""

    version = forms.CharField(max_length=64, widget=forms.HiddenInput, error_messages=EXPIRED)
    given_name = TextField(max_length=NAME_MAX, label="First name",
                           error_messages={"required": "Enter her first name."})
    family_name = TextField(max_length=NAME_MAX, label="Last name",
                            error_messages={"required": "Enter her last name. If you do not know it, write "
                                                        "'Unknown'."})
    other_names = TextField(required=False, max_length=200, label="Other names she uses (optional)")
    age_estimate = forms.IntegerField(required=False, min_value=0, max_value=25,
                                      label="Her age, if her date of birth is not known",
                                      error_messages={"invalid": "Age must be a number, like 15."})
    address = TextField(required=False, max_length=500, label="Address (optional)",
                        widget=forms.Textarea(attrs={"rows": 3}))
    nhs_number = TextRegexField(required=False, regex=r"^\d{3} ?\d{3} ?\d{4}$", label="NHS number (optional)",
                                error_messages={"invalid": "NHS number must be 10 digits, like 943 476 5919."})
    pupil_number = TextRegexField(required=False, regex=r"^[A-Za-z]\d{11}[A-Za-z0-9]$",
                                  label="Unique pupil number (optional)",
                                  error_messages={"invalid": "A unique pupil number is 13 characters, "
                                                             "like A123456789012."})
    reason = forms.ChoiceField(choices=RectificationReason.choices, widget=forms.RadioSelect,
                               label="Why are her details being corrected?",
                               error_messages={"required": "Choose why her details are being corrected.",
                                               "invalid_choice": "Choose a reason from the list."})

    locals().update(_date_parts("dob", "date of birth"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        today = timezone.localdate()
        data["date_of_birth"] = clean_date_of_birth(self, data, today)
        return data

    def changes(self) -> dict[str, Any]:
        """Her identity as entered, under the names ``referrals.rights.RECTIFIABLE`` uses."""
        data = self.cleaned_data
        identifiers = {}
        if data.get("nhs_number"):
            identifiers["nhs_number"] = data["nhs_number"].replace(" ", "")
        if data.get("pupil_number"):
            identifiers["pupil_number"] = data["pupil_number"].upper()
        dob = data.get("date_of_birth")
        return {
            "given_name": data["given_name"], "family_name": data["family_name"],
            "other_names": data.get("other_names") or "", "date_of_birth": dob,
            "age_estimate": data.get("age_estimate") if dob is None else None,
            "address": data.get("address") or "", "identifiers": identifiers,
        }


def rectify_initial(identity: dict[str, Any], version: str) -> dict[str, Any]:
    """The form prefilled with her identity as the record holds it now."""
    dob = identity.get("date_of_birth")
    identifiers = identity.get("identifiers") or {}
    return {
        "version": version, "given_name": identity["given_name"], "family_name": identity["family_name"],
        "other_names": identity["other_names"], "address": identity["address"],
        "age_estimate": identity["age_estimate"] or None,
        "dob_day": dob.day if dob else None, "dob_month": dob.month if dob else None,
        "dob_year": dob.year if dob else None,
        "nhs_number": identifiers.get("nhs_number", ""), "pupil_number": identifiers.get("pupil_number", ""),
    }


class RestrictionForm(ServiceForm):
    """Restrict processing of her record, or lift the restriction: the reason is a code."""

    reason = forms.ChoiceField(choices=(), widget=forms.RadioSelect,
                               error_messages={"required": "Choose a reason.",
                                               "invalid_choice": "Choose a reason from the list."})

    def __init__(self, *args: Any, lifting: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = RestrictionLiftReason.choices if lifting else RestrictionReason.choices
        field.label = "Why does the restriction end?" if lifting else "Why is processing restricted?"
