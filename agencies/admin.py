"""Administration of agencies, users and memberships.

Administrators manage who can sign in and with which roles; no case data is registered here, and every
change goes through ``agencies.services`` so groups, staff flags and history stay consistent.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from agencies import services
from agencies.models import Agency, Borough, Membership

User = get_user_model()

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
            saved = services.do_update_agency(obj, actor=request.user, **data)
        else:
            data.pop("is_active")
            saved = services.do_create_agency(actor=request.user, **data)
        obj.pk = saved.pk


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "agency", "roles", "is_active"]
        widgets = {"roles": forms.CheckboxSelectMultiple}


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    form = MembershipForm
    list_display = ["user", "agency", "role_list", "is_active"]
    list_filter = ["agency__borough", "agency__kind", "roles", "is_active"]
    search_fields = ["user__username", "agency__name"]
    autocomplete_fields = ["user", "agency"]
    list_select_related = ["user", "agency__borough"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("roles")

    @admin.display(description="Roles")
    def role_list(self, obj: Membership) -> str:
        return ", ".join(role.label for role in obj.roles.all())

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # Deactivate instead, so the trail of who held which role survives.

    def save_model(self, request: HttpRequest, obj: Membership, form: forms.ModelForm, change: bool) -> None:
        saved = services.do_set_membership(
            user=form.cleaned_data["user"],
            agency=form.cleaned_data["agency"],
            roles=[role.code for role in form.cleaned_data["roles"]],
            is_active=form.cleaned_data["is_active"],
            actor=request.user,
        )
        obj.pk = saved.pk

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        # Roles were set by the service in save_model.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class SafeguardingUserAdmin(UserAdmin):
    """User accounts without superuser, staff, group or permission fields.

    Roles come from memberships; letting an administrator tick "superuser" would bypass every rule.
    """

    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal details", {"fields": ("first_name", "last_name", "email")}),
        ("Status", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    list_display = ["username", "first_name", "last_name", "email", "is_active"]
    list_filter = ["is_active"]

    actions = ["deactivate_users", "reset_two_factor"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # Deactivate instead: a deleted user would orphan the access trail.

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        # Activation goes through the service, which ends every session of a deactivated user at once.
        is_active = obj.is_active
        if change and "is_active" in form.changed_data:
            obj.is_active = not is_active
            super().save_model(request, obj, form, change)
            services.do_set_user_active(obj, is_active=is_active, actor=request.user)
            obj.is_active = is_active
            return
        super().save_model(request, obj, form, change)

    @admin.action(description="Deactivate the selected users and end their sessions", permissions=["change"])
    def deactivate_users(self, request: HttpRequest, queryset: Any) -> None:
        users = [user for user in queryset if user.is_active and user.pk != request.user.pk]
        ended = sum(services.do_set_user_active(user, is_active=False, actor=request.user) for user in users)
        self.message_user(request, f"Deactivated {len(users)} users and ended {ended} sessions.")

    @admin.action(description="Reset two-factor authentication (lost phone)", permissions=["change"])
    def reset_two_factor(self, request: HttpRequest, queryset: Any) -> None:
        users = list(queryset)
        for user in users:
            services.do_reset_two_factor(user=user, actor=request.user)
        self.message_user(
            request,
            f"Reset two-factor authentication for {len(users)} users and ended their sessions. Those whose role "
            "requires it will set up a new authenticator app when they next sign in.",
        )


admin.site.unregister(User)
admin.site.register(User, SafeguardingUserAdmin)
admin.site.unregister(Group)
# Authenticator keys and recovery codes are never for administrators to see or edit: they reset them with
# the action above, and members set up their own.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
