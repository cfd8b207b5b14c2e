"""Forms of the data-protection pages. Reference numbers only: never a name."""

from __future__ import annotations

from typing import Any

from django import forms

from config.forms import ServiceForm, TextField
from dataprotection.breakglass import find_subject_to_open, normally_visible
from dataprotection.models import BreakGlassReview
from dataprotection.services import REASON_MIN_LENGTH
from referrals.choices import SubjectStatus
from referrals.references import looks_like

REFERENCE_HELP = "The young person's reference number, for example S-4KQ7-M2XD. Never enter a name."


def _clean_reference(value: str) -> str:
    reference = (value or "").strip().upper()
    if not looks_like("S", reference):
        raise forms.ValidationError("Enter a reference number in the form S-4KQ7-M2XD.")
    return reference


class BreakGlassForm(ServiceForm):
    """Which record to open in an emergency, and why it cannot wait."""

    reference = TextField(label="Reference number", max_length=20, help_text=REFERENCE_HELP,
                                error_messages={"required": "Enter the young person's reference number."})
    reason = TextField(
        label="Why do you need this record now?", widget=forms.Textarea, max_length=2000,
        min_length=REASON_MIN_LENGTH,
        help_text="Say what has happened and why it cannot wait for the record to be shared with you in the "
        "usual way, for example: 'Police have found her in our borough tonight after she was reported missing "
        "and we need her risk history to plan a safe return.' An auditor will read this.",
        error_messages={
            "required": "Explain why you need emergency access.",
            "min_length": f"Explain why you need emergency access in at least {REASON_MIN_LENGTH} characters.",
            "max_length": "Keep the reason to 2000 characters or fewer.",
        },
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.subject: Any = None

    def clean_reference(self) -> str:
        reference = _clean_reference(self.cleaned_data["reference"])
        subject = find_subject_to_open(reference)
        if subject is None:
            raise forms.ValidationError("There is no record with that reference number. Check it and try again.")
        if subject.status == SubjectStatus.ERASED:
            raise forms.ValidationError(f"{reference} has been erased; there is nothing to open.")
        if subject.status == SubjectStatus.MERGED:
            raise forms.ValidationError(f"{reference} was merged into another record; open that record instead.")
        if normally_visible(self.user, subject):
            raise forms.ValidationError(f"You can already see {reference} without emergency access.")
        self.subject = subject
        return reference

    def clean_reason(self) -> str:
        return self.cleaned_data["reason"].strip()


class BreakGlassReviewForm(ServiceForm):
    outcome = forms.ChoiceField(
        label="Was the emergency access justified?", choices=BreakGlassReview.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the emergency access was justified.",
                        "invalid_choice": "Choose whether the emergency access was justified."},
    )
