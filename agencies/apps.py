from typing import Any

from django.apps import AppConfig


def check_two_factor_roles(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """OTP_REQUIRED_ROLES must name real roles: a typo would silently leave a role without 2FA."""
    from django.conf import settings
    from django.core import checks

    from agencies.choices import RoleCode

    unknown = sorted(set(settings.OTP_REQUIRED_ROLES) - set(RoleCode.values))
    if not unknown:
        return []
    return [checks.Error(f"OTP_REQUIRED_ROLES names unknown roles: {', '.join(unknown)}.",
                         hint=f"Choose from: {', '.join(RoleCode.values)}.", id="agencies.E001")]


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = "Agencies and users"

    def ready(self) -> None:
        from django.contrib.auth import signals
        from django.core import checks

        from agencies import sessions

        signals.user_logged_in.connect(sessions.on_user_logged_in, dispatch_uid="agencies.sessions.login")
        signals.user_logged_out.connect(sessions.on_user_logged_out, dispatch_uid="agencies.sessions.logout")
        checks.register(check_two_factor_roles, checks.Tags.security)
