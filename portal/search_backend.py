"""Wagtail's database search backend, with search words that SQLite's full-text engine can parse.

On SQLite, Wagtail's backend hands a plain query string to FTS5, whose query syntax gives
quotes, brackets, ``*``, ``^``, ``:`` and ``+`` a meaning: a search in an admin chooser for
``'"><`` is a syntax error, and the page a 500. Plain-string searches here keep only the words
(letters, digits, ``-``, ``_``, ``@``, ``.``); searches built from query objects (the site search)
are passed on as they are. PostgreSQL and MySQL parse their queries safely and get Wagtail's
backend unchanged.
"""

import re
from typing import Any

from django.db import connection

from wagtail.search.backends.database import SearchBackend as _database_backend

_NOT_A_WORD = re.compile(r"[^\w\s@.\-]+")


def _words(query: Any) -> Any:
    if isinstance(query, str):
        return " ".join(_NOT_A_WORD.sub(" ", query).split())
    return query


def SearchBackend(params: dict) -> Any:  # the name Wagtail imports
    backend = _database_backend(params)
    if connection.vendor != "sqlite":
        return backend

    class WordsOnly(type(backend)):  # type: ignore[misc]
        def search(self, query: Any, model_or_queryset: Any, *args: Any, **kwargs: Any) -> Any:
            return super().search(_words(query), model_or_queryset, *args, **kwargs)

        def autocomplete(self, query: Any, model_or_queryset: Any, *args: Any, **kwargs: Any) -> Any:
            return super().autocomplete(_words(query), model_or_queryset, *args, **kwargs)

    backend.__class__ = WordsOnly
    return backend
