"""What every form of the service shares: free text that refuses control characters with a clear
message, and pages that never send a raw control character back to the browser.

Which characters are refused, and why, is in ``config.text``. Invisible characters that carry no
meaning (zero-width space, word joiner, byte-order mark, soft hyphen) are dropped instead, so a name
with a zero-width space inside is stored, matched and shown without it. Text is stored in NFC, the
form browsers normally send, so the same name typed on two devices is the same string.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.forms.boundfield import BoundField
from django.utils.deconstruct import deconstructible

from config.text import INVISIBLE, has_control_characters, scrub

CONTROL_MESSAGE = (
    "This contains hidden or control characters that cannot be stored. Retype it, or paste it as plain text."
)
LINE_BREAK_MESSAGE = "This must be on one line."


@deconstructible
class NoControlCharactersValidator:
    """Refuse control characters (tab, and line breaks where the field is multi-line, excepted),
    bidirectional controls, surrogates and the marks of unreadable input."""

    def __init__(self, *, multiline: bool) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        text = str(value)
        if not self.multiline and ("\n" in text or "\r" in text):
            raise ValidationError(LINE_BREAK_MESSAGE, code="line_break")
        if has_control_characters(text, multiline=self.multiline):
            raise ValidationError(CONTROL_MESSAGE, code="control_characters")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoControlCharactersValidator) and other.multiline == self.multiline


class TextField(forms.CharField):
    """Free text: NFC-normalised, invisible characters dropped, control characters refused.

    Multi-line when its widget is a textarea (line breaks are kept, as ``\\n``); single-line otherwise.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.multiline = isinstance(self.widget, forms.Textarea)
        # Replaces Django's NUL check with one message for every refused character.
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]
        self.validators.append(NoControlCharactersValidator(multiline=self.multiline))

    def to_python(self, value: Any) -> str | None:
        if isinstance(value, str):
            value = unicodedata.normalize("NFC", value.translate(INVISIBLE))
            if self.multiline:
                value = value.replace("\r\n", "\n")
        return super().to_python(value)


class TextRegexField(forms.RegexField, TextField):
    """A free-text field that must also match a pattern."""


class ScrubbedBoundField(BoundField):
    """Shows a submitted value back without the characters the fields refuse (escaping alone would
    still send them raw)."""

    def value(self) -> Any:
        return scrub(super().value())


# Django's default messages for a value not among the choices repeat the value itself.
CHOICE_MESSAGES = {
    "invalid_choice": "Choose one of the options given.",
    "invalid_pk_value": "Choose one of the options given.",
    "invalid_list": "Choose one or more of the options given.",
}


class ServiceFormMixin:
    """Every form of the service: scrubbed redisplay, and messages that never repeat what was sent."""

    bound_field_class: type[BoundField] | None = ScrubbedBoundField
    fields: dict[str, forms.Field]  # the form's, once mixed into one

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            for key, message in list(field.error_messages.items()):
                if "%(value)" in str(message) or "%(pk)" in str(message):
                    field.error_messages[key] = CHOICE_MESSAGES.get(key, "Check this answer.")


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """The form's model choice field ``name``, typed as one (``form.fields`` holds plain ``Field``s), for
    a form that sets its queryset when it is made."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{name!r} is not a model choice field.")
    return field


class ServiceForm(ServiceFormMixin, forms.Form):
    """Base of the service's forms."""

    def clean(self) -> dict[str, Any]:
        # Django's ``Form.clean`` returns ``cleaned_data``; the stubs allow None (a subclass may return
        # nothing, and Django then keeps ``cleaned_data``). Either way the form's data comes back, typed.
        data = super().clean()
        return self.cleaned_data if data is None else data
