"""Fixed vocabularies of the referrals app."""

from django.db import models


class SubjectStatus(models.TextChoices):
    """Where a subject's record stands."""

    ACTIVE = "active", "Active"
    MERGED = "merged", "Merged into another record"
    ERASED = "erased", "Erased"


class ShareScope(models.TextChoices):
    """What an explicit share lets the receiving agency do."""

    VIEW = "view_subject", "View the subject and their chronology"
