"""The dependency rule (DESIGN.md §4.1), checked on the import graph.

Every module of the project belongs to one layer; a module imports only from its own layer or below,
at module level or inside a function alike (an import hidden in a function is still a dependency).
Entry points (views, url confs, forms, admin, management commands, demo data, templatetags) sit on
top: they may call anything below and nothing imports them but other entry points. The layers are
listed bottom to top; the first matching pattern places a module.
"""

from __future__ import annotations

import ast
import fnmatch
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["config", "operations", "encryption", "audit", "agencies", "referrals", "drafts", "risk", "dataprotection",
            "bench", "casework", "notifications", "api", "partnership"]

# (layer, module patterns), bottom to top.
LAYERS: list[tuple[str, list[str]]] = [
    # Helpers that look like entry points by name but are a library for them.
    ("config helpers", ["config.forms"]),
    ("entry points", [
        "config.urls", "config.wsgi", "config.asgi", "bench", "bench.*",
        "*.views", "*.views_*", "*.urls", "*.forms", "*_forms", "*.admin", "*.demo", "*.management.*",
        "*.map.views", "*.map.urls", "*.map.forms", "*.map.demo", "*.templatetags.*",
        "*.context_processors", "agencies.navigation",
    ]),
    ("config helpers", ["config", "config.*"]),
    # Scheduled jobs' registry and runs: Django only, so that every app's commands can record their runs.
    ("operations", ["operations", "operations.*"]),
    ("encryption", ["encryption", "encryption.*"]),
    ("audit", ["audit", "audit.*"]),
    ("agencies", ["agencies", "agencies.*"]),
    # The in-app inbox: above tenancy (it reads memberships), below everything that tells people.
    ("notifications", ["notifications", "notifications.*"]),
    ("case core", ["referrals", "referrals.models", "referrals.choices", "referrals.references",
                   "referrals.apps", "referrals.migrations.*"]),
    # Forms kept as encrypted drafts when the session ended: above the case core (a draft may be about a
    # young person on record), below the use cases whose views keep drafts and whose erasure ends them.
    ("drafts", ["drafts", "drafts.*"]),
    ("risk", ["risk", "risk.*"]),
    ("referral use cases", ["referrals.*"]),
    # Case work after the decision: above the referral use cases it follows on from.
    ("casework", ["casework", "casework.*"]),
    ("data protection", ["dataprotection", "dataprotection.*"]),
    # The API for agency systems: its views and urls are entry points (above).
    ("api", ["api", "api.*"]),
    # Partnership statistics: aggregates read from every layer below, beside data protection.
    ("statistics", ["partnership", "partnership.*"]),
]
# The order the layers are stacked in (the table above lists entry points first only so that their
# patterns win over the app-wide ones).
ORDER = ["config helpers", "operations", "encryption", "audit", "agencies", "notifications", "case core", "drafts",
         "risk", "referral use cases", "casework", "data protection", "api", "statistics", "entry points"]

# Within the risk and map packages, read-only query modules sit below the services that write.
NO_SERVICES_FROM = ["*.queries", "*.map.queries", "*.models", "*.map.models", "*.scoring"]


def layer_of(module: str) -> str:
    for layer, patterns in LAYERS:
        if any(fnmatch.fnmatchcase(module, pattern) for pattern in patterns):
            return layer
    raise AssertionError(f"{module} is in no layer: add it to tests/test_layers.py")


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _imports(path: Path, module: str) -> list[tuple[int, str, bool]]:
    """(line, imported project module, inside a function) for every import in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str, bool]] = []
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join([*anchor, base]) if base else ".".join(anchor)
                # ``from pkg import module`` imports the module when there is one.
                found.extend((child.lineno, f"{base}.{alias.name}", in_function) for alias in child.names)
            visit(child, inner)

    visit(tree, False)
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module an import names (the longest known prefix), or None for third-party code."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _graph() -> dict[str, list[tuple[int, str, bool]]]:
    modules = _modules()
    graph: dict[str, list[tuple[int, str, bool]]] = defaultdict(list)
    for module, path in modules.items():
        for line, name, in_function in _imports(path, module):
            target = _resolve(name, modules)
            if target is not None and target != module:
                graph[module].append((line, target, in_function))
    return graph


def test_every_module_has_a_layer():
    for module in _modules():
        assert layer_of(module) in ORDER


def test_no_module_imports_a_higher_layer():
    upward = []
    for module, imports in _graph().items():
        rank = ORDER.index(layer_of(module))
        for line, target, in_function in imports:
            if ORDER.index(layer_of(target)) > rank:
                where = "inside a function" if in_function else "at module level"
                upward.append(f"{module}:{line} ({layer_of(module)}) imports {target} ({layer_of(target)}) {where}")
    assert upward == []


def test_the_layers_have_no_cycle():
    """The layer graph (and so the app graph, app by layer) is acyclic: implied by the rule above, kept as
    its own statement so a change to ORDER cannot quietly allow one."""
    edges = {(layer_of(module), layer_of(target)) for module, imports in _graph().items() for _l, target, _f in imports}
    for low, high in edges:
        assert ORDER.index(low) >= ORDER.index(high), f"{low} depends on {high}"


def test_queries_and_models_never_import_services():
    offenders = [
        f"{module}:{line} imports {target}"
        for module, imports in _graph().items()
        if any(fnmatch.fnmatchcase(module, pattern) for pattern in NO_SERVICES_FROM)
        for line, target, _in_function in imports
        if ".services" in f".{target}" or target.endswith((".intake", ".routing"))
    ]
    assert offenders == []


# Imports inside functions hide dependencies between apps, so none crosses from one app to another
# except in these places (the reason beside each). Inside one app, a function-level import may break a
# genuine load-order cycle (models → fields → key cache → models); the layer test above still counts it.
FUNCTION_IMPORTS_ALLOWED = {
    # AppConfig.ready() and system checks run once the registry is ready: the Django idiom.
    "*.apps", "*.checks", "config.checks",
    # Settings-time helpers that must not load models while settings are read.
    "config.settings", "config.env",
    # Entry points may defer heavy imports (management commands, the benchmark).
    "bench.*", "*.management.*",
}


def test_no_import_across_apps_inside_a_function_outside_the_allowed_places():
    hidden = [
        f"{module}:{line} imports {target}"
        for module, imports in _graph().items()
        if not any(fnmatch.fnmatchcase(module, pattern) for pattern in FUNCTION_IMPORTS_ALLOWED)
        for line, target, in_function in imports
        if in_function and target.split(".")[0] != module.split(".")[0]
    ]
    assert hidden == []


def test_the_checker_sees_an_upward_import(tmp_path):
    """The checker itself: a planted upward import inside a function is found."""
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from risk.services import assessment\n")
    imports = _imports(planted, "audit.planted")
    assert (2, "risk.services.assessment", True) in imports
    assert ORDER.index(layer_of("risk.services.assessment")) > ORDER.index(layer_of("audit.planted"))
