"""The dashboard's CSV: every figure with its numerator, denominator and unit (formula-safe)."""

from django.http import HttpResponse

from portal.interactions.models import LgslService
from portal.lib import csv as safe_csv

from .figures import (
    Figure,
)
from .measures import Measures
from .satisfaction import satisfaction_csv_rows


def csv_rows(measures: Measures, data: dict, service: LgslService | None) -> list[list]:
    rows = [
        ["Period start", measures.start.isoformat(), "", "", "date"],
        ["Period end", measures.end.isoformat(), "", "", "date"],
        ["Service", str(service) if service else "All services", "", "", "LGSL"],
    ]
    h = data["headline"]
    rows.append(h["avoidable"].csv_row())
    rows += [f.csv_row() for f in data["categories"]]
    rows += [f.csv_row() for f in data["by_channel"]]
    rows.append(h["fcr"].csv_row())
    rows.append(h["failed_web"].csv_row())
    rows.append(data["coverage_figure"].csv_row())
    rows += [f.csv_row() for f in data["signals"]]
    rows.append(data["contact_after_failure"].csv_row())
    rows.append(h["digital"].csv_row())
    rows.append(Figure("Transactions: all channels", data["transactions_total"], unit="count").csv_row())
    rows += [f.csv_row() for f in data["transactions_by_channel"]]
    rows += [f.csv_row() for f in data["message_figures"]]
    rows.append(h["completion"].csv_row())
    rows += [r["figure"].csv_row() for r in data["funnel"]]
    rows.append(h["repeat"].csv_row())
    for team in data["teams"]:
        rows += [team["avoidable"].csv_row(), team["repeat"].csv_row(), team["fcr"].csv_row()]
    for cost in data["costs"]:
        rows.append(cost["unit"].csv_row())
        rows.append(cost["total"].csv_row())
    rows.append(data["total_cost"].csv_row())
    rows.append(data["average_cost"].csv_row())
    rows += [f.csv_row() for f in data["traffic"]]
    if "satisfaction" in data:
        rows += satisfaction_csv_rows(data)
    if "coverage" in data:
        rows += coverage_csv_rows(data["coverage"])
    return rows


def coverage_csv_rows(coverage) -> list[list]:
    """Self-service coverage (KPI51) and the channel-shift backlog, as rows of the CSV."""
    pct = "" if coverage.percent is None else round(coverage.percent, 1)
    portal_pct = "" if coverage.portal_percent is None else round(coverage.portal_percent, 1)
    rows = [
        [
            "Self-service coverage (KPI51): services residents can complete online",
            pct,
            coverage.online_count,
            coverage.denominator,
            "%",
        ],
        [
            "Self-service coverage: online in the portal",
            portal_pct,
            len(coverage.online_portal),
            coverage.denominator,
            "%",
        ],
        ["Services not suitable for online", len(coverage.not_suitable), "", "", "count"],
    ]
    rows += [
        [
            f"Needs a phone call or visit: {item.label} (LGSL {item.code})",
            item.assisted_contacts,
            "",
            "",
            "assisted contacts",
        ]
        for item in coverage.backlog
    ]
    return rows


def csv_response(measures: Measures, data: dict, service: LgslService | None) -> HttpResponse:
    who = f"lgsl-{service.code}" if service else "all-services"
    filename = f"contact-insights_{measures.start.isoformat()}_to_{measures.end.isoformat()}_{who}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so Excel reads the £ signs and dashes as UTF-8
    writer = safe_csv.writer(response)  # form and step names never read as formulas
    writer.writerow(["measure", "value", "numerator", "denominator", "unit"])
    writer.writerows(csv_rows(measures, data, service))
    return response
