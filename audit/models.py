"""The access trail: one append-only, hash-chained row per read, write, decision, sign-in or refusal."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from audit.choices import Action, Outcome


class AccessEvent(models.Model):
    """One thing someone did (or was refused), recorded by reference only: never a name or a narrative.

    Rows are never changed or deleted: database triggers refuse UPDATE, DELETE and (on PostgreSQL)
    TRUNCATE, and the hash chain (``audit.chain``) makes any change that bypasses them detectable.
    Foreign keys are ``DO_NOTHING`` without a database constraint, so deleting a user or agency can
    never cascade into (or be blocked by, or UPDATE) this table; the actor's username and role codes
    are copied at the time of the event because they are what the auditor needs later.
    """

    occurred_at = models.DateTimeField(db_index=True)
    # No single-column indexes on the two foreign keys: ``accessevent_actor`` and ``accessevent_agency``
    # below lead with them and serve every lookup; each index is paid on every append (issue 23, G10).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+", db_index=False,
    )
    # Staff account names, not personal data about subjects; kept so the trail reads on its own.
    actor_username = models.CharField(max_length=150, blank=True)
    actor_agency = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+", db_index=False,
    )
    actor_roles = models.CharField(max_length=200, blank=True, help_text="Comma-separated role codes.")
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=40, blank=True)
    reference = models.CharField(max_length=64, blank=True)
    borough_code = models.CharField("borough ONS code", max_length=9, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.ALLOWED)
    purpose = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    client_address = models.CharField(max_length=45, blank=True)
    chain = models.CharField(max_length=16)
    sequence = models.PositiveBigIntegerField()
    prev_hash = models.CharField(max_length=64)
    # Not indexed: nothing looks an event up by its hash (the verifier walks chains by sequence), and a
    # unique index over random 64-character keys touched a random page of a large index on every append;
    # at 20M events that was the trail's main slowdown (migration audit.0007). ``(chain, sequence)`` stays
    # unique, and a forged duplicate hash cannot pass the verifier anyway.
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # A second writer that somehow skipped the advisory lock fails here instead of forking.
            models.UniqueConstraint(fields=["chain", "sequence"], name="accessevent_one_event_per_position"),
            models.CheckConstraint(condition=models.Q(action__in=Action.values),
                                   name="accessevent_action_valid"),
            models.CheckConstraint(condition=models.Q(outcome__in=Outcome.values),
                                   name="accessevent_outcome_valid"),
        ]
        indexes = [
            models.Index(fields=["object_type", "reference", "id"], name="accessevent_object"),
            models.Index(fields=["actor", "id"], name="accessevent_actor"),
            models.Index(fields=["actor_agency", "id"], name="accessevent_agency"),
        ]

    def __str__(self) -> str:
        return f"{self.chain}#{self.sequence} {self.action} {self.object_type}:{self.reference}"


class VerificationRun(models.Model):
    """One walk of the whole trail by ``verify_audit`` or an auditor: when, by whom, and the result."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    run_by = models.CharField(max_length=150, help_text="An auditor's username, or the command line.")
    intact = models.BooleanField()
    events_checked = models.PositiveBigIntegerField(default=0)
    chains_checked = models.PositiveIntegerField(default=0)
    problem = models.TextField(blank=True, help_text="The first bad event and its chain, when not intact.")
    anchor_used = models.BooleanField(default=False)
    # False for an incremental run: it re-checked each chain's last checkpoint and walked only what follows.
    full = models.BooleanField(default=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {'intact' if self.intact else 'BROKEN'}"


class ChainCheckpoint(models.Model):
    """One chain's head as a verification run found it intact: where the next incremental run starts.

    An incremental run re-reads the checkpointed event and requires the same hash, then walks only the
    events after it; a rewrite of events before the checkpoint is for ``verify_audit --full`` and anchors.
    """

    run = models.ForeignKey(VerificationRun, on_delete=models.CASCADE, related_name="checkpoints")
    chain = models.CharField(max_length=16)
    sequence = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    event_id = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["chain", "-id"], name="checkpoint_chain_newest")]

    def __str__(self) -> str:
        return f"{self.chain}#{self.sequence}"


class ArchivedPartition(models.Model):
    """One month of the trail exported as a signed file and detached (retention, PostgreSQL).

    ``heads`` keeps each chain's last archived event (sequence and hash): verification of what remains
    starts from it, and the signed file proves it.
    """

    name = models.CharField(max_length=63, unique=True)
    range_start = models.DateTimeField()
    range_end = models.DateTimeField()
    events = models.PositiveBigIntegerField()
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)
    heads = models.JSONField(default=dict)
    archived_at = models.DateTimeField()

    class Meta:
        ordering = ["range_start"]

    def __str__(self) -> str:
        return self.name
