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
    """A ``CASE_EXTENSIONS`` hook: ``built.notifications[relation].reference`` is the notification's id."""
    subject = built.subjects["lambeth_school"]
    teacher = world.user("teacher_lambeth")
    notify([teacher], kind=Kind.REFERRAL_DECIDED, reference=subject.reference,
           url=reverse("subject-detail", kwargs={"reference": subject.reference}))
    note = Notification.objects.filter(recipient=teacher, reference=subject.reference).latest("created_at")
    built.notifications = {"teacher_note": SimpleNamespace(reference=str(note.pk))}
