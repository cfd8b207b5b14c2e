"""Encryption at rest: keyring, envelope encryption, encrypted fields, blind indexes, crypto-shredding.

``ERASED`` is what an encrypted field reads as once its owner's data key has been shredded, so that
pages can say "Erased" instead of failing.
"""

from __future__ import annotations

from typing import Any


class _Erased:
    """The value of every encrypted field whose data key has been destroyed (crypto-shredded)."""

    _instance: _Erased | None = None

    def __new__(cls) -> _Erased:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return "Erased"

    def __repr__(self) -> str:
        return "ERASED"

    def __reduce__(self) -> Any:
        # Pickling (the cache, sessions) must give back the singleton, so ``is ERASED`` keeps working.
        return (_Erased, ())

    def __copy__(self) -> _Erased:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Erased:
        return self


ERASED = _Erased()

__all__ = ["ERASED"]
