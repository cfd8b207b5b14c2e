"""Conventions that keep case data behind ``restrict`` (DESIGN.md §5.1)."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps

from agencies.permissions import RestrictedQuerySet

ROOT = Path(__file__).resolve().parents[1]
CASE_APPS = ["referrals", "risk", "dataprotection"]


def _case_models() -> list[str]:
    return [
        model.__name__
        for app in CASE_APPS
        for model in apps.get_app_config(app).get_models()
        if isinstance(model._default_manager.all(), RestrictedQuerySet)
    ]


def test_case_models_use_the_restricted_manager():
    assert {"Subject", "Concern"} <= set(_case_models())


def test_no_view_queries_case_data_without_restrict():
    models = "|".join(_case_models())
    unrestricted = re.compile(rf"\b({models})\.objects\.(?!restrict\()")
    offenders = []
    for app in CASE_APPS:
        for path in (ROOT / app).glob("*views*.py"):
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if unrestricted.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
