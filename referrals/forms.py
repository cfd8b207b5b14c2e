"""Forms for recording concerns and merging duplicate subjects, with messages in plain English."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone

from agencies.models import Borough
from config.forms import ServiceForm, TextField, TextRegexField, model_choice_field
from referrals.choices import ActionTaken, Judgement
from referrals.intake import SubjectDetails
from referrals.models import Subject
from referrals.references import looks_like
from risk.choices import IndicatorCategory
from risk.models import Indicator

NAME_MAX = 100
NARRATIVE_MAX = 10_000


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (28 February for a 29 February that does not exist)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _date_from_parts(form: forms.Form, prefix: str, label: str, *, required: bool) -> dt.date | None:
    day, month, year = (form.cleaned_data.get(f"{prefix}_{part}") for part in ("day", "month", "year"))
    if day is None and month is None and year is None:
        if required:
            form.add_error(f"{prefix}_day", f"Enter {label}.")
        return None
    if day is None or month is None or year is None:
        form.add_error(f"{prefix}_day", f"{label.capitalize()} must include a day, month and year.")
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        form.add_error(f"{prefix}_day", f"{label.capitalize()} must be a real date.")
        return None

def clean_date_of_birth(form: forms.Form, data: dict[str, Any], today: dt.date) -> dt.date | None:
    """Her date of birth from the ``dob_*`` parts (in the past, within the service's age range), or the
    error that asks for it when neither it nor an age was given. Shared by recording and correcting."""
    dob = _date_from_parts(form, "dob", "date of birth", required=False)
    if dob is not None:
        if dob > today:
            form.add_error("dob_day", "Date of birth must be in the past.")
        elif dob <= years_before(today, settings.SUBJECT_MAX_AGE + 1):
            form.add_error("dob_day", f"This service is for young people aged {settings.SUBJECT_MAX_AGE} "
                                      "or under. Check the date of birth.")
    elif data.get("age_estimate") is None and not form.has_error("dob_day"):
        form.add_error("dob_day", "Enter her date of birth, or her age if you do not know it.")
    return dob


def _date_parts(prefix: str, label: str) -> dict[str, forms.Field]:
    return {
        f"{prefix}_day": forms.IntegerField(required=False, min_value=1, max_value=31,
                                            error_messages={"invalid": f"Day of {label} must be a number."}),
        f"{prefix}_month": forms.IntegerField(required=False, min_value=1, max_value=12,
                                              error_messages={"invalid": f"Month of {label} must be a number."}),
        f"{prefix}_year": forms.IntegerField(required=False, min_value=1900, max_value=2200,
                                             error_messages={"invalid": f"Year of {label} must be a number."}),
    }


class ConcernForm(ServiceForm):
    """Everything a practitioner enters to record a concern."""

    subject = TextField(required=False, max_length=64, widget=forms.HiddenInput)
    given_name = TextField(required=False, max_length=NAME_MAX, label="First name")
    family_name = TextField(required=False, max_length=NAME_MAX, label="Last name")
    other_names = TextField(required=False, max_length=200, label="Other names she uses (optional)")
    age_estimate = forms.IntegerField(
        required=False, min_value=0, max_value=25, label="Her age, if you do not know her date of birth",
        error_messages={"invalid": "Age must be a number, like 15."},
    )
    address = TextField(required=False, max_length=500, label="Address (optional)",
                              widget=forms.Textarea(attrs={"rows": 3}))
    nhs_number = TextRegexField(required=False, regex=r"^\d{3} ?\d{3} ?\d{4}$", label="NHS number (optional)",
                                  error_messages={"invalid": "NHS number must be 10 digits, like 943 476 5919."})
    pupil_number = TextRegexField(required=False, regex=r"^[A-Za-z]\d{11}[A-Za-z0-9]$",
                                    label="Unique pupil number (optional)",
                                    error_messages={"invalid": "A unique pupil number is 13 characters, "
                                                               "like A123456789012."})
    home_borough = forms.ModelChoiceField(
        queryset=Borough.objects.all(), to_field_name="slug", label="Borough she lives in",
        error_messages={"required": "Choose the borough she lives in.",
                        "invalid_choice": "Choose a London borough from the list."},
    )
    indicators = forms.ModelMultipleChoiceField(
        queryset=Indicator.objects.current(), to_field_name="code", required=False,
        error_messages={"invalid_choice": "Choose signs from the list.",
                        "invalid_pk_value": "Choose signs from the list."},
    )
    narrative = TextField(required=False, max_length=NARRATIVE_MAX, label="What did you see or hear?",
                                widget=forms.Textarea(attrs={"rows": 8}))
    seriously_worried = forms.BooleanField(required=False, label="I am seriously worried about this young person")
    # Professional judgement in three steps; an old form's "seriously worried" tick still means its middle step.
    judgement = forms.ChoiceField(
        required=False, choices=Judgement.choices, label="How worried are you about her?",
        error_messages={"invalid_choice": "Choose how worried you are from the list."},
    )
    actions_taken = forms.MultipleChoiceField(
        required=False, choices=ActionTaken.choices, widget=forms.CheckboxSelectMultiple,
        label="What have you already done?",
        error_messages={"invalid_choice": "Choose what you have already done from the list."},
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput,
                                      error_messages={"required": "This form has expired. Start again.",
                                                      "invalid": "This form has expired. Start again."})

    locals().update(_date_parts("dob", "date of birth"))
    locals().update(_date_parts("observed", "the date you saw the signs"))

    # The order the page shows the fields in, so that the error summary lists them in that order too.
    field_order = ["subject", "given_name", "family_name", "other_names", "dob_day", "dob_month", "dob_year",
                   "age_estimate", "home_borough", "address", "nhs_number", "pupil_number", "observed_day",
                   "observed_month", "observed_year", "indicators", "narrative", "judgement", "seriously_worried",
                   "actions_taken", "idempotency_key"]
    # Signs shown at once in each group; the rest sit behind the group's heading (a details element, opened
    # when one of them is ticked). With none shown, the page's 33 signs become 9 headings to Tab past, and
    # every sign is one click away (measured in tests/browser/test_concern_form_effort.py).
    SIGNS_SHOWN = 0

    def __init__(self, *args: Any, subject_lookup: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Resolves a subject reference among the subjects this user may see (None when not visible).
        self.subject_lookup = subject_lookup
        self.subject_obj = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        today = timezone.localdate()
        reference = (data.get("subject") or "").strip()
        if reference:
            subject = self.subject_lookup(reference) if looks_like("S", reference) and self.subject_lookup else None
            if subject is None:
                self.add_error(None, "We could not find that young person's record. Start again from the record.")
            self.subject_obj = subject
        else:
            if not (data.get("given_name") or "").strip():
                self.add_error("given_name", "Enter her first name.")
            if not (data.get("family_name") or "").strip():
                self.add_error("family_name", "Enter her last name. If you do not know it, write 'Unknown'.")
            data["date_of_birth"] = clean_date_of_birth(self, data, today)

        observed = _date_from_parts(self, "observed", "the date you saw the signs", required=True)
        if observed is not None:
            if observed > today:
                self.add_error("observed_day", "The date you saw the signs must be today or in the past.")
            elif observed < years_before(today, 5):
                self.add_error("observed_day", "The date you saw the signs must be within the last 5 years.")
            elif data.get("date_of_birth") and observed < data["date_of_birth"]:
                self.add_error("observed_day", "The date you saw the signs must be after her date of birth.")
        data["observed_on"] = observed

        if not data.get("indicators") and not (data.get("narrative") or "").strip() and "indicators" not in self.errors:
            self.add_error("indicators", "Choose at least one sign, or describe what you saw.")
        return data

    def subject_details(self) -> SubjectDetails | None:
        if self.subject_obj is not None:
            return None
        data = self.cleaned_data
        identifiers = {}
        if data.get("nhs_number"):
            identifiers["nhs_number"] = data["nhs_number"].replace(" ", "")
        if data.get("pupil_number"):
            identifiers["pupil_number"] = data["pupil_number"].upper()
        return SubjectDetails(
            given_name=data["given_name"].strip(), family_name=data["family_name"].strip(),
            date_of_birth=data.get("date_of_birth"),
            age_estimate=data.get("age_estimate") if data.get("date_of_birth") is None else None,
            other_names=(data.get("other_names") or "").strip(), address=(data.get("address") or "").strip(),
            identifiers=identifiers,
        )

    def indicator_groups(self) -> list[dict[str, Any]]:
        """Current indicators grouped by category, in catalogue order, with which are ticked; each group's
        first ``SIGNS_SHOWN`` are ``shown``, the rest ``more`` (with ``open`` when one of those is ticked)."""
        chosen = {str(code) for code in (self.data.getlist("indicators") if hasattr(self.data, "getlist") else [])}
        groups: dict[str, dict[str, Any]] = {}
        indicators = model_choice_field(self, "indicators").queryset
        for indicator in indicators if indicators is not None else ():
            group = groups.setdefault(indicator.category, {
                "label": IndicatorCategory(indicator.category).label, "items": []})
            group["items"].append({"indicator": indicator, "checked": indicator.code in chosen})
        for group in groups.values():
            group["shown"], group["more"] = group["items"][:self.SIGNS_SHOWN], group["items"][self.SIGNS_SHOWN:]
            group["open"] = any(item["checked"] for item in group["more"])
            group["ticked"] = sum(item["checked"] for item in group["items"])
        return list(groups.values())


class MergeForm(ServiceForm):
    """Choose the duplicate record to fold into this one, and say why."""

    duplicate = TextField(max_length=11, label="Reference of the duplicate record",
                                error_messages={"required": "Enter the reference of the duplicate record."})
    reason = TextField(max_length=500, label="Why are these the same young person?",
                             widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "Give a reason for the merge."})
    confirm = forms.BooleanField(required=False)

    def __init__(self, *args: Any, subject_lookup: Any, survivor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject_lookup = subject_lookup
        self.survivor = survivor
        self.duplicate_obj: Subject | None = None

    def clean_duplicate(self) -> str:
        reference = self.cleaned_data["duplicate"].strip().upper()
        subject = self.subject_lookup(reference) if looks_like("S", reference) else None
        if subject is None:
            raise forms.ValidationError("There is no record with that reference in your borough.")
        if subject.pk == self.survivor.pk:
            raise forms.ValidationError("Choose a different record from this one.")
        self.duplicate_obj = subject
        return reference

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give a reason for the merge.")
        return reason
