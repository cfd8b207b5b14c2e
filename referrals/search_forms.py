"""The search form: her last name, and her first name (or its first letters) and/or her date of birth.
What a search finds, and how, is ``referrals.search``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from config.forms import ServiceForm, TextField
from encryption.blind_index import normalise
from referrals.forms import NAME_MAX, _date_from_parts, _date_parts, years_before


class SubjectSearchForm(ServiceForm):
    """Her last name, and her first name (or its first letters) and/or her date of birth."""

    given_name = TextField(required=False, max_length=NAME_MAX, label="First name",
                           help_text="Her first name, or its first letters. Leave it empty if you do not know it.")
    family_name = TextField(max_length=NAME_MAX, label="Last name",
                            error_messages={"required": "Enter her last name."})
    locals().update(_date_parts("dob", "date of birth"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        today = timezone.localdate()
        dob = _date_from_parts(self, "dob", "date of birth", required=False)
        if dob is not None and dob > today:
            self.add_error("dob_day", "Date of birth must be in the past.")
        elif dob is not None and dob <= years_before(today, settings.SUBJECT_MAX_AGE + 1):
            self.add_error("dob_day", f"This service is for young people aged {settings.SUBJECT_MAX_AGE} "
                                      "or under. Check the date of birth.")
        data["date_of_birth"] = dob
        given = normalise(data.get("given_name") or "")
        if data.get("family_name") and not normalise(data["family_name"]):
            self.add_error("family_name", "Enter her last name in letters.")
        if dob is None and not self.has_error("dob_day") and not given:
            self.add_error("given_name", "Enter her first name, or her date of birth, as well as her last name.")
        return data
