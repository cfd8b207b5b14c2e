from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    """Subjects, concerns, referrals and their workflow."""

    name = "referrals"
