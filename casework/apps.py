from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    """Case work after the MASH's decision: strategy discussions, MACE meetings, plans with owned actions,
    and outcomes (issue 19)."""

    name = "casework"
    default_auto_field = "django.db.models.BigAutoField"
