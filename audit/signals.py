"""Failed sign-ins and sign-outs, from Django's auth signals.

A successful sign-in is recorded where it completes, once (``agencies.sessions.on_user_logged_in`` for a
member who signs in with a password alone, ``agencies.services.do_verify_second_factor`` for one who
also gives a code): recording it here too wrote two ``login`` events for every two-factor sign-in.

A failed sign-in names the attempted account only by its id, and only when such an account exists:
whatever was typed (which might be someone's name, or a password typed in the wrong box) is never kept.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest

from audit.api import record
from audit.choices import Action, Outcome


def on_logged_out(
    sender: Any, request: HttpRequest | None, user: AbstractBaseUser | None, **kwargs: Any
) -> None:
    if user is None or not getattr(user, "pk", None):
        return
    record(Action.LOGOUT, actor=user, object_type="user", reference=str(user.pk))


def on_login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None,
                    **kwargs: Any) -> None:
    User = get_user_model()
    attempted = credentials.get(User.USERNAME_FIELD)
    user_id = None
    if isinstance(attempted, str) and attempted:
        user_id = User._default_manager.filter(**{User.USERNAME_FIELD: attempted}).values_list(
            "pk", flat=True).first()
    record(
        Action.LOGIN_FAILED, actor=None, object_type="user" if user_id else "",
        reference=str(user_id) if user_id else "", outcome=Outcome.DENIED,
    )
