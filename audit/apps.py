from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The tamper-evident access trail and the auditors' views of it."""

    name = "audit"
