"""Business actions on the pathway catalogue (``risk.pathways``): activating a version."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from audit.api import audit_service, record
from audit.choices import Action, ObjectType
from risk import pathways
from risk.models import PathwayCatalogue
from risk.queries import forget_active_pathway_catalogue


@audit_service
@transaction.atomic
def do_activate_pathway_catalogue(*, catalogue: PathwayCatalogue, actor: User | None) -> PathwayCatalogue:
    """Make ``catalogue`` the active pathway catalogue: recommendations follow its rules from the next page
    load. Refused if its configuration does not load (an unknown condition, pathway, level or source)."""
    pathways.load(catalogue.config)
    PathwayCatalogue.objects.exclude(pk=catalogue.pk).filter(is_active=True).update(is_active=False)
    catalogue.is_active = True
    catalogue.save(update_fields=["is_active"])
    forget_active_pathway_catalogue()
    record(Action.UPDATE, actor=actor, object_type=ObjectType.PATHWAY_CATALOGUE, reference=str(catalogue.version),
           detail={"service": "do_activate_pathway_catalogue", "active": True})
    return catalogue
