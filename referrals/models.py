"""Subjects (the girls and young women at risk), the concerns recorded about them, and explicit shares.

Identity and narratives are encrypted under the subject's own data key (``encryption``); what is stored
in clear is only what the system needs to route and retain: borough, status, dates and flags.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase
from simple_history.models import HistoricalRecords

from agencies.choices import RoleCode
from agencies.models import Agency, Borough, Membership
from agencies.permissions import NOTHING, RestrictedQuerySet, break_glass_rule, reading_case_page
from encryption.fields import EncryptedDateField, EncryptedJSONField, EncryptedTextField
from referrals.choices import (
    LIVE_PATHWAY_STATUSES,
    BoroughTransferReason,
    BoroughTransferStatus,
    ConsentPosition,
    Judgement,
    LegalBasis,
    Pathway,
    PathwayStatus,
    ReferralDecision,
    ReferralState,
    RestrictionReason,
    SubjectStatus,
    TransferPurpose,
    TransferStatus,
)


def harm_borough_rule(membership: Membership, subject_field: str) -> models.Q:
    """Another borough's MASH her home MASH shared her record with, where harm happens
    (``referrals.boroughs``): ``Q(<subject_field> in the subjects shared with this MASH)`` while the share
    lasts, and only on the read-only case pages (``agencies.permissions.READ_ONLY_CASE_PAGES``): so the
    grant reads her page, concerns, risk and map, and never reaches a form, a POST, a list or a service."""
    if RoleCode.MASH_LEAD not in membership.role_codes or not reading_case_page():
        return NOTHING
    shared = SubjectShare.objects.active().filter(group_id=membership.agency.group_id)
    return models.Q(**{f"{subject_field}__in": shared.values("content_object_id")})


def readable_shares(membership: Membership) -> models.QuerySet[Any]:
    """The subjects (ids) a receiving worker reads through her agency's shares while they last. A service
    a MASH decision routed her to reads, until it has accepted one of its pathways for her, only the
    referral (its summary and what the MASH shared): not her record, her concerns, her risk or her map."""
    agency = membership.agency_id
    waiting = ReferralPathway._base_manager.filter(receiving_agency_id=agency, status=PathwayStatus.AWAITING)
    taken = ReferralPathway._base_manager.filter(receiving_agency_id=agency,
                                                 status__in=(PathwayStatus.ACCEPTED, PathwayStatus.COMPLETED))
    return (SubjectShare.objects.active().filter(group_id=membership.agency.group_id)
            .exclude(models.Q(content_object_id__in=waiting.values("referral__subject_id"))
                     & ~models.Q(content_object_id__in=taken.values("referral__subject_id")))
            .values("content_object_id"))


class Subject(models.Model):
    """A girl or young woman at risk of harm: never a suspect.

    The reference number, not the primary key, is what people and URLs use. Identity lives in
    encrypted fields; blind indexes (``encryption.BlindIndex``) attached to the data key allow matching.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=11, unique=True, editable=False)
    data_key = models.OneToOneField("encryption.DataKey", on_delete=models.DO_NOTHING, db_constraint=False,
                                    related_name="subject")  # in the key store: no constraint across

    given_name = EncryptedTextField(data_key="data_key_id")
    family_name = EncryptedTextField(data_key="data_key_id")
    other_names = EncryptedTextField(data_key="data_key_id", blank=True, null=True)
    date_of_birth = EncryptedDateField(data_key="data_key_id", blank=True, null=True)
    age_estimate = EncryptedTextField(data_key="data_key_id", blank=True, null=True)
    address = EncryptedTextField(data_key="data_key_id", blank=True, null=True)
    identifiers = EncryptedJSONField(data_key="data_key_id", blank=True, null=True)
    # Why a MASH lead merged this record into another (typed text, so encrypted; never in the trail).
    merge_reason = EncryptedTextField(data_key="data_key_id", blank=True, null=True)

    home_borough = models.ForeignKey(Borough, on_delete=models.PROTECT, related_name="subjects")
    status = models.CharField(max_length=10, choices=SubjectStatus.choices, default=SubjectStatus.ACTIVE)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_subjects"
    )
    retention_date = models.DateField(
        help_text="When the record is erased unless on legal hold. Rounded to the end of a month so it "
        "does not reveal an exact date of birth."
    )
    legal_hold = models.BooleanField(default=False)
    # Restriction of processing (UK GDPR Art. 18): stored, never scored, referred or shared until lifted.
    restricted = models.BooleanField(default=False)
    restricted_since = models.DateTimeField(null=True, blank=True)
    restriction_reason = models.CharField(max_length=30, choices=RestrictionReason.choices, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "id"]
        permissions = []
        indexes = [
            models.Index(fields=["home_borough", "status", "-created_at"], name="subject_borough_status"),
            models.Index(fields=["retention_date"], name="subject_retention"),
            # Few records are merged or erased: the register counts its entries from its own index and
            # takes these away, instead of looking up every entry's subject.
            models.Index(fields=["id"], name="subject_not_active", condition=~models.Q(status="active")),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=SubjectStatus.values), name="subject_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(status=SubjectStatus.MERGED) | models.Q(merged_into__isnull=False),
                name="subject_merged_has_target",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_erased(self) -> bool:
        return self.status == SubjectStatus.ERASED

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """Who may see which subjects (DESIGN.md §2): a union over the member's roles.

        ``export`` (everything held about her, decrypted) is the data protection officer's alone, for
        every borough: a subject access request can come from anywhere.
        """
        roles = membership.role_codes
        if action == "export":
            return models.Q(pk__isnull=False) if RoleCode.DATA_PROTECTION_OFFICER in roles else NOTHING
        if action != "view":
            return NOTHING
        rule = NOTHING
        if RoleCode.PRACTITIONER in roles:
            rule |= models.Q(concerns__recorded_by_id=membership.user_id)
        if RoleCode.DSL in roles:
            rule |= models.Q(concerns__agency_id=membership.agency_id)
            # Her file followed her to this school: a transfer its DSL accepted, while its share lasts.
            rule |= models.Q(pk__in=SchoolTransfer.received_by(membership).values("subject_id"))
        if RoleCode.MASH_LEAD in roles:
            rule |= models.Q(home_borough_id=membership.agency.borough_id)
        if RoleCode.RECEIVING_WORKER in roles:
            rule |= models.Q(pk__in=readable_shares(membership))
        # Emergency access: the one subject a MASH lead opened under break-glass, on read-only pages; and
        # another borough's MASH given time-limited access where harm happens, on the same pages.
        return rule | break_glass_rule(membership, "pk") | harm_borough_rule(membership, "pk")


class Concern(models.Model):
    """One observation by one practitioner at one agency about one subject.

    The narrative, and the identity details exactly as this practitioner entered them, are encrypted
    under the subject's key; the practitioner sees their own entry back, never what others recorded.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=11, unique=True, editable=False)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="concerns")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="concerns")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="concerns")
    observed_on = models.DateField(help_text="When the signs were seen.")
    narrative = EncryptedTextField(data_key="subject.data_key_id", blank=True, null=True)
    subject_as_recorded = EncryptedJSONField(data_key="subject.data_key_id", blank=True, null=True)
    seriously_worried = models.BooleanField(
        default=False, help_text="Professional judgement: 'I am seriously worried about this young person'."
    )
    # What the recorder had already done (``ActionTaken`` codes): about her, so under her key.
    actions_taken = EncryptedJSONField(data_key="subject.data_key_id", blank=True, null=True)
    # Professional judgement in three steps (scoring model v3); ``seriously_worried`` stays true for the
    # upper two, so that models v1 and v2 read old and new concerns alike.
    judgement = models.CharField(max_length=20, choices=Judgement.choices, blank=True, default="")
    # Her age in whole years on the day the signs were seen, worked out when the concern is recorded (from
    # the date of birth or age the recorder entered, else her record's): the scoring model's floors for
    # children under 13 and 16 need it set-based. A number of years, not a date of birth.
    age_at_observation = models.PositiveSmallIntegerField(null=True, blank=True)
    indicators = models.ManyToManyField("risk.Indicator", related_name="concerns", blank=True)
    # A double click, a resubmitted form or a network retry carries the same key and creates nothing new.
    idempotency_key = models.UUIDField(unique=True, editable=False)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = RestrictedQuerySet.as_manager()
    # Indicators are set once, when the concern is recorded, and never edited, so their history is the
    # concern's own creation; tracking the m2m would add a second history row for every concern.
    history = HistoricalRecords()

    class Meta:
        ordering = ["-observed_on", "-recorded_at"]
        indexes = [
            models.Index(fields=["recorded_by", "-recorded_at"], name="concern_by_recorder"),
            models.Index(fields=["agency", "-recorded_at"], name="concern_by_agency"),
            models.Index(fields=["subject", "-observed_on"], name="concern_by_subject"),
        ]

    def __str__(self) -> str:
        return self.reference

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """Practitioners see their own, DSLs their agency's, MASH leads their borough's subjects' concerns,
        receiving workers the concerns of subjects shared with their agency. A school's DSL who accepted her
        file from her old school also sees the old school's concerns about her (and no other agency's)."""
        if action != "view":
            return NOTHING
        roles = membership.role_codes
        rule = NOTHING
        if RoleCode.PRACTITIONER in roles:
            rule |= models.Q(recorded_by_id=membership.user_id)
        if RoleCode.DSL in roles:
            rule |= models.Q(agency_id=membership.agency_id)
            rule |= models.Q(Exists(SchoolTransfer.received_by(membership).filter(
                subject_id=OuterRef("subject_id"), from_agency_id=OuterRef("agency_id"))))
        if RoleCode.MASH_LEAD in roles:
            rule |= models.Q(subject__home_borough_id=membership.agency.borough_id)
        if RoleCode.RECEIVING_WORKER in roles:
            rule |= models.Q(subject_id__in=readable_shares(membership))
        return rule | break_glass_rule(membership, "subject_id") | harm_borough_rule(membership, "subject_id")


class SubjectShareQuerySet(RestrictedQuerySet):
    def active(self) -> SubjectShareQuerySet:
        return self.filter(expires_at__gt=timezone.now())


class SubjectShare(GroupObjectPermissionBase):
    """An explicit share of one subject with one agency (its group): django-guardian's direct-FK grant.

    Direct foreign keys (not guardian's generic table) so a grant dies with its subject and the
    restriction subquery stays cheap. Purpose, who granted it and until when sit on the grant itself;
    revoking deletes the grant, and its history row keeps the record.
    """

    content_object = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="shares")
    purpose = models.CharField(max_length=200)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    # Replaces guardian's manager (the shares are queried here, never assigned through guardian's API).
    objects = SubjectShareQuerySet.as_manager()  # type: ignore[assignment,misc]
    history = HistoricalRecords()

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = "subject share"

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """A share says that she was referred on, to whom and why: the MASH leads of her home borough
        (who route her) see her shares; a receiving worker sees their own agency's shares while they
        last. Shares are written only by ``referrals.services`` (read-only here)."""
        if action != "view":
            return NOTHING
        roles = membership.role_codes
        rule = NOTHING
        if RoleCode.MASH_LEAD in roles:
            rule |= models.Q(content_object__home_borough_id=membership.agency.borough_id)
        if RoleCode.RECEIVING_WORKER in roles:
            rule |= models.Q(group_id=membership.agency.group_id, expires_at__gt=timezone.now())
        return rule


class SchoolTransfer(models.Model):
    """Her child-protection file moving from her old school to her new one (Keeping Children Safe in
    Education): the old school's DSL starts it, the new school's DSL accepts it (the receipt), and only
    then does the new school see the old school's concerns about her, through a share with purpose
    ``SCHOOL_TRANSFER_PURPOSE``. Her own record is unchanged. ``due_on`` is 5 working days after the start;
    a transfer still pending after it is chased. Moves only through ``referrals.transfers`` services.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=11, unique=True, editable=False)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="school_transfers")
    from_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="transfers_sent")
    to_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="transfers_received")
    purpose = models.CharField(max_length=20, choices=TransferPurpose.choices)
    status = models.CharField(max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField(help_text="5 working days after the start: chased after this day.")
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # A double click or a resubmitted form carries the same key and starts nothing new.
    idempotency_key = models.UUIDField(unique=True, editable=False)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_at", "reference"]
        indexes = [
            models.Index(fields=["to_agency", "status"], name="transfer_inbox"),
            models.Index(fields=["from_agency", "-started_at"], name="transfer_sent"),
            models.Index(fields=["status", "due_on"], name="transfer_chase"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=TransferStatus.values),
                                   name="transfer_status_valid"),
            models.CheckConstraint(condition=~models.Q(from_agency=models.F("to_agency")),
                                   name="transfer_to_another_school"),
            models.CheckConstraint(
                condition=~models.Q(status=TransferStatus.ACCEPTED)
                | models.Q(accepted_by__isnull=False, accepted_at__isnull=False),
                name="transfer_accepted_has_receipt",
            ),
            # One pending transfer of her file to one school: a second submit cannot start another.
            models.UniqueConstraint(fields=["subject", "to_agency"], condition=models.Q(status="pending"),
                                    name="transfer_one_pending_per_school"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_overdue(self) -> bool:
        """Still waiting for the new school after its 5 working days."""
        return self.status == TransferStatus.PENDING and self.due_on < timezone.localdate()

    @classmethod
    def received_by(cls, membership: Membership) -> models.QuerySet[SchoolTransfer]:
        """The transfers this member's school accepted whose share still lasts: what opens the old
        school's concerns to the new school's DSLs (the share ends when she is erased or it is revoked)."""
        share = SubjectShare.objects.active().filter(
            group_id=membership.agency.group_id, content_object_id=OuterRef("subject_id"))
        return cls._base_manager.filter(to_agency_id=membership.agency_id, status=TransferStatus.ACCEPTED).filter(
            Exists(share))

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """Both schools' DSLs see the transfer (the sender sees the receipt); her home borough's MASH leads
        see a transfer still pending past its due day (the chase), and nothing else about it."""
        if action != "view":
            return NOTHING
        roles = membership.role_codes
        rule = NOTHING
        if RoleCode.DSL in roles:
            rule |= models.Q(from_agency_id=membership.agency_id) | models.Q(to_agency_id=membership.agency_id)
        if RoleCode.MASH_LEAD in roles:
            rule |= models.Q(subject__home_borough_id=membership.agency.borough_id, status=TransferStatus.PENDING,
                             due_on__lt=timezone.localdate())
        return rule


class BoroughTransfer(models.Model):
    """A move of her home borough, asked by her home borough's MASH and accepted (or declined) by the other
    borough's MASH. On acceptance her record, her register entry and her open referrals move to the new
    borough; shares with services stay as they are. Both boroughs keep the transfer as their receipt.
    Moves only through ``referrals.boroughs`` services. The note (why, in words) is encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=11, unique=True, editable=False)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="borough_transfers")
    from_borough = models.ForeignKey(Borough, on_delete=models.PROTECT, related_name="+")
    to_borough = models.ForeignKey(Borough, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=BoroughTransferReason.choices)
    note = EncryptedTextField(data_key="subject.data_key_id", blank=True, null=True)
    status = models.CharField(max_length=10, choices=BoroughTransferStatus.choices,
                              default=BoroughTransferStatus.PENDING)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_note = EncryptedTextField(data_key="subject.data_key_id", blank=True, null=True)
    # A double click or a resubmitted form carries the same key and starts nothing new.
    idempotency_key = models.UUIDField(unique=True, editable=False)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_at", "reference"]
        indexes = [
            models.Index(fields=["to_borough", "status"], name="borough_transfer_in"),
            models.Index(fields=["from_borough", "-started_at"], name="borough_transfer_out"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=BoroughTransferStatus.values),
                                   name="borough_transfer_status_valid"),
            models.CheckConstraint(condition=~models.Q(from_borough=models.F("to_borough")),
                                   name="borough_transfer_to_another"),
            models.CheckConstraint(
                condition=models.Q(status="pending") | models.Q(decided_at__isnull=False),
                name="borough_transfer_decided_has_time"),
            # One pending move of her record at a time: a second submit cannot start another.
            models.UniqueConstraint(fields=["subject"], condition=models.Q(status="pending"),
                                    name="borough_transfer_one_pending"),
        ]

    def __str__(self) -> str:
        return self.reference

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """The MASH leads of both boroughs: the one that asked (and its receipt) and the one asked. No one
        else learns that her record moved."""
        if action != "view" or RoleCode.MASH_LEAD not in membership.role_codes:
            return NOTHING
        borough = membership.agency.borough_id
        return models.Q(from_borough_id=borough) | models.Q(to_borough_id=borough)


# ---------------------------------------------------------------------------------------------------
# Referrals: from an agency to its borough's MASH, and from the MASH to a pathway.
# ---------------------------------------------------------------------------------------------------


# Receiving workers see a routed referral while it waits for them or is being worked on.
RECEIVER_STATES = (ReferralState.DECIDED, ReferralState.ACCEPTED)
OPEN_STATES = (
    ReferralState.SUBMITTED, ReferralState.SCREENING, ReferralState.DECIDED, ReferralState.ACCEPTED,
    ReferralState.DECLINED,
)


class Referral(models.Model):
    """A referral of one subject to her home borough's MASH, and the MASH's decision on where it goes.

    The state moves only through ``referrals.routing`` services; ``version`` is the optimistic lock that
    stops two MASH leads deciding the same referral over each other. Free text (reasons) is encrypted
    under the subject's key; what is clear is what routing and timescales need.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=11, unique=True, editable=False)
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="referrals")
    borough = models.ForeignKey(Borough, on_delete=models.PROTECT, related_name="referrals",
                                help_text="The borough whose MASH screens the referral.")
    from_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="referrals_made")
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_made",
                                    null=True, blank=True, help_text="Empty when raised automatically.")
    to_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="referrals_received",
                                  help_text="The borough MASH.")
    automatic = models.BooleanField(default=False, help_text="Raised when the subject reached high on the register.")
    summary = EncryptedTextField(data_key="subject.data_key_id", blank=True, null=True)
    legal_basis = models.CharField(max_length=20, choices=LegalBasis.choices)
    consent = models.CharField(max_length=20, choices=ConsentPosition.choices)
    consent_override_reason = EncryptedTextField(data_key="subject.data_key_id", blank=True, null=True)

    state = models.CharField(max_length=12, choices=ReferralState.choices, default=ReferralState.SUBMITTED)
    decision = models.CharField(max_length=12, choices=ReferralDecision.choices, blank=True)
    pathway = models.CharField(max_length=20, choices=Pathway.choices, blank=True)
    receiving_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="referrals_routed",
                                         null=True, blank=True)
    decision_reason = EncryptedTextField(data_key="subject.data_key_id", blank=True, null=True)

    received_at = models.DateTimeField(default=timezone.now)
    decision_due_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    assessment_due_on = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["decision_due_at", "reference"]
        indexes = [
            models.Index(fields=["borough", "state", "decision_due_at"], name="referral_inbox"),
            models.Index(fields=["receiving_agency", "state"], name="referral_receiving"),
            models.Index(fields=["from_agency", "-received_at"], name="referral_by_agency"),
            models.Index(fields=["subject", "state"], name="referral_by_subject"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=ReferralState.values), name="referral_state_valid"),
            models.CheckConstraint(
                condition=~models.Q(decision=ReferralDecision.ROUTED)
                | (models.Q(receiving_agency__isnull=False) & ~models.Q(pathway="")),
                name="referral_routed_has_pathway",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_overdue(self) -> bool:
        """Still waiting for the MASH's decision after the one-working-day deadline."""
        waiting = self.state in (ReferralState.SUBMITTED, ReferralState.SCREENING)
        return waiting and self.decision_due_at < timezone.now()

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """Referrer and their agency's DSLs (status and decision only; ``withdraw`` is theirs), the borough's
        MASH leads (``decide``), and the workers of each agency one of its pathways is routed to while that
        pathway waits for them or is being worked on (``respond``)."""
        roles = membership.role_codes
        rule = NOTHING
        if action in ("view", "withdraw"):
            rule |= models.Q(referred_by_id=membership.user_id)
            if RoleCode.DSL in roles:
                rule |= models.Q(from_agency_id=membership.agency_id)
        if action in ("view", "decide") and RoleCode.MASH_LEAD in roles:
            rule |= models.Q(borough_id=membership.agency.borough_id)
        if action in ("view", "respond") and RoleCode.RECEIVING_WORKER in roles:
            # A decision routes her to several pathways, each to one agency: an agency's workers see the
            # referral while one of its pathways waits for them or is being worked on.
            rule |= models.Q(
                Exists(ReferralPathway._base_manager.filter(
                    referral_id=OuterRef("pk"), receiving_agency_id=membership.agency_id,
                    status__in=LIVE_PATHWAY_STATUSES)),
                decision=ReferralDecision.ROUTED, state__in=RECEIVER_STATES)
        if action == "view":
            rule |= break_glass_rule(membership, "subject_id")
        return rule


class ReferralPathway(models.Model):
    """One pathway of a MASH decision: a catalogue pathway (its code and the catalogue version
    it was decided under), the agency it is routed to, the share that lets that agency see her, whether the
    system recommended it, its own status and clock. A pathway the system recommended and the MASH left out
    is a row too (``left_out``, no agency), so that its reason is kept. Reasons (why it was added though not
    recommended, or left out) are typed text, so encrypted under her key; the trail keeps codes only.

    Moves only through ``referrals.routing`` services; ``version`` is the optimistic lock for the receiving
    service's response."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="pathways")
    pathway = models.CharField(max_length=30, help_text="A code of the pathway catalogue (risk.pathways).")
    catalogue_version = models.PositiveIntegerField()
    receiving_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="pathways_received",
                                         null=True, blank=True)
    share = models.ForeignKey(SubjectShare, on_delete=models.SET_NULL, related_name="+", null=True, blank=True)
    recommended = models.BooleanField(default=False, help_text="The system proposed it when the MASH decided.")
    status = models.CharField(max_length=10, choices=PathwayStatus.choices, default=PathwayStatus.AWAITING)
    # Her consent position where the catalogue says the pathway needs it at her age ("" where none is needed).
    consent = models.CharField(max_length=20, choices=ConsentPosition.choices, blank=True, default="")
    reason = EncryptedTextField(data_key="referral.subject.data_key_id", blank=True, null=True)
    # The clock applied (the catalogue's, or a rule's stricter one) and when it ends.
    clock_unit = models.CharField(max_length=12, blank=True, default="")
    clock_amount = models.PositiveIntegerField(default=0)
    clock_starts = models.CharField(max_length=20, blank=True, default="")
    urgent = models.BooleanField(default=False, help_text="Same day or within hours: notified at once.")
    due_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-urgent", "due_at", "pathway"]
        indexes = [
            models.Index(fields=["receiving_agency", "status", "due_at"], name="pathway_receiving"),
            models.Index(fields=["status", "due_at"], name="pathway_clock"),
            models.Index(fields=["referral", "status"], name="pathway_by_referral"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=PathwayStatus.values), name="pathway_status_valid"),
            models.CheckConstraint(
                condition=models.Q(status=PathwayStatus.LEFT_OUT) | models.Q(receiving_agency__isnull=False),
                name="pathway_routed_has_agency",
            ),
            # A pathway is live once per referral (a double submit cannot route it twice).
            models.UniqueConstraint(fields=["referral", "pathway"],
                                    condition=models.Q(status__in=["awaiting", "accepted"]),
                                    name="pathway_once_per_decision"),
        ]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.pathway}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_PATHWAY_STATUSES

    @property
    def is_overdue(self) -> bool:
        """Its clock has run out while it is still the receiving service's."""
        return self.is_live and self.due_at is not None and self.due_at < timezone.now()

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """Her borough's MASH leads see every pathway of a decision (left out ones too); an agency's
        receiving workers see and respond to the pathways routed to their agency while they are live."""
        roles = membership.role_codes
        rule = NOTHING
        if action == "view" and RoleCode.MASH_LEAD in roles:
            rule |= models.Q(referral__borough_id=membership.agency.borough_id)
        if action in ("view", "respond") and RoleCode.RECEIVING_WORKER in roles:
            rule |= models.Q(receiving_agency_id=membership.agency_id, status__in=LIVE_PATHWAY_STATUSES,
                             referral__state__in=RECEIVER_STATES)
        return rule


class ReferralTransition(models.Model):
    """One move of a referral from one state to another: who, when and why (append-only in use)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="transitions")
    from_state = models.CharField(max_length=12, choices=ReferralState.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=ReferralState.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = EncryptedTextField(data_key="referral.subject.data_key_id", blank=True, null=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.from_state or 'new'} → {self.to_state}"

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """Those who work the referral: the MASH that decides it and the receiving service while it is
        theirs (and break-glass). A move's reason is the MASH's reasoning, so the referrer's side, who
        sees the referral's status and decision, does not see its timeline."""
        if action != "view":
            return NOTHING
        parts = [Referral.access_rule(membership, "decide"), Referral.access_rule(membership, "respond"),
                 break_glass_rule(membership, "subject_id")]
        rule = NOTHING
        for part in parts:
            if part != NOTHING:
                rule = part if rule == NOTHING else rule | part
        if rule == NOTHING:
            return NOTHING
        return models.Q(referral_id__in=Referral._base_manager.filter(rule).values("pk"))
