"""Sign-in form in the service's words."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import AbstractBaseUser

from agencies.models import Membership
from audit.api import record
from audit.choices import Action, Outcome


class SignInForm(AuthenticationForm):
    """Username and password; refuses accounts with no active membership of an active agency."""

    error_messages = {
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
        "inactive": "This account cannot sign in. Ask your administrator to check it.",
        "no_membership": (
            "This account is not linked to an active agency. Ask your administrator to check it."
        ),
    }

    username = forms.CharField(
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "spellcheck": "false"}),
    )

    def confirm_login_allowed(self, user: AbstractBaseUser) -> None:
        super().confirm_login_allowed(user)
        if not Membership.objects.filter(user=user, is_active=True, agency__is_active=True).exists():
            # Right password, but no active membership: Django sends no failure signal for this, so
            # record the refusal here (by account id only).
            record(Action.LOGIN_FAILED, actor=None, object_type="user", reference=str(user.pk),
                   outcome=Outcome.DENIED, detail={"reason": "no_membership"})
            raise forms.ValidationError(self.error_messages["no_membership"], code="no_membership")
