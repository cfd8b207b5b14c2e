"""Forms for moves between boroughs: her home borough changes, another borough's MASH gets time-limited
access where harm happens, and the other MASH's answer."""

from __future__ import annotations

from typing import Any

from django import forms

from agencies.models import Borough
from config.forms import ServiceForm, TextField, model_choice_field
from referrals.choices import HARM_BOROUGH_MAX_DAYS, BoroughTransferReason, HarmBoroughGround

STALE = dict.fromkeys(("required", "invalid"), "This page is out of date or damaged. Reload it and try again.")
NOTE_MAX = 2000


def _borough_field(label: str) -> forms.ModelChoiceField[Borough]:
    return forms.ModelChoiceField(label=label, queryset=Borough.objects.none(), empty_label="Choose a borough",
                                  error_messages={"required": "Choose a borough.",
                                                  "invalid_choice": "Choose a borough from the list."})


class BoroughTransferForm(ServiceForm):
    """Ask another borough's MASH to take her on as her home borough."""

    to_borough = _borough_field("Which borough should she move to?")
    reason = forms.ChoiceField(label="Why is her home borough changing?", choices=BoroughTransferReason.choices,
                               widget=forms.RadioSelect,
                               error_messages={"required": "Choose why her home borough is changing.",
                                               "invalid_choice": "Choose a reason from the list."})
    note = TextField(label="What the other MASH needs to know", max_length=NOTE_MAX,
                     help_text="For example her new address or placement, and who works with her now. The other "
                               "MASH reads this before accepting.",
                     widget=forms.Textarea(attrs={"rows": 4}),
                     error_messages={"required": "Say why she is moving, for the other MASH."})
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, error_messages=STALE)

    def __init__(self, *args: Any, boroughs: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "to_borough").queryset = boroughs if boroughs is not None else Borough.objects.none()


class HarmBoroughAccessForm(ServiceForm):
    """Let the MASH of the borough where harm happens read her record for a while."""

    borough = _borough_field("Which borough's MASH needs to see her record?")
    ground = forms.ChoiceField(label="Why does that borough need to see it?", choices=HarmBoroughGround.choices,
                               widget=forms.RadioSelect,
                               error_messages={"required": "Choose why that borough needs to see her record.",
                                               "invalid_choice": "Choose a reason from the list."})
    days = forms.IntegerField(label="For how many days?", min_value=1, max_value=HARM_BOROUGH_MAX_DAYS, initial=28,
                              help_text=f"Up to {HARM_BOROUGH_MAX_DAYS} days. You can end it sooner.",
                              error_messages={"required": "Enter a number of days, like 28.",
                                              "invalid": "Enter a number of days, like 28.",
                                              "min_value": "Enter at least 1 day.",
                                              "max_value": f"Enter at most {HARM_BOROUGH_MAX_DAYS} days."})

    def __init__(self, *args: Any, boroughs: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "borough").queryset = boroughs if boroughs is not None else Borough.objects.none()


class DeclineBoroughTransferForm(ServiceForm):
    """The other MASH declines, saying why."""

    note = TextField(label="Why are you declining?", max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3}),
                     help_text="Her home MASH reads this.",
                     error_messages={"required": "Say why you are declining, for her home MASH."})
