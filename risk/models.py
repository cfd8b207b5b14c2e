"""The indicator catalogue (versioned data, not code)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from agencies.capabilities import mash_borough_of_member
from agencies.choices import RoleCode
from agencies.models import Membership
from agencies.permissions import NOTHING, RestrictedQuerySet, break_glass_rule
from encryption.fields import EncryptedTextField
from referrals.models import Subject, harm_borough_rule, readable_shares
from risk.choices import (
    DecisionKind,
    IndicatorCategory,
    IndicatorClass,
    IndicatorKind,
    ProtectiveFactorKind,
    RemovalReason,
    RiskLevel,
)

if TYPE_CHECKING:
    from agencies.models import Membership


class CatalogueVersion(models.Model):
    """One published version of the indicator catalogue, with where it came from."""

    number = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200)
    source = models.TextField(help_text="The published evidence this version is drawn from.")
    published_on = models.DateField()

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"Indicator catalogue v{self.number}"


class IndicatorQuerySet(models.QuerySet["Indicator"]):
    def current(self) -> IndicatorQuerySet:
        """Indicators a practitioner can choose today (retired ones stay for old concerns)."""
        return self.filter(retired_in__isnull=True)


class Indicator(models.Model):
    """A vulnerability or warning sign a practitioner can record.

    Codes are stable for ever: a concern refers to the indicator row, and retiring an indicator only
    hides it from new concerns, so old concerns keep their meaning.
    """

    code = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=200)
    hint = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=IndicatorKind.choices)
    category = models.CharField(max_length=40, choices=IndicatorCategory.choices)
    # Its weight class in the published screening tools (catalogue v2 onwards; ``risk.catalogue``).
    indicator_class = models.CharField(max_length=20, choices=IndicatorClass.choices, blank=True, default="")
    display_order = models.PositiveIntegerField(default=0)
    introduced_in = models.ForeignKey(
        CatalogueVersion, on_delete=models.PROTECT, related_name="introduced_indicators"
    )
    retired_in = models.ForeignKey(
        CatalogueVersion, on_delete=models.PROTECT, null=True, blank=True,
        related_name="retired_indicators",
    )

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        ordering = ["display_order", "code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=IndicatorKind.values), name="indicator_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(category__in=IndicatorCategory.values), name="indicator_category_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_retired(self) -> bool:
        return self.retired_in_id is not None


# ---------------------------------------------------------------------------------------------------
# Scoring model, assessments and the borough risk register.
# ---------------------------------------------------------------------------------------------------


def cross_agency_risk_rule(membership: Membership, subject: str = "subject", borough: str | None = None) -> models.Q:
    """Who may see a subject's cross-agency risk (score, explanation, timeline, register): the MASH leads
    of her borough, receiving workers of an agency she is shared with while the share lasts, and a MASH
    lead reading one of her read-only pages under emergency access (DESIGN.md §2, §6a). A practitioner
    or DSL is never told what other agencies know.

    ``subject`` is the path to the subject from the model; ``borough`` the path to the borough whose
    MASH leads see it (default: her home borough).
    """
    roles = membership.role_codes
    rule = NOTHING
    if RoleCode.MASH_LEAD in roles:
        rule |= models.Q(**{f"{borough or subject + '__home_borough'}_id": membership.agency.borough_id})
    if RoleCode.RECEIVING_WORKER in roles:
        rule |= models.Q(**{f"{subject}_id__in": readable_shares(membership)})
    return rule | break_glass_rule(membership, f"{subject}_id") | harm_borough_rule(membership, f"{subject}_id")


class ScoringModelQuerySet(models.QuerySet["ScoringModel"]):
    def active(self) -> ScoringModel:
        """The one active scoring model (the newest active version)."""
        model = self.filter(is_active=True).order_by("-version").first() or self.order_by("-version").first()
        if model is None:  # the risk migrations create the first one
            raise self.model.DoesNotExist("There is no scoring model.")
        return model


class VersionedConfiguration(models.Model):
    """Rules as data, in numbered versions of which one is active: a change is a new version, never an
    edit of one that was used."""

    version = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200)
    config = models.JSONField()
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["version"]


class ScoringModel(VersionedConfiguration):
    """One version of the scoring model: configuration as data (weights, half-lives, thresholds, lift
    rules, register threshold, review cadences; see ``risk.scoring``). Versions are never edited once
    used: a change is a new row, and activating it re-scores everyone (``rescore``)."""

    objects = ScoringModelQuerySet.as_manager()

    class Meta(VersionedConfiguration.Meta):
        pass

    def __str__(self) -> str:
        return f"Scoring model v{self.version}"


class PathwayCatalogueQuerySet(models.QuerySet["PathwayCatalogue"]):
    def active(self) -> PathwayCatalogue | None:
        """The one active pathway catalogue (the newest active version); None before migration 0013."""
        return self.filter(is_active=True).order_by("-version").first() or self.order_by("-version").first()


class PathwayCatalogue(VersionedConfiguration):
    """One version of the pathway catalogue: the pathways (code, label, receiving agency kinds, consent,
    clock, sources) and the rules that recommend them, as data (``risk.pathways``). Never edited once
    published: a change is a new version, activated by ``do_activate_pathway_catalogue``."""

    objects = PathwayCatalogueQuerySet.as_manager()

    class Meta(VersionedConfiguration.Meta):
        pass

    def __str__(self) -> str:
        return f"Pathway catalogue v{self.version}"


class Assessment(models.Model):
    """One point on a subject's risk timeline: append-only, never edited (so no simple-history either:
    DESIGN.md §7 keeps the stored score out of row history)."""

    subject = models.ForeignKey("referrals.Subject", on_delete=models.CASCADE, related_name="assessments")
    assessed_at = models.DateTimeField()
    score = models.FloatField()
    level = models.CharField(max_length=10, choices=RiskLevel.choices)
    model_version = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, help_text="What prompted it: concern, rescore, model change.")
    # Indicator codes, agency ids, ages and contributions: reference data only, never personal data.
    explanation = models.JSONField()

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["subject", "assessed_at", "id"]
        indexes = [models.Index(fields=["subject", "-assessed_at"], name="assessment_subject_time")]

    def __str__(self) -> str:
        return f"{self.level} ({self.score})"

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """Her timeline is cross-agency risk (``cross_agency_risk_rule``); it is written only by the
        assessment services."""
        return cross_agency_risk_rule(membership) if action == "view" else NOTHING


class SubjectRisk(models.Model):
    """The current risk of one subject: the latest assessment, denormalised for the register and lists.

    Untracked (no simple-history) because ``rescore`` rewrites it set-based; the timeline is
    ``Assessment``."""

    subject = models.OneToOneField("referrals.Subject", on_delete=models.CASCADE, primary_key=True,
                                   related_name="risk")
    score = models.FloatField(default=0)
    level = models.CharField(max_length=10, choices=RiskLevel.choices, default=RiskLevel.NONE)
    level_rank = models.PositiveSmallIntegerField(default=0)
    previous_level = models.CharField(max_length=10, choices=RiskLevel.choices, default=RiskLevel.NONE)
    level_changed_at = models.DateTimeField(null=True, blank=True)
    model_version = models.PositiveIntegerField()
    assessed_at = models.DateTimeField()
    # The first day on which time alone (decay, windows, expiring links) moves her score or level enough
    # to append to the timeline; ``rescore`` re-assesses only subjects that are due (or never dated).
    rescore_due_on = models.DateField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["level_rank"], name="subjectrisk_rank"),
            # The register's "rising" filter starts from the few recent level changes.
            models.Index(fields=["level_changed_at"], name="subjectrisk_level_changed"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id}: {self.level}"

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """``view``: the whole current risk (score, model, when) is cross-agency risk
        (``cross_agency_risk_rule``). ``level``: the current level alone, for everyone who may see her
        (a practitioner sees "the current risk level" of the subjects they raised concerns about,
        DESIGN.md §2). Written only by the assessment services."""
        if action == "view":
            return cross_agency_risk_rule(membership)
        if action == "level":
            visible = Subject.access_rule(membership, "view")
            if visible == NOTHING:
                return NOTHING
            return models.Q(subject_id__in=Subject._base_manager.filter(visible).values("pk"))
        return NOTHING


class RegisterStatus(models.TextChoices):
    ON = "on", "On the register"
    REMOVED = "removed", "Removed"


class RegisterEntry(models.Model):
    """A subject on her home borough's risk register. Removal keeps the row (status and reason);
    reinstatement reopens it; simple-history keeps every change."""

    subject = models.OneToOneField("referrals.Subject", on_delete=models.PROTECT, related_name="register_entry")
    borough = models.ForeignKey("agencies.Borough", on_delete=models.PROTECT, related_name="register_entries")
    level = models.CharField(max_length=10, choices=RiskLevel.choices)
    level_rank = models.PositiveSmallIntegerField()
    lead_professional = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="register_entries_led"
    )
    review_cadence_days = models.PositiveIntegerField()
    next_review_on = models.DateField()
    status = models.CharField(max_length=10, choices=RegisterStatus.choices, default=RegisterStatus.ON)
    # Typed by the MASH lead, so encrypted under her key (erasing her shreds them); never in the trail.
    removal_reason = EncryptedTextField(data_key="subject.data_key_id", written_after_insert=True, blank=True,
                                        null=True)
    reinstatement_reason = EncryptedTextField(data_key="subject.data_key_id", written_after_insert=True,
                                              blank=True, null=True)
    # The reason as a code: what the trail and the statistics (exits by reason) may hold.
    removal_reason_code = models.CharField(max_length=20, choices=RemovalReason.choices, blank=True, default="")
    added_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        indexes = [
            models.Index(fields=["borough", "status", "-level_rank", "-id"], name="register_level"),
            models.Index(fields=["borough", "status", "next_review_on", "id"], name="register_review"),
            models.Index(fields=["borough", "status", "-added_at", "-id"], name="register_added"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=RegisterStatus.values),
                                   name="register_status_valid"),
            models.CheckConstraint(
                condition=models.Q(status="on") | models.Q(removal_reason__isnull=False),
                name="register_removal_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(status="on") | models.Q(removal_reason_code__in=RemovalReason.values),
                name="register_removal_has_reason_code",
            ),
        ]

    def __str__(self) -> str:
        return f"Register entry {self.pk}"

    @property
    def is_on(self) -> bool:
        return self.status == RegisterStatus.ON

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """``view``: whether and how she is on the register is part of her cross-agency risk: the MASH
        leads of the register's borough, receiving workers she is shared with, emergency access on her
        read-only pages (``cross_agency_risk_rule``). ``change`` (reviews, removal, reinstatement, the
        lead professional): the MASH leads of the register's borough only."""
        if action == "view":
            return cross_agency_risk_rule(membership, borough="borough")
        if action == "change" and RoleCode.MASH_LEAD in membership.role_codes:
            return models.Q(borough_id=membership.agency.borough_id)
        return NOTHING


class ReviewOutcome(models.TextChoices):
    CONTINUE = "continue", "Stay on the register at this cadence"
    ESCALATE = "escalate", "Escalate: more support or a referral is needed"
    STEP_DOWN = "step_down", "Step down: consider removal at the next review"


class RegisterReview(models.Model):
    """A recorded review of a register entry; the notes are encrypted under the subject's key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    entry = models.ForeignKey(RegisterEntry, on_delete=models.PROTECT, related_name="reviews")
    data_key = models.ForeignKey("encryption.DataKey", on_delete=models.DO_NOTHING, db_constraint=False,
                                 related_name="+")  # in the key store
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=ReviewOutcome.choices)
    notes = EncryptedTextField(data_key="data_key_id", blank=True, null=True)
    next_review_on = models.DateField()

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-reviewed_at"]

    def __str__(self) -> str:
        return f"Review {self.pk}"

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """The borough's MASH leads, who keep its register."""
        borough = mash_borough_of_member(membership)
        if action != "view" or borough is None:
            return NOTHING
        return models.Q(entry__borough_id=borough)


# ---------------------------------------------------------------------------------------------------
# What the MASH and practitioners record about her risk beyond concerns (scoring model v3).
# ---------------------------------------------------------------------------------------------------


def _mash_or_shared_rule(membership: Membership, action: str) -> models.Q:
    """Her borough's MASH leads, and receiving workers of a service she is shared with, see these."""
    if action != "view":
        return NOTHING
    roles = membership.role_codes
    rule = NOTHING
    if RoleCode.MASH_LEAD in roles:
        rule |= models.Q(subject__home_borough_id=membership.agency.borough_id)
    if RoleCode.RECEIVING_WORKER in roles:
        rule |= models.Q(subject_id__in=readable_shares(membership))
    return rule | break_glass_rule(membership, "subject_id") | harm_borough_rule(membership, "subject_id")


class RiskDecision(models.Model):
    """A MASH decision the scoring model takes into account, with its reason (encrypted under her key):
    a sign *explained and verified* (observations of ``indicator`` on or before ``decided_on`` stop
    counting), or a *level review* (her level may fall to what her evidence supports, and is held from
    ``level``). Append-only: a later decision supersedes, nothing is edited."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey("referrals.Subject", on_delete=models.CASCADE, related_name="risk_decisions")
    data_key = models.ForeignKey("encryption.DataKey", on_delete=models.DO_NOTHING, db_constraint=False,
                                 related_name="+")
    kind = models.CharField(max_length=20, choices=DecisionKind.choices)
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    level = models.CharField(max_length=10, choices=RiskLevel.choices, blank=True, default="")
    decided_on = models.DateField()
    reason = EncryptedTextField(data_key="data_key_id")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    # The form's one-time key: a double click or a retry of the same form records the decision once.
    idempotency_key = models.UUIDField(unique=True, null=True, blank=True, editable=False)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["subject", "decided_at"]
        indexes = [models.Index(fields=["subject", "decided_on"], name="riskdecision_subject")]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=DecisionKind.values), name="riskdecision_kind_valid"),
            models.CheckConstraint(
                condition=(models.Q(kind=DecisionKind.EXPLAINED, indicator__isnull=False, level="")
                           | models.Q(kind=DecisionKind.REVIEW, indicator__isnull=True) & ~models.Q(level="")),
                name="riskdecision_shape"),
        ]

    def __str__(self) -> str:
        return f"Risk decision {self.pk}"

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """The MASH of her borough and the services she is shared with (need to know, DESIGN.md §5.6a)."""
        return _mash_or_shared_rule(membership, action)


class ProtectiveFactor(models.Model):
    """Something that keeps her safer, recorded by a practitioner or the MASH: shown beside the score and
    weighed by the MASH review, never subtracted from the score. The note is encrypted under her key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey("referrals.Subject", on_delete=models.CASCADE, related_name="protective_factors")
    data_key = models.ForeignKey("encryption.DataKey", on_delete=models.DO_NOTHING, db_constraint=False,
                                 related_name="+")
    kind = models.CharField(max_length=30, choices=ProtectiveFactorKind.choices)
    note = EncryptedTextField(data_key="data_key_id", blank=True, null=True)
    observed_on = models.DateField()
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    # The form's one-time key: a double click or a retry of the same form records the factor once.
    idempotency_key = models.UUIDField(unique=True, null=True, blank=True, editable=False)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["subject", "-observed_on", "-recorded_at"]
        indexes = [models.Index(fields=["subject", "-observed_on"], name="protective_subject")]
        constraints = [models.CheckConstraint(condition=models.Q(kind__in=ProtectiveFactorKind.values),
                                              name="protective_kind_valid")]

    def __str__(self) -> str:
        return f"Protective factor {self.pk}"

    @classmethod
    def access_rule(cls, membership: Membership, action: str) -> models.Q:
        """The recorder sees their own, a DSL their agency's; the MASH and shared services see all."""
        if action != "view":
            return NOTHING
        rule = _mash_or_shared_rule(membership, action)
        if RoleCode.PRACTITIONER in membership.role_codes:
            rule |= models.Q(recorded_by_id=membership.user_id)
        if RoleCode.DSL in membership.role_codes:
            rule |= models.Q(agency_id=membership.agency_id)
        return rule


from risk.map.models import Associate, Group, Link, Place  # noqa: E402,F401  (the association map)
