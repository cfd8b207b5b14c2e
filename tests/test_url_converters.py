"""Reference converters live in one public place and are registered once, by ``config.urls``; no app reads
another app's URL module to get them."""

from __future__ import annotations

import re
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

from referrals.references import CONVERTERS

ROOT = Path(__file__).resolve().parents[1]
APPS = ["agencies", "audit", "encryption", "referrals", "risk", "dataprotection"]
URLS_IMPORT = re.compile(rf"^\s*(from|import)\s+({'|'.join(APPS)})(\.\w+)*\.urls\b", re.MULTILINE)


def test_no_app_imports_a_url_module():
    offenders = [str(path.relative_to(ROOT)) for app in APPS for path in (ROOT / app).rglob("*.py")
                 if URLS_IMPORT.search(path.read_text())]
    assert offenders == []


def _patterns(resolver: URLResolver):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry)
        elif isinstance(entry, URLPattern):
            yield entry


def test_every_reference_in_a_path_uses_a_shared_converter():
    used = {name for pattern in _patterns(get_resolver())
            for name in re.findall(r"<(\w+_ref):", str(pattern.pattern))}
    assert used and used <= set(CONVERTERS)
