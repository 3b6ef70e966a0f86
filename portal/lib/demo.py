"""Demo content that apps on top of the others add to ``load_demo``.

``load_demo`` may not import the apps at the top of the layers (``portal.insights``,
``portal.contact_centre``); each registers its own loader here when it is ready, and
``load_demo`` runs them after the domain apps' demo content, in ``order``.
"""

from collections.abc import Callable

_LOADERS: dict[str, tuple[int, Callable[[], object]]] = {}


def register(name: str, loader: Callable[[], object], *, order: int = 100) -> None:
    _LOADERS[name] = (order, loader)


def loaders() -> list[tuple[str, Callable[[], object]]]:
    return [(name, loader) for name, (_, loader) in sorted(_LOADERS.items(), key=lambda item: item[1][0])]
