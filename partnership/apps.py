from django.apps import AppConfig


class PartnershipConfig(AppConfig):
    """The partnership picture: London-wide and borough statistics computed nightly into summary
    tables, published under statistical disclosure control, for MOPAC and the boroughs' safeguarding
    partnerships. Named so as not to shadow the standard library's ``statistics``."""

    name = "partnership"
    verbose_name = "Partnership statistics"
