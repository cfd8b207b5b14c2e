"""Registering an agency system as an API client."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone

from agencies.models import Agency
from api.choices import Scope
from api.services import NAME_MAX
from config.forms import ServiceForm, TextField


class ApiClientForm(ServiceForm):
    """Which agency's system, what it may do, and until when."""

    agency = forms.ModelChoiceField(queryset=Agency.objects.filter(is_active=True).select_related("borough"),
                                    label="Agency",
                                    error_messages={"required": "Choose the agency whose system this is.",
                                                    "invalid_choice": "Choose an agency from the list."})
    name = TextField(max_length=NAME_MAX, label="Name of the system",
                     help_text="For example 'CPOMS at Larkhall Rise Academy'.",
                     error_messages={"required": "Name the system."})
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple,
                                       label="What it may do",
                                       error_messages={"required": "Choose at least one thing it may do.",
                                                       "invalid_choice": "Choose from the list."})
    expires_on = forms.DateField(label="Works until", widget=forms.DateInput(attrs={"type": "date"}),
                                 error_messages={"required": "Enter the date it stops working.",
                                                 "invalid": "Enter a real date, like 2027-03-31."})

    def clean_expires_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if not today < day <= today + dt.timedelta(days=settings.API_CLIENT_MAX_DAYS):
            raise forms.ValidationError(f"The date must be after today and within {settings.API_CLIENT_MAX_DAYS} "
                                        "days.")
        return day

    def clean(self) -> dict[str, Any]:
        return super().clean()


class RevokeForm(ServiceForm):
    """Confirm the revocation."""

    confirm = forms.BooleanField(label="Revoke this client now", error_messages={
        "required": "Confirm that the system should stop working now."})
