"""Conventions that keep case data behind ``restrict`` (DESIGN.md §5.1, §5.3)."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.db import models
from guardian.models.models import BaseObjectPermission

from agencies.permissions import RestrictedQuerySet

ROOT = Path(__file__).resolve().parents[1]
CASE_APPS = ["referrals", "risk", "dataprotection", "drafts", "casework"]

# Models of the case apps that hold no case data, each with the reason. Everything else in these apps
# must be restricted (or be one of the kinds handled below: history rows, grants, m2m tables).
NO_CASE_DATA: dict[str, str] = {
    # The published indicator catalogue: labels and hints of signs, the same for every girl.
    "risk.CatalogueVersion": "catalogue data",
    # A sign one can record (code, label, kind); which girl it was seen in is on the concern.
    "risk.Indicator": "catalogue data",
    # Weights, thresholds and review cadences of a scoring-model version: configuration, no subject.
    "risk.ScoringModel": "catalogue data",
    # Pathways and the rules that recommend them, per catalogue version: configuration, no subject.
    "risk.PathwayCatalogue": "catalogue data",
}


def _label(model: type[models.Model]) -> str:
    return model._meta.label


def _is_restricted(model: type[models.Model]) -> bool:
    """Its default manager is a ``RestrictedQuerySet`` and the model itself says who sees what."""
    return isinstance(model._default_manager.all(), RestrictedQuerySet) and callable(
        getattr(model, "access_rule", None))


def _history_of(model: type[models.Model]) -> type[models.Model] | None:
    """The tracked model of a django-simple-history model (its rows copy the tracked rows)."""
    return getattr(model, "instance_type", None) if model.__name__.startswith("Historical") else None


def _all_case_models() -> list[type[models.Model]]:
    return [model for app in CASE_APPS for model in apps.get_app_config(app).get_models(include_auto_created=True)]


def _restricted_models() -> list[type[models.Model]]:
    return [model for model in _all_case_models() if _is_restricted(model)]


def test_case_models_use_the_restricted_manager():
    assert {"Subject", "Concern"} <= {model.__name__ for model in _restricted_models()}


def test_every_case_model_is_restricted_or_holds_no_case_data():
    """Every model of the case apps: restricted (manager and access rule), or on the commented allow-list
    of models that hold no case data. History rows, guardian's grants and many-to-many tables are case
    data of the model they belong to and are handled explicitly below."""
    offenders = []
    for model in _all_case_models():
        label = _label(model)
        tracked = _history_of(model)
        if tracked is not None:
            # A history row copies its tracked row: the tracked model must be restricted, and its history
            # is read only through a restricted instance (``entry.history``; see the views test).
            if not _is_restricted(tracked) and _label(tracked) not in NO_CASE_DATA:
                offenders.append(f"{label}: the history of an unrestricted model")
        elif model._meta.auto_created:
            # A many-to-many table (``Concern.indicators``): read through its restricted owner only.
            owner = model._meta.auto_created
            if not _is_restricted(owner):
                offenders.append(f"{label}: the m2m table of an unrestricted model")
        elif issubclass(model, BaseObjectPermission):
            # A guardian grant (a share) says who was given which girl, and why: case data in itself.
            if not _is_restricted(model):
                offenders.append(f"{label}: a guardian grant without an access rule")
        elif label in NO_CASE_DATA:
            if _is_restricted(model):
                offenders.append(f"{label}: restricted, so take it off the allow-list")
        elif not _is_restricted(model):
            offenders.append(f"{label}: holds case data? give it RestrictedQuerySet.as_manager() and "
                             "access_rule(membership, action), or allow-list it with the reason")
    assert offenders == []


def test_the_allow_list_names_real_models():
    labels = {_label(model) for model in _all_case_models()}
    assert set(NO_CASE_DATA) <= labels
    assert all(reason.strip() for reason in NO_CASE_DATA.values())


def test_the_kinds_handled_explicitly_are_found():
    """The test above would pass vacuously if these were not recognised."""
    kinds = {_label(m) for m in _all_case_models() if _history_of(m) is not None}
    assert {"referrals.HistoricalSubject", "risk.HistoricalRegisterEntry", "risk.HistoricalLink"} <= kinds
    assert "referrals.SubjectShare" in {_label(m) for m in _all_case_models() if issubclass(m, BaseObjectPermission)}
    assert any(m._meta.auto_created for m in _all_case_models())


# --- Views ----------------------------------------------------------------------------------------------

def _is_project_app(path: Path) -> bool:
    """An app of this project (not a library, not the test suite's own apps)."""
    return ROOT in path.parents and not {".venv", "tests"} & set(path.relative_to(ROOT).parts)


def _views_modules() -> list[Path]:
    """Every views module of the project's apps: ``views.py``, ``views_*.py`` and anything in a ``views``
    package, in subpackages too (``risk/map/views.py``)."""
    found = []
    for app in apps.get_app_configs():
        path = Path(app.path)
        if not _is_project_app(path):
            continue
        for module in path.rglob("*.py"):
            parts = module.relative_to(path).parts
            if "migrations" not in parts and any(part.startswith("views") for part in parts):
                found.append(module)
    return sorted(set(found))


def _reverse_accessors(restricted: list[type[models.Model]]) -> set[str]:
    """Reverse relation names that reach rows of restricted models from another object
    (``referral.transitions``, ``entry.reviews``, ``subject.risk``), bypassing ``restrict``."""
    names = set()
    for model in restricted:
        for field in model._meta.concrete_fields:
            if field.is_relation and not field.remote_field.hidden:
                names.add(field.remote_field.get_accessor_name())
    # A one-to-one reverse read as a value (``subject.data_key.subject``) cannot be told from a forward
    # foreign key of the same name; forward ``.subject`` is everywhere and always allowed.
    return names - {"subject", "associate"}


QUERYSET_CALL = (r"(?:all|filter|exclude|get|first|last|select_related|prefetch_related|order_by|values|"
                 r"values_list|count|exists|annotate|aggregate|iterator|in_bulk|only|defer|distinct)\(")


def _unrestricted_patterns() -> list[re.Pattern[str]]:
    restricted = _restricted_models()
    names = "|".join(sorted({model.__name__ for model in restricted if _history_of(model) is None}))
    accessors = "|".join(sorted(_reverse_accessors(restricted)))
    return [
        # ``Model.objects.<anything but restrict>``, also across a line break.
        re.compile(rf"\b({names})\s*\.\s*objects\s*\.\s*(?!restrict\()"),
        # Managers that never restrict, and history read for the whole model rather than one row.
        re.compile(rf"\b({names})\s*\.\s*(_base_manager|_default_manager|history)\b"),
        # Django's shortcuts given the model itself use its unrestricted default manager.
        re.compile(rf"\bget_(?:object|list)_or_404\(\s*({names})\s*[,)]"),
        # Reverse relations from an object the view holds: ``referral.transitions.all()``.
        re.compile(rf"\w\s*\.\s*({accessors})\s*\.\s*{QUERYSET_CALL}"),
        # One-to-one reverses read as a value: ``subject.risk``, ``subject.register_entry``.
        re.compile(r"\w\.(risk|register_entry)\b(?!\s*=)"),
    ]


def _offences(text: str, patterns: list[re.Pattern[str]]) -> list[tuple[int, str]]:
    found = []
    for pattern in patterns:
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append((line, text.splitlines()[line - 1].strip()))
    return sorted(set(found))


def test_views_modules_are_all_found():
    modules = {str(path.relative_to(ROOT)) for path in _views_modules()}
    assert {"referrals/views.py", "referrals/views_referrals.py", "risk/views.py", "risk/map/views.py",
            "dataprotection/views.py", "audit/views.py"} <= modules


def test_the_scan_catches_each_way_round_restrict():
    patterns = _unrestricted_patterns()
    for bad in ["RegisterEntry.objects.filter(subject=s)", "SubjectRisk.objects\n    .filter(subject=s)",
                "ReferralTransition._base_manager.all()", "RegisterEntry.history.filter(id=1)",
                "get_object_or_404(BreakGlassGrant, reference=r)", "referral.transitions.select_related('a')",
                "entry.reviews.all()", "subject.assessments.order_by('id')", "x = subject.risk",
                "Assessment.objects.all()", "SubjectShare.objects.active()"]:
        assert _offences(bad, patterns), bad
    for good in ["RegisterEntry.objects.restrict(request.user, 'view')",
                 "SubjectRisk.objects.restrict(\n request.user, 'level')", "entry.history.select_related('a')",
                 "from risk import queries", "Indicator.objects.filter(code__in=codes)"]:
        assert not _offences(good, patterns), good


def test_no_view_queries_case_data_without_restrict():
    patterns = _unrestricted_patterns()
    offenders = [f"{path.relative_to(ROOT)}:{line}: {text}"
                 for path in _views_modules() for line, text in _offences(path.read_text(), patterns)]
    assert offenders == []



# --- Services name their audit events (DESIGN.md §5.3) ------------------------------------------------
# The modules that hold business actions above the trail (the encryption app sits below it and records
# nothing itself: its callers' events cover its key operations).
SERVICE_MODULES = [
    "agencies.services", "audit.services", "dataprotection.services", "drafts.services", "referrals.intake",
    "referrals.rights", "referrals.boroughs", "referrals.routing", "referrals.services", "referrals.transfers",
    "risk.services.assessment",
    "risk.services.decisions",
    "risk.services.pathways", "risk.services.register",
    "risk.map.services",
    "casework.services",
    "api.services",
    "partnership.services",
]


# The in-app inbox: its rows are the recipient's own, restricted like case data.
CASE_APPS += ["notifications"]
SERVICE_MODULES += ["notifications.services"]
SERVICE_APPS = ["notifications"]


def _service_modules_found() -> set[str]:
    apps_dirs = ["agencies", "audit", "dataprotection", "drafts", "referrals", "risk", "casework", "api", "partnership",
                 *SERVICE_APPS]
    found = set()
    for app in apps_dirs:
        for path in Path(app).rglob("*.py"):
            text = path.read_text()
            if "migrations" in path.parts:
                continue
            if re.search(r"^def do_", text, re.M):
                found.add(".".join(path.with_suffix("").parts))
    return found


def test_every_module_with_business_actions_is_listed():
    assert _service_modules_found() == set(SERVICE_MODULES)


def test_every_business_action_is_marked_so_its_events_name_it():
    import importlib
    import inspect

    unmarked = []
    for name in SERVICE_MODULES:
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            is_service = attr.startswith("do_") and inspect.isfunction(value) and value.__module__ == name
            if is_service and getattr(value, "audit_service", None) != attr:
                unmarked.append(f"{name}.{attr}")
    assert unmarked == []
