from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The API for agencies' own systems: concerns in, outcomes back."""

    name = "api"
    verbose_name = "API for agency systems"

    def ready(self) -> None:
        # Registers the OpenAPI description of the client-credentials scheme (drf-spectacular's idiom).
        from api import schema  # noqa: F401
