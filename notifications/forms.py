"""The inbox's one form: which page to come back to after marking as read (nothing else is read)."""

from __future__ import annotations

from django import forms


class MarkReadForm(forms.Form):
    """Mark one notification (the URL names it) or all as read; ``page`` brings the reader back."""

    page = forms.IntegerField(min_value=1, max_value=100_000, required=False,
                              error_messages={"invalid": "Enter a page number.",
                                              "min_value": "Enter a page number.",
                                              "max_value": "Enter a page number."})
