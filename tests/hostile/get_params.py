"""Building a GET query string from hostile values (``MISSING`` left out, ``RawBytes`` sent as they are)."""

from __future__ import annotations

from urllib.parse import quote_plus

from tests.hostile.corpus import MISSING, RawBytes


def query(params: dict[str, object]) -> str:
    parts = []
    for name, value in params.items():
        if value is MISSING:
            continue
        for item in value if isinstance(value, list) else [value]:
            raw = item.data if isinstance(item, RawBytes) else str(item).encode()
            parts.append(f"{quote_plus(name)}={quote_plus(raw)}")
    return "&".join(parts)
