"""Who is calling: OAuth 2.0 client credentials (django-oauth-toolkit), mapped to the agency system's
``ApiClient`` and its account.

A token is issued only to a live client (not revoked, not expired) and only for the scopes that are live
for it: registered *and* approved (the role each scope needs was granted by a second administrator). The
same test runs again on every call, so revoking a client, its expiry, or a role taken away ends its access
at the next call even while a token is still unexpired.
"""

from __future__ import annotations

import hashlib
from typing import Any, cast

from django.conf import settings
from django.core.cache import caches
from django.db import connections, router, transaction
from django.utils import timezone
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from agencies.permissions import active_membership
from api.choices import ROLE_FOR_SCOPE, Scope
from api.models import ApiClient
from audit.context import get_current_request


def client_of(application: Any) -> ApiClient | None:
    """The agency system an OAuth application belongs to (None for any other application)."""
    if application is None:
        return None
    return ApiClient.objects.select_related("account", "agency__borough").filter(
        application_id=application.pk).first()


def live_scopes(client: ApiClient | None) -> list[str]:
    """The scopes the client may use now: registered, with their role granted on its active membership."""
    if client is None or not client.is_live(timezone.now()):
        return []
    membership = active_membership(client.account)
    if membership is None or membership.agency_id != client.agency_id:
        return []
    return [scope for scope in client.scope_list if ROLE_FOR_SCOPE[scope] in membership.role_codes]


class ClientScopes(BaseScopes):
    """Scopes per client: a token may carry only the client's live scopes (all of them by default)."""

    def get_all_scopes(self) -> dict[str, str]:
        return {str(code): str(label) for code, label in Scope.choices}

    def get_available_scopes(self, application: Any = None, request: Any = None, *args: Any,
                             **kwargs: Any) -> list[str]:
        return live_scopes(client_of(application))

    def get_default_scopes(self, application: Any = None, request: Any = None, *args: Any,
                           **kwargs: Any) -> list[str]:
        return live_scopes(client_of(application))


class ClientValidator(OAuth2Validator):
    """Client credentials only, and only for a live agency system with at least one live scope."""

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        client = client_of(request.client)
        current = get_current_request()
        if client is not None and current is not None:
            # The token request's audit event names the client (``api.views.TokenView``).
            current.api_client = client  # type: ignore[attr-defined]  # read back by the token view
        return bool(live_scopes(client))

    def validate_grant_type(self, client_id: Any, grant_type: Any, client: Any, request: Any, *args: Any,
                            **kwargs: Any) -> bool:
        return grant_type == "client_credentials" and bool(
            super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs))


class ClientAuthentication(OAuth2Authentication):
    """A bearer token of a live client: the request's user is the client's account."""

    www_authenticate_realm = "safeguarding-api"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        # The Django request, not REST framework's: reading the token must never parse the body (which
        # would answer a form post 415 before it is told it needs a token).
        found = super().authenticate(request._request)
        if found is None:
            return None
        token = found[1]
        client = client_of(token.application)
        scopes = live_scopes(client)
        if client is None or not scopes:
            raise exceptions.AuthenticationFailed("This client is revoked, expired or not approved.")
        request._request.api_client = client  # for the views and the trail
        request._request.api_scopes = [s for s in token.scope.split() if s in scopes]
        return client.account, token


class HasScope(BasePermission):
    """The view's ``required_scope`` is on the token and still live for its client."""

    message = "This token does not carry the scope this operation needs."

    def has_permission(self, request: Request, view: Any) -> bool:
        required = getattr(view, "required_scope", None)
        if required is None:
            return True
        return required in getattr(request._request, "api_scopes", ())


class ClientRateThrottle(SimpleRateThrottle):
    """A rate per client (``DEFAULT_THROTTLE_RATES["api_client"]``); unauthenticated calls share one rate per
    address. Counts live in the ``API_RATE_CACHE`` cache, Django's database cache: shared by every worker
    process and server, so N workers still give one rate (not N times it)."""

    scope = "api_client"

    @property
    def cache(self) -> Any:  # REST framework's is the default cache, fixed at import
        return caches[settings.API_RATE_CACHE]

    def get_rate(self) -> str:
        # Read at each call (not once at import, REST framework's default), so a deployment's setting wins.
        rates = cast(dict[str, str], settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
        return rates[self.scope]

    def allow_request(self, request: Request, view: Any) -> bool:
        """REST framework reads a client's recent calls and then writes them back: two calls at once could
        both read the same history and both pass. On PostgreSQL the read and the write happen in one
        transaction holding an advisory lock on the client's key, so calls of one client are counted one at
        a time (other clients never wait). SQLite, the demo's database, keeps the race: there a transaction
        around the read would make the second caller's write fail ("database is locked") instead."""
        key = self.get_cache_key(request, view) if self.rate is not None else None
        alias = router.db_for_write(cast(Any, caches[settings.API_RATE_CACHE]).cache_model_class)
        connection = connections[alias]
        if key is None or connection.vendor != "postgresql":
            return super().allow_request(request, view)
        digest = hashlib.sha256(b"api.rate:" + key.encode()).digest()
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)])
            return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        client = getattr(request._request, "api_client", None)
        ident = client.reference if client is not None else f"address:{getattr(request._request, 'client_address', '')}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
