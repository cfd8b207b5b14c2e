"""Registering and revoking agency systems as API clients, and submitting a concern through
the API.

Registration reuses the four-eyes mechanism of ``agencies.services``: the client's account is created
with ``do_create_user`` by the registering administrator, so each case role its scopes need becomes a
``RoleGrantRequest`` that a *second* administrator approves on the approvals page; until then the client
can get no token for that scope. The secret is generated here, returned once, and stored only hashed
(django-oauth-toolkit hashes ``client_secret`` on save).

Submitting a concern calls the very service the concern form calls (``referrals.intake.do_record_concern``):
the same matching, scoring, register and automatic referral, with the client's account as the actor.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, RefreshToken

from agencies import capabilities
from agencies import services as agency_services
from agencies.models import Agency
from api.choices import ACCOUNT_PREFIX, ROLE_FOR_SCOPE, Scope
from api.models import ApiClient
from audit.api import audit_service, record
from audit.choices import Action, ObjectType, Outcome
from audit.history import set_history_user
from config.text import require_plain_text
from encryption.exceptions import KeyShreddedError
from referrals import intake
from referrals.models import Concern
from referrals.references import new_reference, retried_on_reference_clash

NAME_MAX = 100
# Idempotency keys are scoped to the client: the concern's own key is derived from the client and the
# key it sent, so two systems that happen to choose the same key never meet.
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1c8f0e-54d4-4a55-9b7a-2f0d3c1a9e42")


@dataclass(frozen=True)
class RegisteredClient:
    """A client just registered: its secret is here, once, and nowhere else afterwards."""

    client: ApiClient
    client_id: str
    client_secret: str


def _check_administrator(actor: User, action: str) -> None:
    if not capabilities.can_manage_accounts(actor):
        record(Action.CREATE if action == "register" else Action.REVOKE, actor=actor,
               object_type=ObjectType.API_CLIENT, outcome=Outcome.DENIED, detail={"reason": "not_administrator"})
        raise PermissionDenied("Only administrators register and revoke API clients.")


@retried_on_reference_clash
@audit_service
def do_register_api_client(*, agency: Agency, name: str, scopes: list[str], expires_on: dt.date,
                           actor: User) -> RegisteredClient:
    """Register an agency system as an API client with ``scopes`` until ``expires_on``.

    Creates its account at ``agency`` (no usable password) through ``agencies.services.do_create_user``,
    which asks a second administrator to approve each case role the scopes need; and its OAuth 2.0
    confidential client (client credentials only), whose secret is returned here once and stored hashed.
    """
    _check_administrator(actor, "register")
    name = name.strip()
    require_plain_text(single_line={"name": name})
    if not name or len(name) > NAME_MAX:
        raise ValidationError({"name": f"Name the system in at most {NAME_MAX} characters."})
    wanted = sorted(set(scopes))
    if not wanted or set(wanted) - set(Scope.values):
        raise ValidationError({"scopes": "Choose at least one scope from the list."})
    today = timezone.localdate()
    if not today < expires_on <= today + dt.timedelta(days=settings.API_CLIENT_MAX_DAYS):
        raise ValidationError({"expires_on": f"The expiry date must be after today and within "
                                             f"{settings.API_CLIENT_MAX_DAYS} days."})
    if not agency.is_active:
        raise ValidationError({"agency": "Choose an active agency."})
    with transaction.atomic():
        account = agency_services.do_create_user(
            username=f"{ACCOUNT_PREFIX}{agency.pk}-{secrets.token_hex(4)}", agency=agency,
            roles=sorted({ROLE_FOR_SCOPE[scope] for scope in wanted}), actor=actor, system_account=True)
        secret = secrets.token_urlsafe(40)
        application = Application(
            name=name, user=account, client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS, client_secret=secret,
            hash_client_secret=True, skip_authorization=True)
        application.save()
        now = timezone.now()
        client = ApiClient(
            reference=new_reference("K"), name=name, agency=agency, application=application, account=account,
            scopes=" ".join(wanted), registered_by=actor, registered_at=now,
            expires_at=timezone.make_aware(dt.datetime.combine(expires_on, dt.time.max)))
        set_history_user(client, actor)
        client.save()
        record(Action.CREATE, actor=actor, object_type=ObjectType.API_CLIENT, reference=client.reference,
               borough=agency.borough, detail={"agency": agency.pk, "account": account.pk,
                                               "scopes": " ".join(wanted)})
    return RegisteredClient(client=client, client_id=application.client_id, client_secret=secret)


@audit_service
def do_revoke_api_client(client: ApiClient, *, actor: User) -> ApiClient:
    """Revoke a client at once: its tokens are deleted and its account deactivated (one administrator is
    enough: taking access away never waits for a second)."""
    _check_administrator(actor, "revoke")
    with transaction.atomic():
        client = ApiClient.objects.select_for_update().select_related("agency__borough").get(pk=client.pk)
        if client.revoked_at is not None:
            raise ValidationError("This client is already revoked.")
        client.revoked_at, client.revoked_by = timezone.now(), actor
        set_history_user(client, actor)
        client.save(update_fields=["revoked_at", "revoked_by"])
        tokens = end_tokens(client)
        agency_services.do_set_user_active(client.account, is_active=False, actor=actor)
        record(Action.REVOKE, actor=actor, object_type=ObjectType.API_CLIENT, reference=client.reference,
               borough=client.agency.borough, detail={"tokens_ended": tokens})
    return client


def end_tokens(client: ApiClient) -> int:
    """Delete every access and refresh token of the client; return how many access tokens there were."""
    RefreshToken.objects.filter(application_id=client.application_id).delete()
    ended, _ = AccessToken.objects.filter(application_id=client.application_id).delete()
    return int(ended)


def idempotency_uuid(client: ApiClient, key: str) -> uuid.UUID:
    """The concern's idempotency key for a client's ``Idempotency-Key`` header value."""
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{client.pk}:{key}")


@audit_service
def do_submit_concern(*, client: ApiClient, key: str, cleaned: dict[str, object],
                      details: intake.SubjectDetails, actor: User) -> tuple[Concern, bool]:
    """Record a concern sent by an agency system: ``referrals.intake.do_record_concern``, the service the
    concern form calls, with the client's account as the actor and the concern's idempotency key derived
    from the client and its ``Idempotency-Key``. Returns ``(concern, created)``; a retry with the same key
    returns the first concern (``created`` false) and records nothing new. A key already used for a
    *different* concern body is refused (``ValidationError`` with code ``idempotency_mismatch``)."""
    if actor.pk != client.account_id:
        raise PermissionDenied("A client submits as its own account.")
    concern, created = intake.do_record_concern(
        details=details, subject=None, home_borough=cleaned["home_borough"],  # type: ignore[arg-type]
        observed_on=cleaned["observed_on"],  # type: ignore[arg-type]
        indicators=cleaned["indicators"],  # type: ignore[arg-type]
        narrative=str(cleaned.get("narrative") or ""),
        seriously_worried=bool(cleaned.get("seriously_worried")), idempotency_key=idempotency_uuid(client, key),
        actor=actor, judgement=str(cleaned.get("judgement") or ""),
        actions_taken=list(cleaned.get("actions_taken") or ()),  # type: ignore[call-overload]
    )
    if not created and not same_submission(concern, cleaned, details):
        raise ValidationError("This Idempotency-Key was used for a different concern. Use a new key for a new "
                              "concern.", code="idempotency_mismatch")
    return concern, created


def same_submission(concern: Concern, cleaned: dict[str, object], details: intake.SubjectDetails) -> bool:
    """Whether a replayed request carries the concern the key first recorded (compared with what that
    concern holds, decrypted under her key: nothing about the request is kept for the comparison)."""
    try:
        return _same(concern, cleaned, details)
    except KeyShreddedError:
        return False  # her record was erased since: nothing to compare with, so never the same


def _same(concern: Concern, cleaned: dict[str, object], details: intake.SubjectDetails) -> bool:
    codes = sorted(getattr(indicator, "code", "") for indicator in cleaned["indicators"])  # type: ignore[attr-defined]
    as_recorded = concern.subject_as_recorded if isinstance(concern.subject_as_recorded, dict) else {}
    snapshot = {key: value for key, value in as_recorded.items() if key != "home_borough"}
    return (
        concern.observed_on == cleaned["observed_on"]
        and sorted(concern.indicators.values_list("code", flat=True)) == codes
        and (concern.narrative or "") == str(cleaned.get("narrative") or "").strip()
        and snapshot == details.as_json()
        and as_recorded.get("home_borough") == getattr(cleaned["home_borough"], "name", None)
    )
