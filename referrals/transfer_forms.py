"""The form that starts a school transfer of her child-protection file."""

from __future__ import annotations

from typing import Any

from django import forms

from agencies.models import Agency
from config.forms import ServiceForm, model_choice_field
from referrals.choices import TransferPurpose


class SchoolTransferForm(ServiceForm):
    """Choose her new school and why her file moves (a fixed list: no typed text)."""

    to_agency = forms.ModelChoiceField(label="Her new school", queryset=Agency.objects.none(),
                                       empty_label="Choose a school",
                                       error_messages={"required": "Choose her new school.",
                                                       "invalid_choice": "Choose her new school from the list."})
    purpose = forms.ChoiceField(label="Why is her file moving?", choices=TransferPurpose.choices,
                                widget=forms.RadioSelect,
                                error_messages={"required": "Choose why her file is moving."})
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, error_messages=dict.fromkeys(
        ("required", "invalid"), "This page is out of date or damaged. Reload it and try again."))

    def __init__(self, *args: Any, schools: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "to_agency").queryset = schools if schools is not None else Agency.objects.none()
