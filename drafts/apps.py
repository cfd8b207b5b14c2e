from django.apps import AppConfig


class DraftsConfig(AppConfig):
    """Forms kept as encrypted drafts when the session ended before they were sent."""

    name = "drafts"
