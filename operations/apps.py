from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """Scheduled jobs: what runs when, and a record of every run (no personal data)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "operations"
    verbose_name = "Operations"
