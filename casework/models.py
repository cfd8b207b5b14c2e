"""Case work after the MASH's decision: strategy discussions, MACE meetings (agenda, attendance,
discussion records), plans with actions owned by an agency and a person, and outcomes.

Free text (discussion records, decisions, what an action needs, outcome notes, typed cancellation detail) is
encrypted under the key of whom it is about: her data key for her plan and discussions, the place's or the
group's own key for a context's (``data_key`` on each row, as ``risk.RegisterReview`` does). What is clear is
what routing, clocks, the agenda and the statistics need: codes, dates, agencies and references.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from agencies.choices import RoleCode
from agencies.models import Agency, Borough, Membership
from agencies.permissions import NOTHING, RestrictedQuerySet, break_glass_rule
from casework.choices import (
    ActionSource,
    ActionStatus,
    AgendaReason,
    CancelReason,
    MeetingStatus,
    OutcomeKind,
    PlanKind,
    StrategyDecision,
)
from encryption.fields import EncryptedTextField
from referrals.models import ReferralPathway, Subject, readable_shares

_ONE_TARGET = (models.Q(subject__isnull=False, place__isnull=True, group__isnull=True)
               | models.Q(subject__isnull=True, place__isnull=False, group__isnull=True)
               | models.Q(subject__isnull=True, place__isnull=True, group__isnull=False))


def _mash(membership: Membership, field: str = "borough_id") -> models.Q:
    """The MASH leads of the row's borough."""
    if RoleCode.MASH_LEAD not in membership.role_codes:
        return NOTHING
    return models.Q(**{field: membership.agency.borough_id})


def _shared(membership: Membership, field: str = "subject_id") -> models.Q:
    """A receiving service that has accepted one of her pathways, while its share lasts."""
    if RoleCode.RECEIVING_WORKER not in membership.role_codes:
        return NOTHING
    return models.Q(**{f"{field}__in": readable_shares(membership)})


def _union(*parts: models.Q) -> models.Q:
    rule = NOTHING
    for part in parts:
        if part != NOTHING:
            rule = part if rule == NOTHING else rule | part
    return rule


class Target(models.Model):
    """What a plan, an action, an agenda item or a discussion is about: her, or a context (a place or a
    group of the association map). Exactly one is set."""

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    place = models.ForeignKey("risk.Place", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    group = models.ForeignKey("risk.Group", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        abstract = True

    @property
    def target(self) -> Any:
        return self.subject or self.place or self.group

    @property
    def target_reference(self) -> str:
        target = self.target
        return str(target.reference) if target is not None else ""

    @property
    def is_context(self) -> bool:
        return self.subject_id is None


class Plan(Target):
    """Her safety plan, or a context's disruption plan: the actions agreed for her (or for a place or a
    group), whoever agreed them (a strategy discussion, a MACE meeting, a register review)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=12, choices=PlanKind.choices)
    borough = models.ForeignKey(Borough, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=_ONE_TARGET, name="plan_one_target"),
            models.CheckConstraint(condition=models.Q(kind__in=PlanKind.values), name="plan_kind_valid"),
            models.UniqueConstraint(fields=["subject"], condition=models.Q(subject__isnull=False),
                                    name="plan_one_per_subject"),
            models.UniqueConstraint(fields=["place"], condition=models.Q(place__isnull=False),
                                    name="plan_one_per_place"),
            models.UniqueConstraint(fields=["group"], condition=models.Q(group__isnull=False),
                                    name="plan_one_per_group"),
        ]

    def __str__(self) -> str:
        return f"Plan {self.pk}"

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """The plan as a whole: the MASH leads of its borough, and a service that has accepted one of her
        pathways (her plan only). Action owners see their own actions, not the plan (``Action``)."""
        if action != "view":
            return NOTHING
        return _union(_mash(membership), _shared(membership), break_glass_rule(membership, "subject_id"))


class StrategyDiscussion(models.Model):
    """A strategy discussion (Children Act 1989 s47; Working Together 2023): who took part (agencies), when
    against its clock, what it decided, and its record (encrypted under her key). Linked to the referral
    pathway that called it; recording it starts the clocks that run from it (an initial child protection
    conference within 15 working days)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=11, unique=True, editable=False)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    pathway = models.ForeignKey(ReferralPathway, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                help_text="The referral pathway that called it.")
    borough = models.ForeignKey(Borough, on_delete=models.PROTECT, related_name="+")
    data_key = models.ForeignKey("encryption.DataKey", on_delete=models.DO_NOTHING, db_constraint=False,
                                 related_name="+")  # hers, in the key store
    held_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True, help_text="The deadline of the pathway that called it.")
    agencies = models.ManyToManyField(Agency, related_name="+", help_text="The agencies that took part.")
    decision = models.CharField(max_length=20, choices=StrategyDecision.choices)
    record = EncryptedTextField(data_key="data_key_id")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-held_at"]
        indexes = [models.Index(fields=["subject", "-held_at"], name="strategy_by_subject")]
        constraints = [models.CheckConstraint(condition=models.Q(decision__in=StrategyDecision.values),
                                              name="strategy_decision_valid")]

    def __str__(self) -> str:
        return self.reference

    @property
    def within_clock(self) -> bool | None:
        """Held by its deadline (None where the pathway had no deadline)."""
        return None if self.due_at is None else self.held_at <= self.due_at

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """Her borough's MASH leads, who run it; a service that accepted one of her pathways, while shared."""
        if action != "view":
            return NOTHING
        return _union(_mash(membership), _shared(membership), break_glass_rule(membership, "subject_id"))


class MaceMeeting(models.Model):
    """One meeting of a borough's multi-agency child exploitation (MACE) panel, run by its MASH: the
    agenda (``AgendaItem``), the agencies present, the discussions and the actions agreed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=11, unique=True, editable=False)
    borough = models.ForeignKey(Borough, on_delete=models.PROTECT, related_name="+")
    meets_on = models.DateField()
    status = models.CharField(max_length=12, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED)
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    attendees = models.ManyToManyField(Agency, related_name="+", blank=True, help_text="Agencies present.")
    created_at = models.DateTimeField(default=timezone.now)
    agenda_sent_at = models.DateTimeField(null=True, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-meets_on", "reference"]
        indexes = [models.Index(fields=["borough", "-meets_on"], name="mace_by_borough")]
        constraints = [models.CheckConstraint(condition=models.Q(status__in=MeetingStatus.values),
                                              name="mace_status_valid")]

    def __str__(self) -> str:
        return self.reference

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """``view``: the MASH leads of its borough; members of an agency invited to it (its date and status;
        once held, the minutes, each discussion in them behind its own rule). ``manage``: the MASH."""
        if action == "manage":
            return _mash(membership)
        if action != "view":
            return NOTHING
        rule = _mash(membership)
        if membership.role_codes & {RoleCode.DSL, RoleCode.RECEIVING_WORKER, RoleCode.PRACTITIONER}:
            attended = cls.attendees.through.objects.filter(agency_id=membership.agency_id)
            rule = _union(rule, models.Q(pk__in=attended.values("macemeeting_id")))
        return rule


class AgendaItem(Target):
    """One item of a MACE agenda: a girl from the register, or a context of concern, and why it is there.
    The chair adds and removes items; the agenda lists them in ``AgendaReason`` order."""

    meeting = models.ForeignKey(MaceMeeting, on_delete=models.CASCADE, related_name="items")
    reason = models.CharField(max_length=20, choices=AgendaReason.choices)
    position = models.PositiveIntegerField(default=0)
    added_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["meeting", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=_ONE_TARGET, name="agenda_one_target"),
            models.CheckConstraint(condition=models.Q(reason__in=AgendaReason.values), name="agenda_reason_valid"),
            models.UniqueConstraint(fields=["meeting", "subject"], condition=models.Q(subject__isnull=False),
                                    name="agenda_subject_once"),
            models.UniqueConstraint(fields=["meeting", "place"], condition=models.Q(place__isnull=False),
                                    name="agenda_place_once"),
            models.UniqueConstraint(fields=["meeting", "group"], condition=models.Q(group__isnull=False),
                                    name="agenda_group_once"),
        ]

    def __str__(self) -> str:
        return f"Agenda item {self.pk}"

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """The agenda names girls on the register: the MASH leads of the meeting's borough only."""
        if action != "view":
            return NOTHING
        return _mash(membership, "meeting__borough_id")


class MaceDiscussion(Target):
    """What a MACE meeting discussed about one girl or one context: the record and the decisions, encrypted
    under her key (or the place's or group's). The actions agreed are ``Action`` rows of her plan."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(MaceMeeting, on_delete=models.PROTECT, related_name="discussions")
    data_key = models.ForeignKey("encryption.DataKey", on_delete=models.DO_NOTHING, db_constraint=False,
                                 related_name="+")
    record = EncryptedTextField(data_key="data_key_id")
    decisions = EncryptedTextField(data_key="data_key_id", blank=True, null=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["meeting", "recorded_at"]
        constraints = [
            models.CheckConstraint(condition=_ONE_TARGET, name="discussion_one_target"),
            models.UniqueConstraint(fields=["meeting", "subject"], condition=models.Q(subject__isnull=False),
                                    name="discussion_subject_once"),
            models.UniqueConstraint(fields=["meeting", "place"], condition=models.Q(place__isnull=False),
                                    name="discussion_place_once"),
            models.UniqueConstraint(fields=["meeting", "group"], condition=models.Q(group__isnull=False),
                                    name="discussion_group_once"),
        ]

    def __str__(self) -> str:
        return f"MACE discussion {self.pk}"

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """The MASH leads of the meeting's borough; a service that accepted one of her pathways (her
        discussions); the DSLs of an agency that attended, about a girl their agency recorded concerns about.
        Contexts' discussions: the MASH only."""
        if action != "view":
            return NOTHING
        rule = _union(_mash(membership, "meeting__borough_id"), _shared(membership),
                      break_glass_rule(membership, "subject_id"))
        if RoleCode.DSL in membership.role_codes:
            attended = MaceMeeting.attendees.through.objects.filter(agency_id=membership.agency_id)
            theirs = Subject._base_manager.filter(concerns__agency_id=membership.agency_id).values("pk")
            rule = _union(rule, models.Q(meeting_id__in=attended.values("macemeeting_id"), subject_id__in=theirs))
        return rule


class Action(Target):
    """One action of a plan: what it needs (encrypted), the agency and the person who own it, when it is
    due, its status (open, done, overdue, cancelled with a reason) and its outcome note (encrypted). Owners
    see and update their own; their agency's DSLs and practitioners see their agency's; the MASH sees and
    cancels its borough's. Moves only through ``casework.services``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=11, unique=True, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="actions")
    borough = models.ForeignKey(Borough, on_delete=models.PROTECT, related_name="+")
    data_key = models.ForeignKey("encryption.DataKey", on_delete=models.DO_NOTHING, db_constraint=False,
                                 related_name="+")  # the plan's: hers, or the place's or group's
    description = EncryptedTextField(data_key="data_key_id")
    owner_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    source = models.CharField(max_length=20, choices=ActionSource.choices, default=ActionSource.PLAN)
    meeting = models.ForeignKey(MaceMeeting, on_delete=models.PROTECT, null=True, blank=True, related_name="actions")
    strategy_discussion = models.ForeignKey(StrategyDiscussion, on_delete=models.PROTECT, null=True, blank=True,
                                            related_name="+")
    review = models.ForeignKey("risk.RegisterReview", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    cancel_reason = models.CharField(max_length=20, choices=CancelReason.choices, blank=True, default="")
    cancel_note = EncryptedTextField(data_key="data_key_id", blank=True, null=True)
    outcome_note = EncryptedTextField(data_key="data_key_id", blank=True, null=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "reference"]
        indexes = [
            models.Index(fields=["owner", "status", "due_on"], name="action_by_owner"),
            models.Index(fields=["owner_agency", "status", "due_on"], name="action_by_agency"),
            models.Index(fields=["borough", "status", "due_on"], name="action_by_borough"),
            models.Index(fields=["subject", "status"], name="action_by_subject"),
        ]
        constraints = [
            models.CheckConstraint(condition=_ONE_TARGET, name="action_one_target"),
            models.CheckConstraint(condition=models.Q(status__in=ActionStatus.values), name="action_status_valid"),
            models.CheckConstraint(condition=~models.Q(status="cancelled") | ~models.Q(cancel_reason=""),
                                   name="action_cancel_has_reason"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_live(self) -> bool:
        return self.status in (ActionStatus.OPEN, ActionStatus.OVERDUE)

    @property
    def is_overdue(self) -> bool:
        """Past its due date and not done or cancelled (whether or not the nightly job has marked it)."""
        return self.is_live and self.due_on < timezone.localdate()

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """``view``: its owner; the DSLs and practitioners of the owning agency; the MASH leads of its
        borough; a service that accepted one of her pathways (her plan's). ``update`` (done, outcome note):
        its owner and the MASH. ``cancel``: the MASH. The owner only while still at the owning agency:
        need to know follows the job, so someone who moves to another agency leaves the action behind (her
        agency's DSLs and the MASH still see it)."""
        owner = models.Q(owner_id=membership.user_id, owner_agency_id=membership.agency_id)
        if action == "view":
            roles = membership.role_codes
            agency = (models.Q(owner_agency_id=membership.agency_id)
                      if roles & {RoleCode.DSL, RoleCode.PRACTITIONER} else NOTHING)
            return _union(owner, agency, _mash(membership), _shared(membership),
                          break_glass_rule(membership, "subject_id"))
        if action == "update":
            return _union(owner, _mash(membership))
        if action == "cancel":
            return _mash(membership)
        return NOTHING


class Outcome(models.Model):
    """What changed for her, dated, by agency, with a note under her key. Shown on her page;
    the partnership statistics count the codes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    data_key = models.ForeignKey("encryption.DataKey", on_delete=models.DO_NOTHING, db_constraint=False,
                                 related_name="+")
    kind = models.CharField(max_length=30, choices=OutcomeKind.choices)
    occurred_on = models.DateField()
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    note = EncryptedTextField(data_key="data_key_id", blank=True, null=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-occurred_on", "-recorded_at"]
        indexes = [models.Index(fields=["subject", "-occurred_on"], name="outcome_by_subject")]
        constraints = [models.CheckConstraint(condition=models.Q(kind__in=OutcomeKind.values),
                                              name="outcome_kind_valid")]

    def __str__(self) -> str:
        return f"Outcome {self.pk}"

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """Her borough's MASH leads; a service that accepted one of her pathways; the recording agency's
        DSLs; the practitioner who recorded it."""
        if action != "view":
            return NOTHING
        roles = membership.role_codes
        own = models.Q(recorded_by_id=membership.user_id)
        agency = models.Q(agency_id=membership.agency_id) if RoleCode.DSL in roles else NOTHING
        return _union(own, agency, _mash(membership, "subject__home_borough_id"), _shared(membership),
                      break_glass_rule(membership, "subject_id"))
