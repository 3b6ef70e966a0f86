"""Dependencies run one way (docs/design.md, "Dependencies run one way").

Every module of the project's apps is parsed (not imported), function-level imports
included, and each import is checked against the layers:

- ``portal.lib`` imports no project module but its own;
- ``portal.interactions`` (the log) imports no domain app, nor the apps on top;
- the domain apps (``accounts``, ``cms``, ``forms_engine``, ``payments``, ``portal.cases``,
  ``portal.notifications``) import each other only through the public modules: ``services``,
  ``selectors``, ``models`` and ``constants``;
- ``portal.insights`` and ``portal.contact_centre`` sit on top: only each app itself imports it.

A second check keeps imports at the top of modules: one inside a function must say why in a
comment (Django's app loading, a cycle at load time).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("portal", "cms", "accounts", "payments", "forms_engine")
DOMAIN = ("forms_engine", "portal.cases", "payments", "accounts", "cms")
PROJECT = (*APPS[1:], "portal")
ON_TOP = ("portal.insights", "portal.contact_centre", "portal.integrations")

# Each domain app, most specific first (portal.cases before portal).
DOMAIN_APPS = ("forms_engine", "portal.cases", "portal.notifications", "payments", "accounts", "cms")
PUBLIC_MODULES = ("services", "selectors", "models", "constants")


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
    for top in ON_TOP:
        if _within(imported, (top,)) and not _within(module, (top,)):
            return True
    if _within(module, ("portal.interactions",)):
        return _within(imported, DOMAIN)
    home = _app_of(module)
    other = _app_of(imported)
    if home and other and home != other:
        # ``forms_engine.services.case_create`` → the module after the app's name: ``services``.
        within_app = _importable(imported)[len(other) + 1 :].split(".")[0]
        return within_app not in PUBLIC_MODULES
    return False


def _app_of(name: str) -> str | None:
    return next((app for app in DOMAIN_APPS if _within(name, (app,))), None)


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
    violations = sorted(_violations())
    assert not violations, "Imports against the layers (module, imported module):\n" + "\n".join(
        map(str, violations)
    )


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
    assert _rule_broken("portal.cases.admin_views", "portal.contact_centre.forms")
    assert _rule_broken("portal.interactions.tasks", "portal.contact_centre.admin_views")
    assert _rule_broken("portal.insights.dashboard", "portal.contact_centre.forms")
    assert _rule_broken("portal.contact_centre.admin_views", "portal.insights.dashboard")
    assert not _rule_broken("portal.contact_centre.admin_views", "portal.contact_centre.forms")
    assert not _rule_broken("portal.contact_centre.admin_views", "portal.cases.services")
    # Between domain apps, only the public modules.
    assert _rule_broken("forms_engine.selectors", "portal.cases.permissions.staff_can_view_case")
    assert not _rule_broken("payments.services.settlement", "portal.cases.services.case_transition")
    assert not _rule_broken("payments.models", "portal.cases.models.Case")
    assert not _rule_broken("portal.cases.selectors", "forms_engine.selectors")
    assert not _rule_broken("portal.cases.admin_views", "portal.cases.permissions")


def _function_level_imports_without_reason() -> list[str]:
    """``path:line`` of every import inside a function with no comment on its line or the line above."""
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            source = path.read_text()
            lines = source.splitlines()
            for function in ast.walk(ast.parse(source, filename=str(path))):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for node in ast.walk(function):
                    if not isinstance(node, ast.Import | ast.ImportFrom):
                        continue
                    line = lines[node.lineno - 1]
                    above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
                    if "#" not in line and not above.startswith("#"):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return sorted(set(found))


def test_function_level_imports_say_why():
    """Imports go at the top of the module; one inside a function says, in a comment, why it must be there."""
    missing = _function_level_imports_without_reason()
    assert not missing, "Function-level imports without a reason comment:\n" + "\n".join(missing)


# Module names (docs/design.md, "Module names"): every app names its modules the same way, so
# a behaviour is found from its URL in two hops. A module that grows becomes a package of the
# same name (``views/``, ``admin_views/``, ``forms/``, ``services/``), free to name its parts
# by concern; only an app's own top-level modules and packages are checked here.
SCHEME_NAMES = frozenset(
    {
        "models", "constants", "services", "selectors", "permissions", "views", "admin_views",
        "forms", "urls", "wagtail_hooks", "tasks", "apps", "personal_data", "demo", "messages",
        "signals", "middleware", "checks", "housekeeping", "blocks", "api", "admin", "migrations",
        "management", "templatetags",
    }
)  # fmt: skip
# Single-concern modules that exist today, each named for its one concern. Keep this list
# short and explicit: a new module takes a scheme name, or joins a package of one, before
# it is added here (with a reason in review).
ALLOWED = {
    "accounts": {
        "adapter", "archive", "audit", "devices", "groups", "mfa", "proxies", "ratelimits", "records",
    },
    "cms": {"api_blocks", "cache", "chrome", "page_cache", "receivers", "statutory"},
    "forms_engine": {"engine", "lifecycle", "schema", "stats"},
    "payments": {"providers", "reconciliation"},
    # The project package: Django's entry points and settings, and the site-wide search backend.
    "portal": {"asgi", "wsgi", "settings", "search_backend"},
    "portal/cases": {"sla"},
    "portal/contact_centre": {"web_activity"},
    "portal/insights": {
        "coverage", "dashboard", "exports", "figures", "measures", "receivers", "report",
        "satisfaction", "targets", "trend",
    },
    # ``status_urls``/``status_views`` are the status API's own URL
    # module and views, outside the scheme for now: to become part of ``urls``/``views``.
    "portal/integrations": {
        "exports", "files", "open311", "openapi", "payloads", "transports", "status_urls", "status_views",
    },
    "portal/interactions": {"buffer", "data", "measures", "receivers", "rollups", "satisfaction", "visitor"},
    "portal/notifications": {"inbound", "providers"},
    "portal/worker": {"heartbeat"},
}  # fmt: skip
# The shared helpers are one concern per module by design; the project's settings are one package.
NOT_APPS = ("portal/lib", "portal/settings", "portal/templatetags", "portal/management")


def _app_dirs() -> list[Path]:
    """Every app package: the top-level apps, and ``portal``'s own apps below it."""
    found = [ROOT / app for app in ("accounts", "cms", "forms_engine", "payments", "portal")]
    for child in sorted((ROOT / "portal").iterdir()):
        relative = child.relative_to(ROOT).as_posix()
        if (child / "apps.py").exists() and relative not in NOT_APPS:
            found.append(child)
    return found


def _name_allowed(app: str, name: str) -> bool:
    return name in SCHEME_NAMES or name in ALLOWED.get(app, set())


def _modules_outside_the_scheme() -> list[str]:
    found = []
    app_dirs = _app_dirs()
    for app_dir in app_dirs:
        app = app_dir.relative_to(ROOT).as_posix()
        for child in sorted(app_dir.iterdir()):
            if child in app_dirs or child.relative_to(ROOT).as_posix() in NOT_APPS:
                continue
            if child.is_dir():
                if not (child / "__init__.py").exists():
                    continue  # static files, templates: not Python
                name = child.name
            elif child.suffix == ".py" and child.name != "__init__.py":
                name = child.stem
            else:
                continue
            if not _name_allowed(app, name):
                found.append(f"{app}/{child.name}")
    return found


def test_module_names_follow_the_scheme():
    outside = _modules_outside_the_scheme()
    assert not outside, (
        "Modules named outside the scheme (docs/design.md, 'Module names'): use a scheme name or a "
        "package of one (views/, admin_views/, forms/), or add a single-concern name to ALLOWED:\n"
        + "\n".join(outside)
    )


def test_the_name_check_refuses_the_old_names():
    assert _name_allowed("accounts", "views") and _name_allowed("portal/cases", "sla")
    for app, name in [
        ("accounts", "proxy_views"),
        ("portal/contact_centre", "call_views"),
        ("portal/contact_centre", "text_forms"),
        ("cms", "alert_views"),
        ("cms", "insights_admin"),
        ("portal/insights", "target_admin"),
        ("portal/cases", "reopen_views"),
    ]:
        assert not _name_allowed(app, name), name
