"""Business actions on the association map (DESIGN.md §5.3): add or suggest, confirm and remove links,
and erase associates who are no longer linked past retention.

Each runs in one transaction, sets the history user, writes exactly one access event (references only:
an associate's name never reaches the trail) and re-checks that the actor can still see what they wrote.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from agencies import capabilities
from agencies.models import Agency, Borough
from agencies.permissions import active_membership
from audit.api import audit_service, record
from audit.choices import Action
from audit.history import set_history_user
from encryption import services as encryption
from encryption.models import ErasureReason
from referrals.models import Subject
from referrals.references import new_reference, retried_on_reference_clash
from risk.map.models import Associate, Confidence, Group, Link, LinkStatus, LinkType, Place, active_links_q
from risk.services.assessment import mark_due

Node = Subject | Associate | Place | Group
PREFIX = {"associate": "A", "place": "P", "group": "G", "link": "L"}


def node_kind(node: Node) -> str:
    """'subject', 'associate', 'place' or 'group'."""
    return type(node).__name__.lower()


def _save_new_node(node: Associate | Place | Group, borough: Borough, actor: User) -> None:
    """Save an associate, place or group the form built but did not save (its first link creates it)."""
    kind = node_kind(node)
    node.reference = new_reference(PREFIX[kind])
    # Their own data key (people, places and groups alike), so a name can be erased on its own.
    node.data_key = encryption.do_create_data_key(actor=actor)
    if kind == "associate" or node.borough_id is None:
        node.borough = borough
    set_history_user(node, actor)
    node.save()


def _is_new(node: Node) -> bool:
    return node._state.adding


@retried_on_reference_clash
@audit_service
@transaction.atomic
def do_add_link(
    *,
    ends: tuple[Node, Node],
    link_type: str,
    first_seen: dt.date,
    last_seen: dt.date | None = None,
    confidence: str = Confidence.MEDIUM,
    source_agency: Agency | None = None,
    expires_on: dt.date | None = None,
    suggested_from: Any = None,
    actor: User,
) -> Link:
    """Link two nodes. A MASH lead's link is confirmed at once; a practitioner's or DSL's is a
    suggestion that waits for the MASH lead. New (unsaved) associates, places or groups among ``ends``
    are created with the link. Receiving workers (read-only) may not add links."""
    membership = active_membership(actor)
    if membership is None:
        raise PermissionDenied("No active membership.")
    kinds = [node_kind(node) for node in ends]
    if len(set(kinds)) != 2 or not set(kinds) <= {"subject", "associate", "place", "group"}:
        raise ValidationError("A link joins two different kinds: a young person, a person, a place or a group.")
    if link_type not in LinkType.values:
        raise ValidationError("Choose the type of link.")
    if confidence not in Confidence.values:
        raise ValidationError("Choose how confident you are.")
    today = timezone.localdate()
    last_seen = last_seen or first_seen
    if first_seen > today or last_seen > today:
        raise ValidationError("Dates seen cannot be in the future.")
    if last_seen < first_seen:
        raise ValidationError("Last seen must be on or after first seen.")
    subject = next((node for node in ends if isinstance(node, Subject)), None)
    if subject is not None:
        if not Subject.objects.restrict(actor, "view").filter(pk=subject.pk).exists():
            raise PermissionDenied("Not visible.")
        if subject.is_erased:
            raise ValidationError("This record has been erased.")
        borough = subject.home_borough
    elif capabilities.is_mash_lead(actor):
        borough = membership.agency.borough
    else:
        raise PermissionDenied("Only a MASH lead links people, places and groups to each other.")
    is_mash = capabilities.leads_mash_of(actor, borough)
    if not is_mash and not (capabilities.can_suggest_links(actor) and subject is not None):
        raise PermissionDenied("Read-only.")
    for node in ends:
        if isinstance(node, Subject) or _is_new(node):
            continue
        if not type(node).objects.restrict(actor, "view").filter(pk=node.pk).exists():
            raise PermissionDenied("Not visible.")
        if isinstance(node, Associate) and node.erased_at is not None:
            raise ValidationError("This person's details have been erased.")
    created = [node for node in ends if not isinstance(node, Subject) and _is_new(node)]
    for node in created:
        _save_new_node(node, borough, actor)
    try:
        now = timezone.now()
        link = Link(
            reference=new_reference("L"), link_type=link_type, borough=borough,
            source_agency=source_agency or membership.agency, first_seen=first_seen, last_seen=last_seen,
            confidence=confidence,
            expires_on=expires_on or last_seen + dt.timedelta(days=settings.MAP_LINK_EXPIRY_DAYS),
            status=LinkStatus.CONFIRMED if is_mash else LinkStatus.PENDING, suggested_by=actor,
            suggested_from=suggested_from,
            confirmed_by=actor if is_mash else None, confirmed_at=now if is_mash else None,
        )
        for node in ends:
            setattr(link, node_kind(node), node)
        link.data_key_id = link.owner_data_key_id()
        set_history_user(link, actor)
        link.save()
        record(Action.CREATE, actor=actor, object_type="map_link", reference=link.reference, borough=borough,
               detail={"status": link.status, "link_type": link_type, "ends": "+".join(sorted(kinds)),
                       **{kind: getattr(node, "reference", "") for kind, node in zip(kinds, ends, strict=True)}})
        if not Link.objects.restrict(actor, "view").filter(pk=link.pk).exists():
            raise PermissionDenied("You would not be able to see this link.")  # rolls back
        if link.status == LinkStatus.CONFIRMED:
            _rescore_around(link)
        return link
    except BaseException:
        # The transaction takes the new nodes' rows with it: the caller's objects are unsaved again, so a
        # second attempt (a reference clash) creates them rather than looking for rows that are gone.
        for node in created:
            node.pk = None  # its reference and data key are drawn afresh by _save_new_node
            node._state.adding = True
        raise


def _rescore_around(link: Link) -> None:
    """A link that starts or stops counting changes the map facts of every young person linked to the
    same person, place or group (a context of concern counts them all): make them due for the next
    ``rescore`` (one UPDATE)."""
    if link.subject_id is None:
        return
    near = Q(subject_id=link.subject_id)
    for kind in ("associate", "place", "group"):
        if getattr(link, f"{kind}_id") is not None:
            near |= Q(**{f"{kind}_id": getattr(link, f"{kind}_id")})
    mark_due(Link._base_manager.filter(near, subject__isnull=False).values("subject_id"))


def _require_mash_for(link: Link, actor: User) -> None:
    if not Link.objects.restrict(actor, "change").filter(pk=link.pk).exists():
        raise PermissionDenied("Only the borough's MASH lead can do this.")


@audit_service
@transaction.atomic
def do_confirm_link(link: Link, *, actor: User) -> Link:
    """Confirm a practitioner's suggestion (MASH lead of the link's borough)."""
    _require_mash_for(link, actor)
    link = Link.objects.select_for_update().get(pk=link.pk)
    if link.status != LinkStatus.PENDING:
        raise ValidationError("Only a suggested link can be confirmed.")
    link.status, link.confirmed_by, link.confirmed_at = LinkStatus.CONFIRMED, actor, timezone.now()
    set_history_user(link, actor)
    link.save()
    record(Action.DECIDE, actor=actor, object_type="map_link", reference=link.reference, borough=link.borough,
           detail={"decision": "confirmed"})
    _rescore_around(link)
    return link


@audit_service
@transaction.atomic
def do_remove_link(link: Link, *, reason: str, actor: User) -> Link:
    """Remove a link: recorded (status, who, when, why), never deleted. The MASH lead removes any link
    of the borough; whoever suggested a link may withdraw it while it is still a suggestion."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give the reason for removing this link.")
    if len(reason) > 200:
        raise ValidationError("The reason must be 200 characters or fewer.")
    locked = Link.objects.select_for_update().get(pk=link.pk)
    own_suggestion = locked.status == LinkStatus.PENDING and locked.suggested_by_id == actor.pk
    if not own_suggestion:
        _require_mash_for(locked, actor)
    if locked.status == LinkStatus.REMOVED:
        raise ValidationError("This link has already been removed.")
    was_counting = locked.status == LinkStatus.CONFIRMED
    locked.status, locked.removed_by, locked.removed_at = LinkStatus.REMOVED, actor, timezone.now()
    # Encrypted under the key of the person the link is about (hers, when she is an end).
    locked.data_key_id = locked.data_key_id or locked.owner_data_key_id()
    locked.removal_reason = reason
    set_history_user(locked, actor)
    locked.save()
    # The reason is free text and may name someone: it stays on the row, not in the trail.
    record(Action.REVOKE, actor=actor, object_type="map_link", reference=locked.reference,
           borough=locked.borough, detail={"withdrawn": own_suggestion})
    if was_counting:
        _rescore_around(locked)
    return locked


@audit_service
@transaction.atomic
def do_erase_unlinked_associates(*, actor: User | None = None, today: dt.date | None = None) -> int:
    """Crypto-shred the identity of every associate with no counting link (confirmed and unexpired, or
    still pending) whose last link ended more than ``MAP_ASSOCIATE_RETENTION_DAYS`` ago. A set-based
    retention job: one access event for the run. Returns how many were erased."""
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=settings.MAP_ASSOCIATE_RETENTION_DAYS)
    live = Link._base_manager.filter(active_links_q(today=today) | Q(status=LinkStatus.PENDING))
    candidates = (
        Associate._base_manager.filter(erased_at__isnull=True)
        .exclude(pk__in=live.filter(associate__isnull=False).values("associate_id"))
        # A link ended when it was removed, or else when it expired.
        .annotate(ended=Max(Coalesce(TruncDate("links__removed_at"), F("links__expires_on"))))
        .only("id", "created_at", "data_key_id")
    )
    erased: list[Any] = []
    for associate in candidates:
        ended = associate.ended or associate.created_at.date()
        if ended > cutoff:
            continue
        encryption.do_shred_data_key(associate.data_key_id, actor=actor, reason=ErasureReason.ASSOCIATE_RETENTION)
        erased.append(associate.pk)
    # Documented set-based job (DESIGN.md §5.5): saving each row would re-encrypt the identity into a new
    # history row under a key that no longer exists; the key's shredded_at is the record of erasure.
    Associate._base_manager.filter(pk__in=erased).update(erased_at=timezone.now())
    record(Action.ERASE, actor=actor, object_type="associate", detail={"job": "associate_retention",
                                                                       "erased": len(erased)})
    return len(erased)


def detach_erased_subject(subject: Any, *, actor: User | None) -> int:
    """Part of erasing a girl (called inside ``referrals.services.do_erase_subject``'s transaction):
    no associate, place or group may stay tied to her reference.

    Her links, and their history rows, are deleted (a documented set-based step of erasure: the rows
    themselves are the tie); an address place left with no other link (her home) has its own key
    shredded, so its name goes too. Returns how many links went. The caller records the one access
    event of the erasure.
    """
    from risk.map.models import Place, PlaceKind

    links = Link._base_manager.filter(subject_id=subject.pk)
    place_ids = set(links.filter(place__isnull=False).values_list("place_id", flat=True))
    around = list(links.filter(status=LinkStatus.CONFIRMED))
    for link in around:
        _rescore_around(link)
    count = links.count()
    links.delete()
    # After the delete, which itself adds a history row per link.
    Link.history.filter(subject_id=subject.pk).delete()
    orphan_homes = (
        Place._base_manager.filter(pk__in=place_ids, kind=PlaceKind.ADDRESS)
        .exclude(pk__in=Link._base_manager.filter(place__isnull=False).values("place_id"))
        .values_list("data_key_id", flat=True)
    )
    for key_id in list(orphan_homes):
        encryption.do_shred_data_key(key_id, actor=actor, reason=ErasureReason.NODE_ERASED)
    return count
