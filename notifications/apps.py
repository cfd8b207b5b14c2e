from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """The in-app inbox of every user, and the emails that go with it (a reference and a link only)."""

    name = "notifications"
