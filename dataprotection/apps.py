from django.apps import AppConfig


class DataProtectionConfig(AppConfig):
    """Data-protection duties: emergency (break-glass) access, subject access exports, the erasure
    forecast, the system check on the security headers every page must carry, and the start-up check that a
    restored main database has had its erasures finished."""

    name = "dataprotection"
    verbose_name = "Data protection"

    def ready(self) -> None:
        from django.core import checks

        from config import checks as security_checks
        from dataprotection.checks import check_restored_erasures_finished

        checks.register(security_checks.check_security_headers, checks.Tags.security)
        # Tagged as the key store's checks are, so the WSGI and ASGI entry points refuse to start on it too.
        checks.register(check_restored_erasures_finished, "keystore")
