from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from agencies import services
from agencies.choices import AgencyKind, RoleCode
from agencies.models import Agency, Borough, Membership
from audit.models import AccessEvent
from tests.audit_helpers import assert_audit, new_audit_events

User = get_user_model()
pytestmark = pytest.mark.django_db


def test_it_loads_every_london_borough_with_its_ons_code():
    assert Borough.objects.count() == 33
    assert Borough.objects.get(ons_code="E09000022").name == "Lambeth"
    assert Borough.objects.get(ons_code="E09000001").name == "City of London"
    codes = set(Borough.objects.values_list("ons_code", flat=True))
    assert codes == {f"E090000{n:02d}" for n in range(1, 34)}


def test_it_creates_an_agency_with_its_own_group_and_history(world):
    lambeth = Borough.objects.get(name="Lambeth")
    actor = world.user("administrator")
    agency = services.do_create_agency(
        name="  Kennington Test School ", kind=AgencyKind.SCHOOL, borough=lambeth, actor=actor
    )
    assert agency.name == "Kennington Test School"
    assert agency.group.name.startswith("agency-")
    assert agency.history.get().history_user == actor


def test_it_refuses_an_unknown_kind_and_writes_nothing(world):
    before = Agency.objects.count()
    with pytest.raises(ValidationError):
        services.do_create_agency(
            name="Nowhere", kind="cult", borough=Borough.objects.first(), actor=None
        )
    assert Agency.objects.count() == before


def test_it_refuses_a_duplicate_agency_name_in_one_borough(world):
    existing = world.agencies["lambeth_school"]
    with pytest.raises(ValidationError):
        services.do_create_agency(name=existing.name, kind=AgencyKind.SCHOOL, borough=existing.borough,
                                  actor=None)


def test_membership_puts_the_user_in_the_agency_group_only(world):
    user = world.user("teacher_lambeth")
    assert list(user.groups.all()) == [world.agencies["lambeth_school"].group]
    services.do_set_membership(user=user, agency=world.agencies["lambeth_gp"],
                               roles=[RoleCode.PRACTITIONER], actor=None)
    user.refresh_from_db()
    assert list(user.groups.all()) == [world.agencies["lambeth_gp"].group]
    assert Membership.objects.filter(user=user).count() == 1


def test_membership_needs_a_role_and_known_roles(world):
    user = world.user("teacher_lambeth")
    with pytest.raises(ValidationError):
        services.do_set_membership(user=user, agency=world.agencies["lambeth_school"], roles=[], actor=None)
    with pytest.raises(ValidationError):
        services.do_set_membership(user=user, agency=world.agencies["lambeth_school"],
                                   roles=["superuser"], actor=None)
    assert user.membership.role_codes == {RoleCode.PRACTITIONER}


def test_staff_flag_follows_the_administrator_role(world):
    admin = world.user("administrator")
    assert admin.is_staff and not admin.is_superuser
    services.do_set_membership(user=admin, agency=world.agencies["governance"], roles=[RoleCode.AUDITOR],
                               actor=None)
    admin.refresh_from_db()
    assert not admin.is_staff


def test_roles_grant_model_permissions_and_nothing_else(world):
    admin = User.objects.get(username="administrator")
    assert admin.has_perm("agencies.change_agency")
    assert not admin.has_perm("agencies.delete_agency")
    teacher = User.objects.get(username="teacher_lambeth")
    assert not teacher.has_perm("agencies.change_agency")
    assert not teacher.has_perm("auth.change_user")


def test_a_deactivated_membership_grants_no_permissions(world):
    admin = world.user("administrator")
    services.do_set_membership(user=admin, agency=world.agencies["governance"],
                               roles=[RoleCode.ADMINISTRATOR], is_active=False, actor=None)
    assert not User.objects.get(pk=admin.pk).has_perm("agencies.change_agency")


def test_it_refuses_a_second_user_with_the_same_username(world):
    with pytest.raises(ValidationError):
        services.do_create_user(username="TEACHER_LAMBETH", password="x" * 20,
                                agency=world.agencies["lambeth_school"], roles=[RoleCode.PRACTITIONER],
                                actor=None)


# --- Every service writes exactly one audit event (DESIGN.md §5, convention 3) ------------------------


def test_creating_an_agency_writes_one_create_event_in_its_borough_chain(world):
    lambeth = Borough.objects.get(name="Lambeth")
    actor = world.user("administrator")
    agency = services.do_create_agency(name="Audit Test School", kind=AgencyKind.SCHOOL, borough=lambeth,
                                       actor=actor)
    event = assert_audit("create", actor=actor, object_type="agency", reference=agency.pk)
    assert event.chain == lambeth.ons_code and event.borough_code == lambeth.ons_code
    assert event.actor_roles == "administrator"
    assert event.actor_agency_id == world.agencies["governance"].pk


def test_a_refused_agency_writes_no_event(world):
    with pytest.raises(ValidationError):
        services.do_create_agency(name="Nowhere", kind="cult", borough=Borough.objects.first(), actor=None)
    assert new_audit_events() == []


def test_updating_an_agency_writes_one_update_event_naming_the_fields(world):
    agency = world.agencies["lambeth_gp"]
    services.do_update_agency(agency, name="Renamed Surgery", is_active=False,
                              actor=world.user("administrator"))
    event = assert_audit("update", object_type="agency", reference=agency.pk)
    assert event.detail == {"fields": "is_active,name", "sessions_ended": 0, "service": "do_update_agency"}
    assert "Renamed" not in str(event.detail)


def test_setting_a_membership_writes_one_update_event(world):
    user = world.user("teacher_lambeth")
    services.do_set_membership(user=user, agency=world.agencies["lambeth_gp"],
                               roles=[RoleCode.PRACTITIONER], actor=world.user("administrator"))
    assert_audit("update", actor=world.user("administrator"), object_type="membership",
                 reference=user.membership.pk)


def test_a_first_membership_is_a_create_event(world):
    lonely = world.user("no_membership")
    membership = services.do_set_membership(user=lonely, agency=world.agencies["lambeth_gp"],
                                            roles=[RoleCode.PRACTITIONER], actor=None)
    assert_audit("create", object_type="membership", reference=membership.pk)


def test_creating_a_user_writes_one_event_without_the_username_or_name(world):
    user = services.do_create_user(username="canary.zebedee", password=None, first_name="Zebedee",
                                   agency=world.agencies["lambeth_school"], roles=[RoleCode.DSL],
                                   actor=world.user("administrator"))
    event = assert_audit("create", object_type="user", reference=user.pk)
    assert new_audit_events() == []
    assert event.chain == "system"
    assert "zebedee" not in str(AccessEvent.objects.filter(pk=event.pk).values().get()).lower()
