"""Delete expired OAuth tokens (django-oauth-toolkit's ``cleartokens``), as a recorded scheduled job.

Client credentials tokens live ``API_TOKEN_SECONDS`` (15 minutes) and are never refreshed, so every call
of every agency system leaves one row behind: without this job the table only grows. A hashed expired
token opens nothing, but it need not be kept either."""

from __future__ import annotations

from typing import Any

from oauth2_provider.models import AccessToken, RefreshToken, clear_expired

from operations.runs import ScheduledCommand


class Command(ScheduledCommand):
    job = "clear_api_tokens"
    help = "Delete expired API access tokens (and any refresh tokens the toolkit no longer needs)."

    def run(self, *args: Any, **options: Any) -> dict[str, int] | None:
        before = AccessToken.objects.count(), RefreshToken.objects.count()
        clear_expired()
        cleared = before[0] - AccessToken.objects.count(), before[1] - RefreshToken.objects.count()
        self.stdout.write(f"{cleared[0]} expired access token(s) deleted.")
        result = {"access_tokens_cleared": cleared[0]}
        if cleared[1]:
            result["refresh_tokens_cleared"] = cleared[1]
        return result
