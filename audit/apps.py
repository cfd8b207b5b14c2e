from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The tamper-evident access trail and the auditors' views of it."""

    name = "audit"

    def ready(self) -> None:
        from django.contrib.auth import signals
        from django.core import checks

        from audit import checks as audit_checks
        from audit import signals as handlers

        # The sign-in itself is recorded once, where it completes: by agencies.sessions for a password-only
        # member, by the second-factor service for a member who has an authenticator.
        signals.user_logged_out.connect(handlers.on_logged_out, dispatch_uid="audit.logout")
        signals.user_login_failed.connect(handlers.on_login_failed, dispatch_uid="audit.login_failed")
        checks.register(audit_checks.check_case_views_are_audited, checks.Tags.security)
