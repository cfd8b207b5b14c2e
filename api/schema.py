"""How the OpenAPI schema describes the API's authentication: OAuth 2.0 client credentials with scopes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ClientCredentialsScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.ClientAuthentication"
    name = "agencySystem"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "oauth2", "flows": {"clientCredentials": {
            "tokenUrl": "/api/oauth/token/", "scopes": settings.OAUTH2_PROVIDER["SCOPES"]}}}
