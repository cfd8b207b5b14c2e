"""The chronology's filters: a kind (its code) and an agency (its id), never a name, by GET."""

from __future__ import annotations

from django import forms


class ChronologyFilterForm(forms.Form):
    """Choices are the kinds and agencies of the rows the viewer may see, so a filter cannot name anything
    else (an unknown value is an error, and the page shows every row)."""

    kind = forms.ChoiceField(required=False, label="What", error_messages={
        "invalid_choice": "Choose a kind of entry from the list."})
    agency = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Agency", error_messages={
        "invalid_choice": "Choose an agency from the list."})

    def __init__(self, data: object, *, kinds: list[tuple[str, str]], agencies: list[tuple[int, str]]) -> None:
        super().__init__(data)  # type: ignore[arg-type]
        kind, agency = self.fields["kind"], self.fields["agency"]
        assert isinstance(kind, forms.ChoiceField) and isinstance(agency, forms.ChoiceField)
        kind.choices = [("", "Everything"), *kinds]
        agency.choices = [("", "Every agency"), *((str(pk), name) for pk, name in agencies)]
