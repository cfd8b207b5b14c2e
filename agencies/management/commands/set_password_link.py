"""Print a single-use set-password link for an account, as the system: for the first administrators of a
new installation, who have nobody yet to make one for them in Administration."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies import services


class Command(BaseCommand):
    help = (
        "Print a set-password link for USERNAME (it works once, for INVITATION_HOURS; older links stop "
        "working). Run by whoever runs the server, as the system; recorded on the access trail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("No account has that username.")
        link = services.do_create_invitation(user=user, actor=None)
        self.stdout.write(link.url)
