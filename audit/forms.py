"""Filters of the auditors' pages. They hold no personal data (account names, codes, references and
dates), so they travel as GET parameters and pages can be bookmarked."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet

from agencies.models import Agency
from audit.api import REFERENCE_PATTERN
from audit.choices import Action, ObjectType, Outcome
from audit.models import AccessEvent
from config.forms import ServiceForm, TextField

USERNAME_PATTERN = r"^[\w.@+-]{1,150}$"
# The trail cannot hold events outside these years; a date far beyond them (9999-12-31) would also
# overflow the day-after arithmetic of the "to" filter.
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)



def validate_object_type(value: str) -> None:
    """Only the object types the trail knows (``audit.choices.ObjectType``)."""
    if value and value not in ObjectType.values:
        raise ValidationError("Enter an object type such as subject or referral.")

class TrailFilterForm(ServiceForm):
    """Who, which agency, what, with what outcome, about which object, and when."""

    actor = TextField(
        label="User account", required=False, max_length=150,
        validators=[RegexValidator(USERNAME_PATTERN, "Enter a user account name, such as dsl.lambeth.")],
    )
    agency = forms.ModelChoiceField(
        label="Agency", required=False, queryset=Agency.objects.select_related("borough"),
        empty_label="Any agency",
        error_messages={"invalid_choice": "Choose an agency from the list."},
    )
    action = forms.ChoiceField(label="Action", required=False, choices=[("", "Any action"), *Action.choices],
                               error_messages={"invalid_choice": "Choose an action from the list."})
    outcome = forms.ChoiceField(label="Outcome", required=False,
                                choices=[("", "Any outcome"), *Outcome.choices],
                                error_messages={"invalid_choice": "Choose allowed or denied."})
    object_type = TextField(
        label="Object type", required=False, max_length=40,
        validators=[validate_object_type],
    )
    reference = TextField(
        label="Object reference", required=False, max_length=64,
        validators=[RegexValidator(REFERENCE_PATTERN, "Enter a reference number or UUID, not a name.")],
    )
    date_from = forms.DateField(label="From (date)", required=False,
                                widget=forms.DateInput(attrs={"type": "date"}),
                                error_messages={"invalid": "Enter the start date as a real date."})
    date_to = forms.DateField(label="To (date)", required=False,
                              widget=forms.DateInput(attrs={"type": "date"}),
                              error_messages={"invalid": "Enter the end date as a real date."})
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput,
                                error_messages={"invalid": "The page link is not valid; start again."})

    def _clean_day(self, name: str) -> date | None:
        day = self.cleaned_data.get(name)
        if day is not None and not EARLIEST <= day <= LATEST:
            raise forms.ValidationError(f"Enter a date between {EARLIEST:%Y} and {LATEST:%Y}.")
        return day

    def clean_date_from(self) -> date | None:
        return self._clean_day("date_from")

    def clean_date_to(self) -> date | None:
        return self._clean_day("date_to")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date must be the same as or after the start date.")
        return data

    def used_filters(self) -> str:
        """The names (never the values) of the filters in use, for the audit event of the page."""
        return ",".join(name for name in self.fields if name != "before" and self.cleaned_data.get(name))

    def filter(self, events: QuerySet[AccessEvent]) -> QuerySet[AccessEvent]:
        """Apply the cleaned filters (not the page cursor)."""
        data = self.cleaned_data
        zone = ZoneInfo(settings.TIME_ZONE)
        conditions = Q()
        if data.get("actor"):
            conditions &= Q(actor_username=data["actor"])
        if data.get("agency"):
            conditions &= Q(actor_agency_id=data["agency"].pk)
        for name in ("action", "outcome", "object_type", "reference"):
            if data.get(name):
                conditions &= Q(**{name: data[name]})
        if data.get("date_from"):
            conditions &= Q(occurred_at__gte=datetime.combine(data["date_from"], time.min, tzinfo=zone))
        if data.get("date_to"):
            end = datetime.combine(data["date_to"] + timedelta(days=1), time.min, tzinfo=zone)
            conditions &= Q(occurred_at__lt=end)
        return events.filter(conditions)


class ObjectLookupForm(ServiceForm):
    """Find the disclosure log of one object by its type and reference."""

    object_type = TextField(
        label="Object type", max_length=40, initial="subject",
        validators=[validate_object_type],
        error_messages={"required": "Enter the object type, such as subject."},
    )
    reference = TextField(
        label="Reference", max_length=64,
        validators=[RegexValidator(REFERENCE_PATTERN, "Enter a reference number or UUID, not a name.")],
        error_messages={"required": "Enter the reference number."},
    )
