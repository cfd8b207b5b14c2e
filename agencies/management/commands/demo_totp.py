"""Print the current authenticator code of demo users, for signing in to the demo and for browser tests."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.two_factor import current_code


class Command(BaseCommand):
    help = (
        "Print the 6-digit code a demo user's authenticator shows now (DEBUG only). With one username it "
        "prints just the code; with several, one 'username code' per line. A code works once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("usernames", nargs="+")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_totp is for the demo only: it refuses to run without DEBUG on.")
        User = get_user_model()
        lines = []
        for username in options["usernames"]:
            user = User.objects.filter(username=username).first()
            device = (TOTPDevice.objects.filter(user=user, confirmed=True).first() if user is not None else None)
            if device is None:
                raise CommandError(f"{username} has no authenticator. Run seed_demo with DEBUG on first.")
            code = current_code(device)
            lines.append(code if len(options["usernames"]) == 1 else f"{username} {code}")
        self.stdout.write("\n".join(lines))
