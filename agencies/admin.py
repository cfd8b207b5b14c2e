"""Administration of agencies, users and memberships.

Administrators manage who can sign in and with which roles; no case data is registered here, and every
change goes through ``agencies.services`` so groups, staff flags and history stay consistent.

Separation of duties (DESIGN.md §6): case roles an administrator adds, and two-factor resets, become
requests that a second administrator decides on the "Requests for a second administrator" page; an
administrator never sets anyone's password (new users and resets get a set-password link); and every
change to users and memberships asks for a fresh second factor first.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from agencies import capabilities, services
from agencies.choices import RequestStatus
from agencies.models import Agency, Borough, Membership, Role, RoleGrantRequest
from agencies.two_factor import step_up_redirect


def _actor(request: HttpRequest) -> User:
    """The administrator making the change (the admin site lets no one else in)."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    return request.user


admin.site.site_header = "Safeguarding risk register: administration"
admin.site.site_title = "Administration"
admin.site.index_title = "Agencies, users and roles"


@admin.register(Borough)
class BoroughAdmin(admin.ModelAdmin):
    list_display = ["name", "ons_code"]
    search_fields = ["name", "ons_code"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # Loaded by migration: the 32 boroughs and the City of London.

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Agency)
class AgencyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "borough", "official_code", "is_active"]
    list_filter = ["kind", "borough", "is_active"]
    search_fields = ["name", "official_code"]
    fields = ["name", "kind", "borough", "official_code", "is_active"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # Agencies are deactivated, never deleted: their records stay attributable.

    def save_model(self, request: HttpRequest, obj: Agency, form: forms.ModelForm, change: bool) -> None:
        data = {field: form.cleaned_data[field] for field in self.fields}
        if change:
            saved = services.do_update_agency(obj, actor=_actor(request), **data)
        else:
            data.pop("is_active")
            saved = services.do_create_agency(actor=_actor(request), **data)
        obj.pk = saved.pk


class StepUpOnChangeMixin:
    """Every change (a saved form, an action) asks for a fresh second factor first; the administrator then
    comes back to the page (a stale POST is never replayed)."""

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
                        extra_context: Any = None) -> HttpResponse:
        if request.method == "POST":
            stale = step_up_redirect(request, next_url=request.path)
            if stale is not None:
                return stale
        return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.method == "POST":
            stale = step_up_redirect(request, next_url=request.path)
            if stale is not None:
                return stale
        return super().changelist_view(request, extra_context)  # type: ignore[misc]


def _pending_notice(request: HttpRequest, user: Any) -> None:
    pending = list(RoleGrantRequest.objects.filter(user_id=user.pk, status=RequestStatus.PENDING)
                   .select_related("role"))
    if pending:
        roles = ", ".join(grant.role.label for grant in pending)
        messages.warning(request, format_html(
            "Waiting for a second administrator: {} for {}. Another administrator approves it under "
            '<a href="{}">Requests for a second administrator</a>.', roles, user.get_username(),
            reverse("approval-list")))


class MembershipForm(forms.ModelForm):
    actor: Any = None  # the administrator saving the form, set by MembershipAdmin.get_form

    class Meta:
        model = Membership
        fields = ["user", "agency", "roles", "is_active"]
        widgets = {"roles": forms.CheckboxSelectMultiple}
        help_texts = {"roles": "Case roles you add are given only when a second administrator approves them. "
                               "No one can hold the administrator role and a case role."}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        user, roles = cleaned.get("user"), cleaned.get("roles")
        if user is not None and roles is not None:
            try:
                services.check_membership_change(user=user, roles=[role.code for role in roles], actor=self.actor)
            except ValidationError as error:
                self.add_error(None, error.message_dict.get("roles", error.messages))
        return cleaned


@admin.register(Membership)
class MembershipAdmin(StepUpOnChangeMixin, SimpleHistoryAdmin):
    form = MembershipForm
    list_display = ["user", "agency", "role_list", "is_active"]
    list_filter = ["agency__borough", "agency__kind", "roles", "is_active"]
    search_fields = ["user__username", "agency__name"]
    autocomplete_fields = ["user", "agency"]
    list_select_related = ["user", "agency__borough"]

    class Media:
        # Gives the two autocomplete boxes an accessible name (their label), which select2 leaves out.
        js = ["js/admin-autocomplete-labels.js"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("roles")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    @admin.display(description="Roles")
    def role_list(self, obj: Membership) -> str:
        return ", ".join(role.label for role in obj.roles.all())

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # Deactivate instead, so the trail of who held which role survives.

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True  # Reverting would set roles without the service (and without a second administrator).

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str,
                          extra_context: Any = None) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request: HttpRequest, obj: Membership, form: forms.ModelForm, change: bool) -> None:
        saved = services.do_set_membership(
            user=form.cleaned_data["user"],
            agency=form.cleaned_data["agency"],
            roles=[role.code for role in form.cleaned_data["roles"]],
            is_active=form.cleaned_data["is_active"],
            actor=_actor(request),
        )
        obj.pk = saved.pk
        _pending_notice(request, form.cleaned_data["user"])

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        # Roles were set by the service in save_model.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class NewUserForm(forms.ModelForm):
    """A new account: who they are, their agency and roles; never a password (they set their own)."""

    agency = forms.ModelChoiceField(queryset=Agency.objects.filter(is_active=True))
    roles = forms.ModelMultipleChoiceField(
        queryset=Role.objects.all(), widget=forms.CheckboxSelectMultiple,
        help_text="Case roles are given only when a second administrator approves them. No one can hold the "
                  "administrator role and a case role.")
    actor: Any = None

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email"]

    def clean_username(self) -> str:
        username = str(self.cleaned_data["username"])
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError("A user with that username already exists.")
        return username

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        roles = cleaned.get("roles")
        if roles is not None:
            try:
                services.check_membership_change(user=User(), roles=[role.code for role in roles], actor=self.actor)
            except ValidationError as error:
                self.add_error(None, error.message_dict.get("roles", error.messages))
        return cleaned


def _invitation_page(request: HttpRequest, links: list[tuple[Any, services.InvitationLink]],
                     problems: list[str]) -> TemplateResponse:
    return TemplateResponse(request, "admin/agencies/invitations.html", {
        **admin.site.each_context(request), "title": "Set-password links", "links": links, "problems": problems,
        "hours": settings.INVITATION_HOURS,
    })


class SafeguardingUserAdmin(StepUpOnChangeMixin, UserAdmin):
    """User accounts without superuser, staff, group, permission or password fields.

    Roles come from memberships; letting an administrator tick "superuser" would bypass every rule, and
    an administrator who could type a password could sign in as anyone.
    """

    fieldsets = (
        (None, {"fields": ("username",)}),
        ("Personal details", {"fields": ("first_name", "last_name", "email")}),
        ("Status", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"fields": ("username", "first_name", "last_name", "email")}),
        ("Agency and roles", {"fields": ("agency", "roles")}),
    )
    add_form = NewUserForm
    add_form_template = None
    readonly_fields = ["last_login", "date_joined"]
    list_display = ["username", "first_name", "last_name", "agency", "roles", "is_active"]
    list_filter = ["is_active", "membership__agency__kind", "membership__roles"]
    list_select_related = ["membership__agency"]

    actions = ["deactivate_users", "make_set_password_links", "request_two_factor_reset"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("membership__roles")

    @admin.display(description="Agency", ordering="membership__agency__name")
    def agency(self, obj: User) -> str:
        membership = getattr(obj, "membership", None)
        return membership.agency.name if membership is not None else "–"

    @admin.display(description="Roles")
    def roles(self, obj: User) -> str:
        membership = getattr(obj, "membership", None)
        if membership is None:
            return "–"
        roles = ", ".join(role.label for role in membership.roles.all()) or "none yet"
        return roles if membership.is_active else f"{roles} (membership ended)"

    def get_urls(self) -> list[Any]:
        # Django's "change password" page is gone: administrators never type another person's password.
        return [url for url in super().get_urls() if url.name != "auth_user_password_change"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # type: ignore[attr-defined]  # read by the account form's checks
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and any(capabilities.is_case_role(code) for code in services.held_roles(obj)):
            # Set-password links for case roles go only to this address: changing it is not one person's call.
            fields.append("email")
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # Deactivate instead: a deleted user would orphan the access trail.

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        if not change:
            data = form.cleaned_data
            user = services.do_create_user(
                username=data["username"], first_name=data["first_name"], last_name=data["last_name"],
                email=data["email"], agency=data["agency"], roles=[role.code for role in data["roles"]],
                actor=_actor(request))
            obj.pk = user.pk
            obj._state.adding = False
            request._new_invitation = services.do_create_invitation(user=user, actor=_actor(request))  # type: ignore[attr-defined]
            _pending_notice(request, user)
            return
        # Activation goes through the service, which ends every session of a deactivated user at once.
        is_active = obj.is_active
        if "is_active" in form.changed_data:
            obj.is_active = not is_active
            super().save_model(request, obj, form, change)
            services.do_set_user_active(obj, is_active=is_active, actor=_actor(request))
            obj.is_active = is_active
            return
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: str | None = None) -> HttpResponse:
        # The link is shown once, on this page, and never stored: a reload does not show it again.
        link = getattr(request, "_new_invitation", None)
        if link is None:
            return super().response_add(request, obj, post_url_continue)
        return _invitation_page(request, [(obj, link)], [])

    @admin.action(description="Deactivate the selected users and end their sessions", permissions=["change"])
    def deactivate_users(self, request: HttpRequest, queryset: Any) -> None:
        users = [user for user in queryset if user.is_active and user.pk != request.user.pk]
        ended = sum(services.do_set_user_active(user, is_active=False, actor=_actor(request)) for user in users)
        self.message_user(request, f"Deactivated {len(users)} users and ended {ended} sessions.")

    @admin.action(description="Make a set-password link (new user, or forgotten password)", permissions=["change"])
    def make_set_password_links(self, request: HttpRequest, queryset: Any) -> HttpResponse:
        links, problems = [], []
        for user in queryset:
            try:
                links.append((user, services.do_create_invitation(user=user, actor=_actor(request))))
            except ValidationError as error:
                problems.append(f"{user.get_username()}: {error.messages[0]}")
        return _invitation_page(request, links, problems)

    @admin.action(description="Ask for a two-factor reset (lost phone): a second administrator approves",
                  permissions=["change"])
    def request_two_factor_reset(self, request: HttpRequest, queryset: Any) -> None:
        asked = 0
        for user in queryset:
            try:
                services.do_request_two_factor_reset(user=user, actor=_actor(request))
                asked += 1
            except ValidationError as error:
                self.message_user(request, f"{user.get_username()}: {error.messages[0]}", level=messages.WARNING)
        if asked:
            self.message_user(request, format_html(
                "Asked for {} two-factor reset(s). Nothing changes until another administrator approves under "
                '<a href="{}">Requests for a second administrator</a>.', asked, reverse("approval-list")))


admin.site.unregister(User)
admin.site.register(User, SafeguardingUserAdmin)
admin.site.unregister(Group)
# Authenticator keys and recovery codes are never for administrators to see or edit: they reset them with
# the action above, and members set up their own.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
