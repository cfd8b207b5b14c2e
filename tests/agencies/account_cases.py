"""Requests waiting for a second administrator, and set-password links, for the authorization matrix.

``extend(world, cases)`` adds ``approvals`` (role grants and a two-factor reset, by relation) and
``invitations`` (a link that works and one that never existed) to the matrix's cases.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from agencies import services
from agencies.choices import RoleCode
from agencies.models import RoleGrantRequest
from tests.personas import World
from tests.two_factor_helpers import ensure_authenticator

# relation: the administrator who asked
APPROVAL_REQUESTERS = {
    "grant_by_administrator": "administrator",
    "grant_by_administrator_2": "administrator_2",
    "reset_by_administrator": "administrator",
}
INVITATION_RELATIONS = ["open_link", "unknown_link"]
ACCOUNT_RELATIONS = [*APPROVAL_REQUESTERS, *INVITATION_RELATIONS]


def request_dsl_role(world: World, persona: str, requester: str) -> RoleGrantRequest:
    """An administrator adds the DSL role to a practitioner's membership: a pending request."""
    user = world.user(persona)
    services.do_set_membership(user=user, agency=user.membership.agency, roles=[RoleCode.PRACTITIONER, RoleCode.DSL],
                               actor=world.user(requester))
    return RoleGrantRequest.objects.get(user=user, role_id=RoleCode.DSL, status="pending")


def token_of(link: services.InvitationLink) -> str:
    return link.url.rstrip("/").rsplit("/", 1)[-1]


def extend(world: World, cases: Any) -> None:
    ensure_authenticator(world.user("mash_southwark"))
    cases.approvals = {
        "grant_by_administrator": request_dsl_role(world, "police_lambeth", "administrator"),
        "grant_by_administrator_2": request_dsl_role(world, "gp_lambeth", "administrator_2"),
        "reset_by_administrator": services.do_request_two_factor_reset(
            user=world.user("mash_southwark"), actor=world.user("administrator")),
    }
    link = services.do_create_invitation(user=world.user("teacher_southwark"), actor=None)
    cases.invitations = {
        "open_link": SimpleNamespace(reference=token_of(link)),
        "unknown_link": SimpleNamespace(reference="x" * len(token_of(link))),
    }
