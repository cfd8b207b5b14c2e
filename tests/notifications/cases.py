"""Notifications for the authorization matrix: one in teacher_lambeth's inbox (relation ``teacher_note``),
about the Lambeth school case, written through ``notifications.services.notify``."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.urls import reverse

from notifications.choices import Kind
from notifications.models import Notification
from notifications.services import notify
from tests.personas import World

NOTIFICATION_RELATIONS = ["teacher_note"]


def extend(world: World, built: Any) -> None:
    """A ``CASE_EXTENSIONS`` hook: ``built.notifications[relation].reference`` is the notification's id.
    Under each subject relation too, the teacher's notification about that girl (seen or not: a stale
    notification is still the reader's own), so the object URL is covered for every relation."""
    teacher = world.user("teacher_lambeth")
    built.notifications = {}
    for relation, subject in built.subjects.items():
        notify([teacher], kind=Kind.REFERRAL_DECIDED, reference=subject.reference,
               url=reverse("subject-detail", kwargs={"reference": subject.reference}))
        note = Notification.objects.filter(recipient=teacher, reference=subject.reference).latest("created_at")
        built.notifications[relation] = SimpleNamespace(reference=str(note.pk))
    built.notifications["teacher_note"] = built.notifications["lambeth_school"]
