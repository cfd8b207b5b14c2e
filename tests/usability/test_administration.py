"""Administration: the users list shows each account's agency and roles; the membership form's two
autocomplete boxes are given accessible names (checked with axe-core in tests/browser)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from agencies.choices import RoleCode
from agencies.models import PasswordInvitation, RoleGrantRequest

pytestmark = pytest.mark.django_db


def test_the_users_list_shows_agency_and_roles(client_for, world):
    html = client_for("administrator").get(reverse("admin:auth_user_changelist")).content.decode()
    assert "column-agency" in html and "column-roles" in html
    row = html.split(">teacher_lambeth<")[1].split("</tr>")[0]
    assert world.agencies["lambeth_school"].name in row and "Practitioner" in row


def test_the_membership_form_names_its_autocomplete_boxes(client_for, world):
    membership = world.user("teacher_lambeth").membership
    html = client_for("administrator").get(
        reverse("admin:agencies_membership_change", args=[membership.pk])).content.decode()
    assert "js/admin-autocomplete-labels.js" in html
    assert 'for="id_user"' in html and 'for="id_agency"' in html


def test_adding_a_user_is_one_form_and_a_case_role_waits_for_a_second_administrator(client_for, world):
    response = client_for("administrator").post(reverse("admin:auth_user_add"), {
        "username": "new.dsl", "first_name": "New", "last_name": "Dsl", "email": "new.dsl@school.test",
        "agency": world.agencies["lambeth_school"].pk, "roles": [RoleCode.DSL]})
    assert response.status_code == 200
    user = User.objects.get(username="new.dsl")
    assert user.membership.agency == world.agencies["lambeth_school"]
    assert not user.membership.roles.exists()  # not given directly...
    assert RoleGrantRequest.objects.get(user=user).role_id == RoleCode.DSL  # ...but asked for
    assert PasswordInvitation.objects.filter(user=user).count() == 1
