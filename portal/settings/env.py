"""The one place settings read the environment.

Every setting that varies between deployments comes through ``env()``, so the
README's table of variables can be checked against a single file.
"""

import os
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_MISSING = object()


def _to_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"expected a boolean, got {value!r}")


def _to_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


_CASTS: dict[type, Callable[[str], Any]] = {bool: _to_bool, list: _to_list, int: int, float: float, str: str}


def env(name: str, default: Any = _MISSING, cast: type = str) -> Any:
    """Read ``name`` from the environment, cast it, or fall back to ``default``.

    With no default the variable is required, and a missing one stops start-up
    with a message naming it.
    """
    raw = os.environ.get(name)
    if raw is None:
        if default is _MISSING:
            raise ImproperlyConfigured(f"Set the {name} environment variable.")
        return default
    try:
        return _CASTS[cast](raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not a valid {cast.__name__}: {exc}") from exc
