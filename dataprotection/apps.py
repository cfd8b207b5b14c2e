from django.apps import AppConfig


class DataProtectionConfig(AppConfig):
    """Data-protection duties: emergency (break-glass) access, subject access exports, the erasure
    forecast, and the system check on the security headers every page must carry."""

    name = "dataprotection"
    verbose_name = "Data protection"

    def ready(self) -> None:
        from django.core import checks

        from config import checks as security_checks

        checks.register(security_checks.check_security_headers, checks.Tags.security)
