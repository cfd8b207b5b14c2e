"""Forms for the association map, with messages in plain English."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.utils import timezone

from agencies.models import Agency, Borough
from config.forms import ServiceForm, TextField
from referrals.forms import _date_from_parts, _date_parts
from referrals.references import looks_like
from risk.map.models import (
    CHILD_AGE_BANDS,
    MAY_POSE_RISK,
    AgeBand,
    Associate,
    AssociateRole,
    Confidence,
    Group,
    GroupKind,
    LinkType,
    Place,
    PlaceKind,
)

TARGETS = [
    ("existing", "Someone or somewhere already on the map"),
    ("associate", "A new person"),
    ("place", "A new place"),
    ("group", "A new group"),
]


class DateInput(forms.DateInput):
    input_type = "date"


class LinkForm(ServiceForm):
    """Add (MASH lead) or suggest (practitioner) a link from one node to another."""

    target = forms.ChoiceField(choices=TARGETS, widget=forms.RadioSelect, label="Link to")
    existing = TextField(required=False, max_length=20, label="Their reference",
                         help_text="For example, A-4KQ7-M2XD, P-… or G-….")
    # One of the people, places or groups the page offers (suggested, or found): a reference.
    pick = TextField(required=False, max_length=20, label="Choose who or where")
    find = TextField(required=False, max_length=100, label="Find someone or somewhere on the map",
                     help_text="Part of a name (MASH leads) or a reference.")
    associate_name = TextField(required=False, max_length=100, label="Name or street name")
    associate_description = TextField(required=False, max_length=500, label="Anything that identifies them",
                                            widget=forms.Textarea(attrs={"rows": 2}))
    age_band = forms.ChoiceField(required=False, choices=AgeBand.choices, initial=AgeBand.UNKNOWN)
    role = forms.ChoiceField(required=False, choices=[("", "Choose")] + list(AssociateRole.choices),
                             label="What they are to her")
    record_as_associate = forms.BooleanField(
        required=False, label="Record them as a person on her map anyway",
        help_text="A child who may be at risk is usually better recorded as a young person in their own right.")
    place_name = TextField(required=False, max_length=120, label="Name of the place",
                                 help_text="A recognisable label. For a home, the street only.")
    place_kind = forms.ChoiceField(required=False, choices=[("", "Choose")] + list(PlaceKind.choices),
                                   label="Kind of place")
    place_borough = forms.ModelChoiceField(required=False, queryset=Borough.objects.order_by("name"),
                                           to_field_name="slug", label="Borough", empty_label="Her borough",
                                           help_text="Where the place is, if not in her borough.")
    latitude = forms.DecimalField(required=False, max_digits=8, decimal_places=5, min_value=-90, max_value=90)
    longitude = forms.DecimalField(required=False, max_digits=8, decimal_places=5, min_value=-180, max_value=180)
    group_name = TextField(required=False, max_length=120, label="Name of the group")
    group_kind = forms.ChoiceField(required=False, choices=[("", "Choose")] + list(GroupKind.choices),
                                   label="Kind of group")
    link_type = forms.ChoiceField(choices=LinkType.choices, label="How they are linked")
    confidence = forms.ChoiceField(choices=Confidence.choices, initial=Confidence.MEDIUM)
    source_agency = forms.ModelChoiceField(required=False, queryset=Agency.objects.filter(is_active=True)
                                           .order_by("name"), label="Source agency", empty_label="Your own agency",
                                           help_text="The agency whose information this is.")
    # The GOV.UK date pattern (day, month, year), like every other date in the service.
    locals().update(_date_parts("first_seen", "the date first seen"))
    locals().update(_date_parts("last_seen", "the date last seen"))
    locals().update(_date_parts("expires_on", "the date the link stops counting"))
    DATES = (("first_seen", "First seen", "", True),
             ("last_seen", "Last seen", "Leave blank if the same day.", False),
             ("expires_on", "Stops counting on", "Leave blank for a year after last seen.", False))

    def __init__(self, *args: Any, node_lookup: Callable[[str], Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.node_lookup = node_lookup
        self.node: Any = None
        self.child_at_risk = False

    def date_groups(self) -> list[dict[str, Any]]:
        """The three dates as the page draws them: legend, hint, error and the three boxes."""
        return [{"prefix": prefix, "legend": legend, "hint": hint, "errors": self[f"{prefix}_day"].errors,
                 "parts": [self[f"{prefix}_{part}"] for part in ("day", "month", "year")]}
                for prefix, legend, hint, _required in self.DATES]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for prefix, legend, _hint, required in self.DATES:
            data[prefix] = _date_from_parts(self, prefix, legend.lower(), required=required)
        target = data.get("target")
        today = timezone.localdate()
        for name in ("first_seen", "last_seen"):
            if data.get(name) and data[name] > today:
                self.add_error(name, "The date cannot be in the future.")
        if data.get("first_seen") and data.get("last_seen") and data["last_seen"] < data["first_seen"]:
            self.add_error("last_seen", "Last seen must be on or after first seen.")
        if data.get("expires_on") and data["expires_on"] < today + dt.timedelta(days=1):
            self.add_error("expires_on", "The date a link stops counting must be in the future.")
        if target == "existing":
            reference = (data.get("pick") or data.get("existing") or "").strip().upper()
            node = None
            if any(looks_like(prefix, reference) for prefix in "APG"):
                node = self.node_lookup(reference)
            if node is None:
                self.add_error("existing", "Enter the reference of a person, place or group you can see.")
            self.node = node
        elif target == "associate":
            if not data.get("associate_name", "").strip():
                self.add_error("associate_name", "Enter the person's name or street name.")
            if not data.get("role"):
                self.add_error("role", "Choose what they are to her.")
            child = data.get("age_band") in CHILD_AGE_BANDS and data.get("role") not in MAY_POSE_RISK
            if child and data.get("role") and not data.get("record_as_associate"):
                self.child_at_risk = True
                self.add_error("record_as_associate", "This is a child who may be at risk. Record a concern about "
                               "them as a young person instead, or tick the box to record them here anyway.")
            self.node = Associate(name=data.get("associate_name", "").strip(),
                                  description=(data.get("associate_description") or "").strip() or None,
                                  age_band=data.get("age_band") or AgeBand.UNKNOWN, role=data.get("role") or "")
        elif target == "place":
            if not data.get("place_name", "").strip():
                self.add_error("place_name", "Enter the name of the place.")
            if not data.get("place_kind"):
                self.add_error("place_kind", "Choose the kind of place.")
            if (data.get("latitude") is None) != (data.get("longitude") is None):
                self.add_error("latitude", "Enter both latitude and longitude, or neither.")
            self.node = Place(name=data.get("place_name", "").strip(), kind=data.get("place_kind") or "",
                              borough=data.get("place_borough"), latitude=data.get("latitude"),
                              longitude=data.get("longitude"))
        elif target == "group":
            if not data.get("group_name", "").strip():
                self.add_error("group_name", "Enter the name of the group.")
            if not data.get("group_kind"):
                self.add_error("group_kind", "Choose the kind of group.")
            self.node = Group(name=data.get("group_name", "").strip(), kind=data.get("group_kind") or "")
            if data.get("place_borough"):
                self.node.borough = data["place_borough"]
        return data


class RemoveLinkForm(ServiceForm):
    reason = TextField(max_length=200, label="Why is this link being removed?",
                             widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "Give the reason for removing this link."})
