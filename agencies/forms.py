"""Sign-in form in the service's words."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User

from agencies.models import Membership
from audit.api import record
from audit.choices import Action, Outcome
from config.forms import NoControlCharactersValidator, ServiceForm, ServiceFormMixin, TextField


class SignInForm(ServiceFormMixin, AuthenticationForm):
    """Username and password; refuses accounts with no active membership of an active agency."""

    error_messages = {
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
        "inactive": "This account cannot sign in. Ask your administrator to check it.",
        "no_membership": (
            "This account is not linked to an active agency. Ask your administrator to check it."
        ),
    }

    username = TextField(
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "spellcheck": "false"}),
    )

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not Membership.objects.filter(user=user, is_active=True, agency__is_active=True).exists():
            # Right password, but no active membership: Django sends no failure signal for this, so
            # record the refusal here (by account id only).
            record(Action.LOGIN_FAILED, actor=None, object_type="user", reference=str(user.pk),
                   outcome=Outcome.DENIED, detail={"reason": "no_membership"})
            raise forms.ValidationError(self.error_messages["no_membership"], code="no_membership")


class SecondFactorForm(ServiceForm):
    """One field for a code from the authenticator app or a recovery code (named as django-otp names it)."""

    otp_token = TextField(
        label="Code", max_length=32, strip=True,
        error_messages={"required": "Enter the 6-digit code from your authenticator app, or a recovery code."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false", "autofocus": True}),
    )


class EnrolmentForm(ServiceForm):
    """The first code from a newly added authenticator app, which proves it was set up correctly."""

    otp_token = TextField(
        label="Code from your authenticator app", max_length=32, strip=True,
        error_messages={"required": "Enter the 6-digit code your authenticator app shows for this service."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "spellcheck": "false"}),
    )


class PasswordConfirmForm(ServiceForm):
    """Step-up for members without an authenticator: the password again."""

    password = forms.CharField(
        label="Password", strip=False, max_length=4096,
        error_messages={"required": "Enter your password."},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


def _new_password_field(label: str, required: str) -> forms.CharField:
    # Kept exactly as typed (no trimming, no normalising: sign-in compares what is typed), but never with
    # control characters or line breaks, which no keyboard sign-in could type again.
    return forms.CharField(
        label=label, strip=False, max_length=4096, error_messages={"required": required},
        validators=[NoControlCharactersValidator(multiline=False)],
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class SetPasswordForm(ServiceForm):
    """A new password, twice, checked by the project's password validators (Django's ``AUTH_PASSWORD_VALIDATORS``)."""

    new_password1 = _new_password_field("New password", "Enter a new password.")
    new_password2 = _new_password_field("Confirm the new password", "Enter the new password again.")

    def __init__(self, user: User, *args: object, **kwargs: object) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", "Enter the same password in both boxes.")
        elif first:
            try:
                password_validation.validate_password(str(first), self.user)
            except forms.ValidationError as error:
                self.add_error("new_password1", error)
        return cleaned
