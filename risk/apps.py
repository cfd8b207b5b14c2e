from django.apps import AppConfig


class RiskConfig(AppConfig):
    """Indicator catalogue, scoring model, assessments, the register and the association map."""

    name = "risk"
    verbose_name = "Risk and register"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from risk.models import PathwayCatalogue, ScoringModel
        from risk.queries import forget_active_pathway_catalogue
        from risk.services.assessment import forget_active_model

        # Any change to a scoring model (the admin, a migration's data) drops this process's cached copy.
        post_save.connect(forget_active_model, sender=ScoringModel, dispatch_uid="risk.forget_active_model")
        post_delete.connect(forget_active_model, sender=ScoringModel, dispatch_uid="risk.forget_active_model_del")
        # And to a pathway catalogue version.
        post_save.connect(forget_active_pathway_catalogue, sender=PathwayCatalogue,
                          dispatch_uid="risk.forget_active_pathway_catalogue")
        post_delete.connect(forget_active_pathway_catalogue, sender=PathwayCatalogue,
                            dispatch_uid="risk.forget_active_pathway_catalogue_del")
