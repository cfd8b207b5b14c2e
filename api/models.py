"""Agency systems registered to use the API: one OAuth 2.0 client each, acting through its own account."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from oauth2_provider.models import Application
from simple_history.models import HistoricalRecords

from agencies.models import Agency


class ApiClient(models.Model):
    """One agency system (a school's CPOMS, a police intelligence system) allowed to call the API.

    It holds an OAuth 2.0 confidential client (``application``: the client id and the *hashed* secret) and
    acts through its own ``account``, a member of ``agency`` whose roles follow the scopes (each role a
    grant a second administrator approves). The account has no usable password and cannot sign in; it is
    the actor of every event the client causes, so the trail names the client and its agency. A client
    expires at ``expires_at`` and can be revoked at any time; either ends its tokens. Holds no case data.
    """

    reference = models.CharField(max_length=11, unique=True, editable=False)
    name = models.CharField(max_length=100, help_text="The system, e.g. 'CPOMS at Larkhall Rise Academy'.")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="api_clients")
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="api_client")
    account = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client")
    scopes = models.CharField(max_length=100, help_text="Space-separated scope codes it was registered with.")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["agency__name", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(revoked_at__isnull=True) | models.Q(revoked_by__isnull=False),
                                   name="api_client_revoked_by_someone"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def is_live(self, now: datetime) -> bool:
        """Not revoked, not expired, and its account still active (registration alone grants nothing:
        its scopes also need their role grants approved)."""
        return self.revoked_at is None and now < self.expires_at and self.account.is_active
