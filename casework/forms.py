"""Forms of case work. Typed text goes through ``config.forms.TextField`` (control characters
refused); choices are codes; people and agencies are chosen from lists built for the page."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.utils import timezone

from agencies.models import Agency
from casework.choices import CancelReason, OutcomeKind, StrategyDecision
from casework.services import TEXT_MAX, due_date_problem
from config.forms import CHOICE_MESSAGES, ServiceForm, TextField, model_choice_field
from referrals.references import reference_pattern


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class _OwnerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name() or obj.username
        return f"{name} ({obj.membership.agency.name})"


class _PathwayChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        due = f", due {timezone.localtime(obj.due_at):%-d %B %Y %H:%M}" if obj.due_at else ""
        agency = obj.receiving_agency.name if obj.receiving_agency else ""
        return f"Referral {obj.referral.reference}: {agency}{due}"

    def to_python(self, value: Any) -> Any:
        # A pathway's key is a UUID: anything else is not one of the choices (and is never echoed back).
        if value in self.empty_values:
            return None
        try:
            uuid.UUID(str(value))
        except ValueError:
            raise forms.ValidationError(CHOICE_MESSAGES["invalid_choice"], code="invalid_choice") from None
        return super().to_python(value)


class _AgencyChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)

    def clean(self, value: Any) -> Any:
        # Ids only, in range: ``pk__in`` with a huge number fails in the database instead of the form.
        for item in value or ():
            if not (isinstance(item, str) and item.isascii() and item.isdigit() and int(item) < 2**31):
                raise forms.ValidationError(CHOICE_MESSAGES["invalid_choice"], code="invalid_choice")
        return super().clean(value)


def _text(label: str, *, required: bool = True, hint: str = "", rows: int = 5) -> TextField:
    return TextField(label=label, required=required, max_length=TEXT_MAX, help_text=hint,
                     widget=forms.Textarea(attrs={"rows": rows}),
                     error_messages={"required": f"Enter the {label.lower()}.",
                                     "max_length": f"This must be {TEXT_MAX} characters or fewer."})


def _date(label: str, hint: str = "", *, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, help_text=hint, widget=DateInput, required=required,
                           error_messages={"required": f"Enter the {label.lower()}.", "invalid": "Enter a real date."})


_VERSION = {"required": "This form has expired. Start again.", "invalid": "This form has expired. Start again."}


class StrategyDiscussionForm(ServiceForm):
    """Her borough's MASH lead records a strategy discussion."""

    pathway: forms.ModelChoiceField[Any] = _PathwayChoice(
        queryset=None, required=False, widget=forms.RadioSelect, empty_label=None,
        label="Which referral pathway called it?",
        help_text="Its deadline is the clock the discussion is held against.", error_messages=CHOICE_MESSAGES)
    held_on = _date("Date held", "Today or an earlier date.")
    held_time = forms.TimeField(label="Time held", widget=TimeInput,
                                error_messages={"required": "Enter the time held.", "invalid": "Enter a real time."})
    agencies = _AgencyChoices(queryset=None, widget=forms.CheckboxSelectMultiple, label="Agencies that took part",
                              error_messages={**CHOICE_MESSAGES, "required": "Choose the agencies that took part."})
    decision = forms.ChoiceField(choices=StrategyDecision.choices, widget=forms.RadioSelect,
                                 label="What was decided?",
                                 error_messages={**CHOICE_MESSAGES, "required": "Choose what was decided."})
    record_text = _text("Record of the discussion", hint="What was shared and why it was decided. Kept encrypted "
                        "with her record; the access trail never holds it.")

    def __init__(self, *args: Any, pathways: Any, agencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "pathway").queryset = pathways
        model_choice_field(self, "agencies").queryset = agencies

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        day, time = data.get("held_on"), data.get("held_time")
        if day is not None and time is not None:
            held = timezone.make_aware(dt.datetime.combine(day, time))
            if held > timezone.now():
                self.add_error("held_on", "The date and time must be now or in the past.")
            elif day < timezone.localdate() - dt.timedelta(days=366):
                self.add_error("held_on", "The date must be within the last year.")
            data["held_at"] = held
        return data


class ActionForm(ServiceForm):
    """Her borough's MASH lead adds an action to her plan (or a context's)."""

    description = _text("What needs to be done", hint="For example: police to trace the adult she was seen with. "
                        "Kept encrypted; the owner sees it, the access trail never does.", rows=3)
    owner = _OwnerChoice(queryset=None, label="Who owns it", empty_label="Choose a person",
                         widget=forms.Select(attrs={"class": "govuk-select"}),
                         error_messages={**CHOICE_MESSAGES, "required": "Choose who owns the action."})
    due_on = _date("Due date", "Today or later, within a year.")
    from_review = forms.BooleanField(required=False, label="Agreed at her latest register review")

    def __init__(self, *args: Any, owners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "owner").queryset = owners

    def clean_due_on(self) -> dt.date:
        due = self.cleaned_data["due_on"]
        problem = due_date_problem(due)
        if problem:
            raise forms.ValidationError(problem)
        return due


class ActionUpdateForm(ServiceForm):
    """Mark an action done (its owner or the MASH) or cancel it (the MASH)."""

    change = forms.ChoiceField(choices=[("done", "Done"), ("cancel", "Cancel it")], widget=forms.RadioSelect,
                               label="What has happened?",
                               error_messages={**CHOICE_MESSAGES, "required": "Choose what has happened."})
    outcome_note = _text("What came of it", required=False, rows=3,
                         hint="Needed when it is done. Kept encrypted with the action.")
    cancel_reason = forms.ChoiceField(choices=[("", "Choose a reason"), *CancelReason.choices], required=False,
                                      label="Why is it cancelled?", error_messages=CHOICE_MESSAGES)
    cancel_note = _text("More about the reason", required=False, rows=2,
                        hint="Needed for another reason. Kept encrypted; the trail keeps only the reason's code.")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1, error_messages=_VERSION)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("change") == "done" and not data.get("outcome_note"):
            self.add_error("outcome_note", "Say what came of it.")
        if data.get("change") == "cancel" and not data.get("cancel_reason"):
            self.add_error("cancel_reason", "Choose why the action is cancelled.")
        return data


class OutcomeForm(ServiceForm):
    """What changed for her, dated, by the recorder's agency."""

    kind = forms.ChoiceField(choices=OutcomeKind.choices, widget=forms.RadioSelect, label="What changed?",
                             error_messages={**CHOICE_MESSAGES, "required": "Choose what changed."})
    occurred_on = _date("When", "Today or an earlier date.")
    note = _text("Details", required=False, rows=3, hint="Needed for another outcome. Kept encrypted with her record.")

    def clean_occurred_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["occurred_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date must be today or in the past.")
        if day < timezone.localdate() - dt.timedelta(days=5 * 366):
            raise forms.ValidationError("The date must be within the last 5 years.")
        return day


class MeetingForm(ServiceForm):
    """Schedule the borough's next MACE meeting."""

    meets_on = _date("Meeting date", "Today or later, within a year.")


ITEM_PATTERN = reference_pattern("[SPG]")


class MeetingChangeForm(ServiceForm):
    """The chair's changes to a meeting: attendance, agenda items, sending the agenda, closing it."""

    change = forms.ChoiceField(choices=[("attendance", "Attendance"), ("add", "Add to the agenda"),
                                        ("remove", "Take off the agenda"), ("send", "Send the agenda"),
                                        ("minutes", "Record the minutes")], widget=forms.HiddenInput,
                               error_messages={**CHOICE_MESSAGES, "required": "Choose what to change."})
    agencies = _AgencyChoices(queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
                              label="Agencies invited and present", error_messages=CHOICE_MESSAGES)
    item = forms.RegexField(regex=rf"^{ITEM_PATTERN}$", required=False, max_length=11,
                            label="Young person, place or group reference",
                            help_text="For example S-4KQ7-M2XD, or a place (P-) or group (G-) of the map.",
                            error_messages={"invalid": "Enter a reference such as S-4KQ7-M2XD."})
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1, error_messages=_VERSION)

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "agencies").queryset = agencies

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("change") in ("add", "remove") and not data.get("item"):
            self.add_error("item", "Enter a reference such as S-4KQ7-M2XD.")
        return data


ACTION_ROWS = 3


class DiscussionForm(ServiceForm):
    """The discussion of one agenda item, and up to three actions agreed."""

    record_text = _text("Record of the discussion", hint="Kept encrypted with her record (or the place's or "
                        "group's); the minutes show it only to those who may see it.")
    decisions = _text("Decisions", required=False, rows=3)

    def __init__(self, *args: Any, owners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, ACTION_ROWS + 1):
            self.fields[f"action_{n}_description"] = _text(f"Action {n}: what needs to be done", required=False,
                                                           rows=2)
            self.fields[f"action_{n}_owner"] = _OwnerChoice(
                queryset=owners, required=False, label=f"Action {n}: who owns it", empty_label="Choose a person",
                widget=forms.Select(attrs={"class": "govuk-select"}), error_messages=CHOICE_MESSAGES)
            self.fields[f"action_{n}_due_on"] = _date(f"Action {n}: due date", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        rows = []
        for n in range(1, ACTION_ROWS + 1):
            parts = [data.get(f"action_{n}_{name}") for name in ("description", "owner", "due_on")]
            if any(parts) and not all(parts):
                self.add_error(f"action_{n}_description", f"Give action {n} what needs doing, an owner and a due date.")
            elif all(parts):
                problem = due_date_problem(data[f"action_{n}_due_on"])
                if problem:
                    self.add_error(f"action_{n}_due_on", problem)
                rows.append(parts)
        data["rows"] = rows
        return data


def agency_choices(borough_id: int) -> Any:
    """Agencies of the borough that take part in case work (not governance)."""
    return Agency.objects.filter(borough_id=borough_id, is_active=True).exclude(kind="governance").order_by("name")
