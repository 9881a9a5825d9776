"""/manage/analytics: the charts (Chart.js, vendored; data in a JSON script element, no inline
code under the CSP) and the tables, and the same numbers as CSV."""

from __future__ import annotations

import csv
import io

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from statusdesk.analytics import queries
from statusdesk.analytics.services import require_analytics_reader
from statusdesk.incidents.views import _user, console_view


@console_view
def analytics_page(request: HttpRequest) -> HttpResponse:
    require_analytics_reader(_user(request))
    data = queries.figures().as_dict()
    return render(request, "analytics/analytics.html", {"data": data})


@console_view
def analytics_csv(request: HttpRequest) -> HttpResponse:
    """One table: a row per figure (section, key, incidents, MTTD/MTTF/MTTR in seconds)."""
    require_analytics_reader(_user(request))
    data = queries.figures().as_dict()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "incidents", "mttd_seconds", "mttf_seconds", "mttr_seconds"])
    for row in data["per_month"]:
        writer.writerow(
            ["month", row["month"], row["incidents"]]
            + [row[k]["seconds"] for k in ("mttd", "mttf", "mttr")]
        )
    for row in data["per_component"]:
        writer.writerow(
            ["component", row["component"], row["incidents"]]
            + [row[k]["seconds"] for k in ("mttd", "mttf", "mttr")]
        )
    for section, key, rows in (
        ("severity", "severity", data["by_severity"]),
        ("detection", "detection", data["by_detection"]),
        ("taxonomy_term", "term", data["by_term"]),
        ("principal_failure", "term", data["by_principal"]),
    ):
        for row in rows:
            writer.writerow([section, row[key], row["incidents"], "", "", ""])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="statusdesk-analytics.csv"'
    return response
