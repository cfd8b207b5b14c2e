"""Load the demo London: agencies in Lambeth, Southwark and Hackney, and the named demo users."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from agencies.demo import DEMO_USERS, seed_authenticators, seed_users
from config.env import env_secret

DEFAULT_DEMO_PASSWORD = "safeguarding-demo"  # noqa: S105 - documented, refused unless DEBUG is on


class Command(BaseCommand):
    help = "Create demo agencies and users. Safe to run again: existing records are left unchanged."

    def handle(self, *args: Any, **options: Any) -> None:
        password = env_secret("DEMO_PASSWORD", "")
        if not password:
            if not settings.DEBUG:
                raise CommandError(
                    "Set DEMO_PASSWORD: the documented default demo password is only allowed with DEBUG on."
                )
            password = DEFAULT_DEMO_PASSWORD
        from referrals.demo import seed_borough_moves, seed_cases, seed_referrals

        with transaction.atomic():
            created = seed_users(password)
            concerns = seed_cases()
            from risk.demo import seed_risk  # subjects at every risk level

            concerns += seed_risk()

            from risk.map.demo import seed_map  # the association map

            seed_map()

            referrals = seed_referrals()
            seed_borough_moves()  # one girl moving to another borough, one shared where harm happens
            from casework.demo import seed_casework  # a plan, outcomes and a MACE meeting with minutes

            seed_casework()

            from partnership.demo import seed_statistics_history  # a year of history for the statistics

            # A year of bulk-loaded history: for the demo's charts, not for tests that need only the demo's cases.
            history = seed_statistics_history() if settings.DEMO_STATISTICS_HISTORY else 0
            # Published authenticator keys only where the published password would be allowed too.
            authenticators = seed_authenticators() if settings.DEBUG else []
        if created:
            self.stdout.write(f"Created {len(created)} demo users: {', '.join(created)}.")
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(f"Demo users: {', '.join(u.username for u in DEMO_USERS)}.")
        if concerns:
            self.stdout.write(f"Recorded {concerns} demo concerns.")
        if referrals:
            self.stdout.write(f"Made {referrals} demo referrals.")
        if history:
            from partnership.services import do_aggregate_statistics

            do_aggregate_statistics()
            self.stdout.write(f"Loaded a year of statistics history ({history} girls in Lewisham, Greenwich "
                              "and Croydon) and computed the statistics.")
        if authenticators:
            self.stdout.write(f"Installed the demo authenticators of: {', '.join(authenticators)} "
                              "(keys in README.md; `python manage.py demo_totp USERNAME` prints a code).")
        elif not settings.DEBUG:
            self.stdout.write("Demo users whose roles need two-factor authentication set it up at first sign-in.")
