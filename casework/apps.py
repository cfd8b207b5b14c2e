from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    """Case work after the MASH's decision: strategy discussions, MACE meetings, plans with owned actions,
    and outcomes."""

    name = "casework"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from casework.services import end_casework_of_erased
        from referrals.services import register_erasure_step

        # Erasing a girl ends her case work too (referrals never imports casework: the dependency rule).
        register_erasure_step(end_casework_of_erased)
