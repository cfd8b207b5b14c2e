from django.apps import AppConfig


class RiskConfig(AppConfig):
    """Indicator catalogue, scoring model, assessments, the register and the association map."""

    name = "risk"
    verbose_name = "Risk and register"
