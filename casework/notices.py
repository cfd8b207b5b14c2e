"""Every notification of case work goes through ``notify`` (issue 19): a reference and a link, never a
name, a narrative or a reason. Until the inbox (``notifications.services.notify``) is merged it emails the
way ``referrals.routing._notify`` does, after commit; the integrator points it at the inbox.

Kinds: ``action_assigned``, ``action_overdue``, ``meeting_agenda_out``, ``strategy_discussion_recorded``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

KINDS = {
    "action_assigned": "Action {reference} has been assigned to you",
    "action_overdue": "Action {reference} is overdue",
    "meeting_agenda_out": "MACE meeting {reference}: the agenda is out",
    "strategy_discussion_recorded": "Strategy discussion {reference} has been recorded",
}


def notify(recipients: Iterable[Any], *, kind: str, reference: str, url: str, urgent: bool = False) -> None:
    """Tell ``recipients`` (users) that something about ``reference`` needs them, with a link to ``url`` (a
    path): by email after commit, with no personal details."""
    if kind not in KINDS:
        raise ValueError(f"Unknown notification kind {kind!r}.")
    emails = sorted({u.email for u in recipients if getattr(u, "email", "") and getattr(u, "is_active", True)})
    if not emails:
        return
    link = settings.SITE_URL.rstrip("/") + url
    subject_line = ("URGENT: " if urgent else "") + KINDS[kind].format(reference=reference)
    body = (f"{KINDS[kind].format(reference=reference)}.\n\n"
            f"Sign in to see it: {link}\n\n"
            "This email deliberately contains no personal details.")
    transaction.on_commit(lambda: send_mail(subject_line, body, None, emails, fail_silently=True))
