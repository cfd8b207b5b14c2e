"""The client's address, from the trusted proxy chain only: one helper for throttling, the access trail
and the anomaly rules alike.

Behind ``TRUSTED_PROXY_COUNT`` proxies (each appending the address it received the request from to
``X-Forwarded-For``), the client is the entry that many places from the right: everything further left
was written by the client and can be forged. With no trusted proxy, forwarded headers are ignored and
the address is the socket's peer (``REMOTE_ADDR``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

MAX_LENGTH = 45  # the longest textual IPv6 address (with an embedded IPv4 part)


def client_address(request: Any) -> str:
    """The client's address as far as the trusted proxies vouch for it."""
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    meta = getattr(request, "META", {}) or {}
    if proxies > 0:
        forwarded = [part.strip() for part in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies][:MAX_LENGTH]
    return str(meta.get("REMOTE_ADDR", ""))[:MAX_LENGTH]
