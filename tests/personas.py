"""Named personas across two boroughs (Lambeth and Southwark) and several agencies.

Built through the services, as the system itself would build them. Later suites add case data for
these personas. Each persona's username says who they are; ``relation`` rows in the authorization
matrix refer to these names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from agencies import services
from agencies.choices import AgencyKind, RoleCode
from agencies.models import Agency, Borough

User = get_user_model()
PASSWORD = "correct horse battery staple"

AGENCIES = {
    # key: (borough, kind, name)
    "lambeth_school": ("Lambeth", AgencyKind.SCHOOL, "Lambeth Test Academy"),
    "lambeth_gp": ("Lambeth", AgencyKind.GP_PRACTICE, "Lambeth Test Surgery"),
    "lambeth_police": ("Lambeth", AgencyKind.POLICE, "Lambeth Test Police Unit"),
    "lambeth_mash": ("Lambeth", AgencyKind.MASH, "Lambeth Test MASH"),
    "lambeth_csc": ("Lambeth", AgencyKind.CHILDRENS_SOCIAL_CARE, "Lambeth Test Social Care"),
    "southwark_school": ("Southwark", AgencyKind.SCHOOL, "Southwark Test School"),
    "southwark_yot": ("Southwark", AgencyKind.YOUTH_OFFENDING_TEAM, "Southwark Test YOT"),
    "southwark_mash": ("Southwark", AgencyKind.MASH, "Southwark Test MASH"),
    "governance": ("City of London", AgencyKind.GOVERNANCE, "Test Information Governance"),
    # Partnership statistics: a borough's safeguarding partnership and MOPAC (London-wide).
    "lambeth_partnership": ("Lambeth", AgencyKind.SAFEGUARDING_PARTNERSHIP, "Lambeth Test Partnership"),
    "mopac": ("City of London", AgencyKind.MOPAC, "Test MOPAC"),
}

# persona name: (agency key, roles)
PERSONAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "teacher_lambeth": ("lambeth_school", (RoleCode.PRACTITIONER,)),
    "gp_lambeth": ("lambeth_gp", (RoleCode.PRACTITIONER,)),
    "police_lambeth": ("lambeth_police", (RoleCode.PRACTITIONER,)),
    "dsl_lambeth": ("lambeth_school", (RoleCode.DSL, RoleCode.PRACTITIONER)),
    "mash_lambeth": ("lambeth_mash", (RoleCode.MASH_LEAD,)),
    "csc_lambeth": ("lambeth_csc", (RoleCode.RECEIVING_WORKER,)),
    "teacher_southwark": ("southwark_school", (RoleCode.PRACTITIONER,)),
    "yot_southwark": ("southwark_yot", (RoleCode.PRACTITIONER,)),
    "mash_southwark": ("southwark_mash", (RoleCode.MASH_LEAD,)),
    "auditor": ("governance", (RoleCode.AUDITOR,)),
    "administrator": ("governance", (RoleCode.ADMINISTRATOR,)),
    # A second administrator: what one administrator asks for (a case role, a two-factor reset), another
    # approves (four eyes, DESIGN.md §6).
    "administrator_2": ("governance", (RoleCode.ADMINISTRATOR,)),
    "dpo": ("governance", (RoleCode.DATA_PROTECTION_OFFICER,)),
    # Aggregates only: refused every case page (the authorization matrix gives them 404 on each).
    "analyst_lambeth": ("lambeth_partnership", (RoleCode.PARTNERSHIP_ANALYST,)),
    "analyst_london": ("mopac", (RoleCode.PARTNERSHIP_ANALYST,)),
}
ANALYST_PERSONAS = ["analyst_lambeth", "analyst_london"]

MEMBER_PERSONAS = list(PERSONAS)
# Personas who must reach nothing: anonymous is not a user at all.
LOCKED_OUT_PERSONAS = ["no_membership", "inactive_membership", "deactivated_user"]


@dataclass
class World:
    """Everything the personas fixture built, by name."""

    agencies: dict[str, Agency] = field(default_factory=dict)
    users: dict[str, AbstractBaseUser] = field(default_factory=dict)

    def user(self, name: str) -> AbstractBaseUser:
        return self.users[name]


def ensure_reference_data() -> None:
    """Reload the boroughs, roles and indicator catalogue if a transactional test's flush emptied them.

    They come from data migrations, which a flush does not re-run.
    """
    from importlib import import_module

    from django.apps import apps

    if not Borough.objects.exists():
        import_module("agencies.migrations.0002_boroughs_and_roles").load(apps, None)
        import_module("agencies.migrations.0004_data_protection_officer_role").load(apps, None)
        import_module("agencies.migrations.0007_partnership_analyst").load(apps, None)
        import_module("risk.migrations.0002_catalogue_v1").load(apps, None)
    from risk.models import ScoringModel

    if not ScoringModel.objects.exists():
        import_module("risk.migrations.0003_scoring_and_register").load_model_v1(apps, None)
        import_module("risk.migrations.0005_scoring_model_v2_map").load(apps, None)
    from risk.models import PathwayCatalogue

    if not PathwayCatalogue.objects.exists():
        import_module("risk.migrations.0013_pathway_catalogue").load(apps, None)
        import_module("risk.migrations.0014_pathway_catalogue_v2").load(apps, None)


def build_world() -> World:
    ensure_reference_data()
    world = World()
    boroughs = {b.name: b for b in Borough.objects.filter(name__in={a[0] for a in AGENCIES.values()})}
    for key, (borough, kind, name) in AGENCIES.items():
        world.agencies[key] = services.do_create_agency(
            name=name, kind=kind, borough=boroughs[borough], actor=None
        )
    for name, (agency_key, roles) in PERSONAS.items():
        world.users[name] = services.do_create_user(
            username=name, password=PASSWORD, agency=world.agencies[agency_key], roles=roles,
            first_name=name.split("_")[0].title(), last_name="Persona", actor=None,
        )

    # A user with an account but no membership at all.
    lonely = User(username="no_membership")
    lonely.set_password(PASSWORD)
    lonely.save()
    world.users["no_membership"] = lonely

    # A user whose membership has been deactivated.
    former = services.do_create_user(
        username="inactive_membership", password=PASSWORD, agency=world.agencies["lambeth_school"],
        roles=[RoleCode.PRACTITIONER], actor=None,
    )
    services.do_set_membership(
        user=former, agency=world.agencies["lambeth_school"], roles=[RoleCode.PRACTITIONER],
        is_active=False, actor=None,
    )
    world.users["inactive_membership"] = former

    # A user whose account itself has been deactivated, membership still in place.
    gone = services.do_create_user(
        username="deactivated_user", password=PASSWORD, agency=world.agencies["lambeth_school"],
        roles=[RoleCode.PRACTITIONER], actor=None,
    )
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    world.users["deactivated_user"] = gone
    return world
