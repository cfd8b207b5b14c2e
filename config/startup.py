"""Start-up checks that the WSGI and ASGI entry points run (gunicorn runs no system checks itself)."""

from __future__ import annotations

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def refuse_to_start_on_errors(tags: list[str]) -> None:
    """Run the system checks of ``tags`` and raise if any is an error."""
    errors = [message for message in checks.run_checks(tags=tags) if message.is_serious()]
    if errors:
        raise ImproperlyConfigured("Refusing to start:\n" + "\n".join(
            f"{message.id}: {message.msg} {message.hint or ''}" for message in errors))
