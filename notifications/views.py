"""The inbox ("Notifications": the MASH's "Referrals" page is its inbox of referrals). Every signed-in
member has one; each notification links to its case's own page, which checks access itself."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from agencies.http import CaseRequest
from audit.api import audit_exempt
from notifications import services
from notifications.context_processors import cached_unread_count
from notifications.forms import MarkReadForm
from notifications.models import Notification

PAGE_SIZE = 25


def _back(form: MarkReadForm) -> str:
    page = form.cleaned_data.get("page")
    return reverse("notification-list") + (f"?page={page}" if page and page > 1 else "")


def _refused(request: CaseRequest) -> HttpResponse:
    """A form that was not the page's own (a page number that is not one): nothing is marked."""
    messages.error(request, "Nothing was marked as read: go back to your notifications and try again.")
    return redirect("notification-list")


@require_GET
@audit_exempt("The reader's own notifications: kinds, reference numbers and links, no case data; each "
              "link's page records its own read.")
def notification_list(request: CaseRequest) -> HttpResponse:
    """The member's notifications, newest first, 25 to a page; unread ones marked."""
    notifications = Notification.objects.restrict(request.user, "view").order_by("-created_at", "-id")
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/notification_list.html", {
        "page": page, "notifications": list(page.object_list),
        "unread": cached_unread_count(request),  # the header's count: one query for both
    })


@require_POST
@audit_exempt("do_mark_notification_read records the change; nothing here shows case data.")
def notification_read(request: CaseRequest, reference: uuid.UUID) -> HttpResponse:
    """Mark one of the member's own notifications as read (someone else's: 404)."""
    form = MarkReadForm(request.POST)
    if not form.is_valid():
        return _refused(request)
    services.do_mark_notification_read(notification_id=str(reference), actor=request.user)
    return redirect(_back(form))


@require_POST
@audit_exempt("do_mark_all_notifications_read records the change; nothing here shows case data.")
def notification_read_all(request: CaseRequest) -> HttpResponse:
    """Mark every unread notification of the member's as read."""
    form = MarkReadForm(request.POST)
    if not form.is_valid():
        return _refused(request)
    count = services.do_mark_all_notifications_read(actor=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read." if count
                     else "You have no unread notifications.")
    return redirect(_back(form))
