"""Dependencies run one way (docs/design.md, "Dependencies run one way").

Every module of the project's apps is parsed (not imported), function-level imports
included, and each import is checked against the layers:

- ``portal.lib`` imports no project module but its own;
- ``portal.interactions`` (the log) imports no domain app and not ``portal.insights``;
- only ``portal.insights`` itself imports ``portal.insights`` (it sits on top).

Imports that break a rule today are listed in ``KNOWN_VIOLATIONS`` with the reason. The
list only shrinks: a new violation fails, and so does a listed one that has gone.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("portal", "cms", "accounts", "payments", "forms_engine")
DOMAIN = ("forms_engine", "portal.cases", "payments", "accounts", "cms")
PROJECT = (*APPS[1:], "portal")

KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {
    ("portal.interactions.assisted_admin", "portal.cases.permissions"): (
        "assisted contacts are filtered by the case queue's visibility rule; belongs in contact_centre"
    ),
    ("portal.interactions.assisted_admin", "portal.cases.satisfaction"): (
        "recording a contact also records the caller's satisfaction with a case; belongs in contact_centre"
    ),
    ("portal.interactions.assisted_admin", "portal.cases.services"): (
        "catches CaseError from that satisfaction call; moves with it"
    ),
    ("portal.interactions.assisted_forms", "portal.cases.permissions"): (
        "the contact form checks the case reference against the case queue's rule; belongs in contact_centre"
    ),
    ("portal.interactions.personal_data", "accounts.registry"): (
        "registers the log's part of the data export; the registry could move to portal.lib"
    ),
    ("portal.interactions.wagtail_hooks", "portal.insights.dashboard_hooks"): (
        "portal.insights has no app of its own, so its admin menu and URL are registered here"
    ),
    ("portal.interactions.tasks", "portal.insights.dashboard"): (
        "the nightly rollup task warms the dashboard's cache; moving the task would orphan queued rows"
    ),
    ("portal.interactions.management.commands.interactions_daily", "portal.insights.dashboard"): (
        "the daily command warms the dashboard's cache, like the task"
    ),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth; ``from a import b`` counts as ``a.b``."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module
            found.update(f"{source}.{alias.name}" for alias in node.names)
    return found


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def _importable(name: str) -> str:
    """``cms.models.ServicePage`` → ``cms.models``: the longest prefix that is a module."""
    parts = name.split(".")
    while len(parts) > 1:
        candidate = ROOT.joinpath(*parts)
        if candidate.with_suffix(".py").exists() or (candidate / "__init__.py").exists():
            return ".".join(parts)
        parts.pop()
    return name


def _rule_broken(module: str, imported: str) -> bool:
    if _within(module, ("portal.lib",)):
        return _within(imported, PROJECT) and not _within(imported, ("portal.lib",))
    if _within(imported, ("portal.insights",)) and not _within(module, ("portal.insights",)):
        return True
    if _within(module, ("portal.interactions",)):
        return _within(imported, DOMAIN)
    return False


def _violations() -> set[tuple[str, str]]:
    found = set()
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            module = _module_name(path)
            for imported in _imports(path):
                if _rule_broken(module, imported):
                    found.add((module, _importable(imported)))
    return found


def test_dependencies_run_one_way():
    violations = _violations()
    new = sorted(violations - KNOWN_VIOLATIONS.keys())
    gone = sorted(KNOWN_VIOLATIONS.keys() - violations)
    assert not new, "New imports against the layers (module, imported module):\n" + "\n".join(map(str, new))
    assert not gone, "Fixed: remove these from KNOWN_VIOLATIONS:\n" + "\n".join(map(str, gone))


def test_the_check_sees_function_level_and_relative_imports(tmp_path, monkeypatch):
    source = tmp_path / "portal" / "interactions" / "example.py"
    source.parent.mkdir(parents=True)
    source.write_text(
        "from . import models\n"
        "from ..cases import services\n"
        "def f():\n"
        "    from cms.models import ServicePage\n"
        "    import payments.services\n"
    )
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    imported = _imports(source)
    assert imported == {
        "portal.interactions.models",
        "portal.cases.services",
        "cms.models.ServicePage",
        "payments.services",
    }
    broken = {name for name in imported if _rule_broken("portal.interactions.example", name)}
    assert broken == {"portal.cases.services", "cms.models.ServicePage", "payments.services"}
    assert _rule_broken("portal.lib.money", "accounts.models")
    assert not _rule_broken("portal.lib.money", "portal.lib.csv")
    assert _rule_broken("forms_engine.stats", "portal.insights.measures")
    assert not _rule_broken("portal.insights.measures", "forms_engine.stats")
