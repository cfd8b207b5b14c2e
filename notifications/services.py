"""Telling people: one in-app notification per recipient, and an email with a reference and a link only.

``notify`` is called by the services of the layers above (routing, the register, transfers, case work)
inside their own transaction: the rows are written in it (and roll back with it), the email goes after
commit. It writes no access event of its own: the change that caused it is recorded by the service that
made it, and a notification holds no case data (a kind, a reference, a path). Reading one's own inbox is
not a read of case data either; marking notifications as read is a change, recorded here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from audit.api import audit_service, record
from audit.choices import Action, ObjectType
from notifications.choices import EMAILS, ONCE_PER_REFERENCE, Kind
from notifications.models import Notification
from operations.tasks import queue_email

# A case reference (``S-4KQ7-M2XD``, ``R-…``, ``T-…``) or a record's UUID: never a name. A path of this
# service, not a URL elsewhere (no scheme, no host, no ``//``).
REFERENCE = re.compile(r"^(?:[A-Z]{1,3}-[0-9A-Z]{4}-[0-9A-Z]{4}"
                       r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
PATH = re.compile(r"^/(?!/)[A-Za-z0-9/_.\-?=&]{0,199}$")


@dataclass(frozen=True)
class Item:
    """One thing to tell: what kind, about which case, where to look."""

    kind: str
    reference: str
    url: str
    urgent: bool = False

    def check(self) -> None:
        if self.kind not in Kind.values:
            raise ValidationError(f"Unknown notification kind {self.kind!r}.")
        if not REFERENCE.match(self.reference):
            raise ValidationError("A notification names its case by reference number only.")
        if not PATH.match(self.url):
            raise ValidationError("A notification links to a path of this service only.")


def _people(recipients: Iterable[User]) -> list[User]:
    """Each active recipient once, in a stable order."""
    seen: dict[int, User] = {}
    for user in recipients:
        if user is not None and user.is_active and user.pk not in seen:
            seen[user.pk] = user
    return [seen[pk] for pk in sorted(seen)]


def _write(people: Sequence[User], items: Sequence[Item]) -> int:
    """The inbox rows, in the caller's transaction; kinds in ``ONCE_PER_REFERENCE`` once per recipient
    and reference however often they are raised (one query to find those already there)."""
    once = [item for item in items if item.kind in ONCE_PER_REFERENCE]
    existing: set[tuple[int, str, str]] = set()
    if once:
        existing = set(Notification.objects.filter(
            recipient__in=[u.pk for u in people], kind__in={i.kind for i in once},
            reference__in={i.reference for i in once}).values_list("recipient_id", "kind", "reference"))
    now = timezone.now()
    rows = [Notification(recipient=user, kind=item.kind, reference=item.reference, url=item.url,
                         urgent=item.urgent, created_at=now)
            for user in people for item in items
            if (user.pk, item.kind, item.reference) not in existing]
    Notification.objects.bulk_create(rows)
    return len(rows)


def _email(people: Sequence[User], subject: str, body: str, *, send_now: bool) -> bool:
    """Queue the email in the current transaction (``operations.tasks``: a worker sends it, with retries);
    ``send_now`` for the scheduled jobs' digests, which belong to no change."""
    addresses = sorted({user.email for user in people if user.email})
    if not addresses:
        return False
    queue_email(subject, body, addresses, now=send_now)
    return True


def link_to(url: str) -> str:
    """The absolute link an email carries to a path of the service."""
    return settings.SITE_URL.rstrip("/") + url


def notify(recipients: Iterable[User], *, kind: str, reference: str, url: str, urgent: bool = False) -> None:
    """Tell each recipient, in the inbox and by email after commit, that ``kind`` happened to the case
    ``reference``, linking to ``url`` (a path whose page checks access itself). The email's wording is the
    kind's (``notifications.choices.EMAILS``): a reference and a link, nothing else."""
    item = Item(kind=kind, reference=reference, url=url, urgent=urgent)
    item.check()
    people = _people(recipients)
    if not people:
        return
    _write(people, [item])
    subject, body = EMAILS[kind].render(reference, link_to(url))
    if urgent and not subject.startswith("URGENT"):
        subject = f"URGENT: {subject}"
    _email(people, subject, body, send_now=False)


def notify_digest(recipients: Iterable[User], *, items: Sequence[Item], subject: str, body: str,
                  send_now: bool = False) -> bool:
    """Tell each recipient of several cases at once: one inbox row per case, one email listing them (a
    scheduled job's digest). The caller words the email, with references and links only. ``send_now``:
    for a job running outside any transaction (the email is not part of a change that could roll back).
    Returns whether an email was sent."""
    for item in items:
        item.check()
    people = _people(recipients)
    if not people or not items:
        return False
    _write(people, items)
    return _email(people, subject, body, send_now=send_now)


def unread_count(user: User) -> int:
    """How many of ``user``'s notifications are unread (one query)."""
    return Notification.objects.restrict(user, "view").filter(read_at__isnull=True).count()


@audit_service
@transaction.atomic
def do_mark_notification_read(*, notification_id: str, actor: User) -> Notification:
    """Mark one of the actor's own notifications as read; another person's is not found (404). Reading
    one already read changes nothing and records nothing."""
    notification = (Notification.objects.restrict(actor, "change").select_for_update()
                    .filter(pk=notification_id).first())
    if notification is None:
        raise Http404("No notification found.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        record(Action.UPDATE, actor=actor, object_type=ObjectType.NOTIFICATION, reference=str(notification.pk),
               purpose="Notification read", detail={"kind": notification.kind})
    return notification


@audit_service
@transaction.atomic
def do_mark_all_notifications_read(*, actor: User) -> int:
    """Mark every unread notification of the actor's as read; returns how many (none: nothing recorded).
    Notifications are not tracked by simple-history, so one set-based update is allowed here."""
    now = timezone.now()
    count = Notification.objects.restrict(actor, "change").filter(read_at__isnull=True).update(read_at=now)
    if count:
        record(Action.UPDATE, actor=actor, object_type=ObjectType.NOTIFICATION, purpose="All notifications read",
               detail={"count": count})
    return count


def forget_references(references: Iterable[str]) -> int:
    """Delete every notification naming one of ``references`` (a set-based step of erasing a girl, inside
    the erasure's transaction, whose one ``erase`` event says how many went): once her record is erased, no
    inbox keeps telling anyone that something happened to her case. Returns how many."""
    wanted = sorted(set(references))
    count = 0
    for start in range(0, len(wanted), 500):
        deleted, _by_model = Notification.objects.filter(reference__in=wanted[start:start + 500]).delete()
        count += deleted
    return count


@audit_service
@transaction.atomic
def do_purge_notifications(*, now: dt.datetime | None = None, actor: User | None = None) -> int:
    """Delete every notification made more than ``NOTIFICATION_RETENTION_DAYS`` ago, read or not (a set-based
    job: notifications are not tracked by simple-history); one event with how many, none when none."""
    before = (now or timezone.now()) - dt.timedelta(days=settings.NOTIFICATION_RETENTION_DAYS)
    count, _by_model = Notification.objects.filter(created_at__lt=before).delete()
    if count:
        record(Action.ERASE, actor=actor, object_type=ObjectType.NOTIFICATION, purpose="Notification retention",
               detail={"notifications": count, "days": settings.NOTIFICATION_RETENTION_DAYS})
    return count
