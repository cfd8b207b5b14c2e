"""Erase one subject by crypto-shredding her data key: ``manage.py erase_subject S-XXXX-XXXX --reason ...``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from referrals.choices import ErasureRequestReason
from referrals.models import Subject
from referrals.services import do_erase_subject


class Command(BaseCommand):
    help = "Erase a subject (and any records merged into her) everywhere, including history and backups."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference", help="The subject's reference, e.g. S-4KQ7-M2XD.")
        parser.add_argument("--reason", required=True, choices=ErasureRequestReason.values,
                            help="Why, as a code (the access trail holds no typed text).")

    def handle(self, *args: Any, reference: str, reason: str, **options: Any) -> None:
        subject = Subject.objects.filter(reference=reference.strip().upper()).first()
        if subject is None:
            raise CommandError("There is no subject with that reference.")
        try:
            do_erase_subject(subject=subject, reason=reason, actor=None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"Erased {subject.reference}.")
