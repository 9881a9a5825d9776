"""The public side: the pages people read and the data programs read. Public (no login),
read-only, only published data, answered from the snapshot (no database query once warm).

- The status page (`/`), the Incidents Page (`/incidents`, R20) and one incident
  (`/incidents/<id>`): HTML in the visitor's language (the switcher's cookie, else
  Accept-Language), rendered once per snapshot version, address and language, with an ETag (304
  when the browser has it) and `Vary: Accept-Language, Cookie`. The status page reads only the
  snapshot; the Incidents Page and an incident older than the snapshot's lists read their
  published rows (`published.py`, a few indexed queries) when they are first rendered.
- Statuspage's API v2 files, the history feeds and the badge. Exempt from the CSRF check, which
  only guards changes: these views change nothing, and a POST gets 405, not 403.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from statusdesk.core.schemas import error_body
from statusdesk.core.time import to_display
from statusdesk.incidents.models import Component, Severity
from statusdesk.statuspage import feeds, published
from statusdesk.statuspage.pages import (
    component_words,
    incident_from_snapshot,
    snapshot_incident,
    status_page_context,
)
from statusdesk.statuspage.snapshot import (
    API_PATHS,
    CORS_HEADERS,
    PREFLIGHT_HEADERS,
    Snapshot,
    cached_response,
    current_snapshot,
    published_incident,
    to_json,
)

HTML = "text/html; charset=utf-8"
# The pages' bytes depend on the language, which comes from these request headers.
LANGUAGE_VARY = ("Accept-Language", "Cookie")


def render_page(request: HttpRequest, here: str, template: str, context: dict[str, Any]) -> bytes:
    """A public page's bytes in the active language. Nothing in them depends on the reader but the
    language: no CSRF token (the switcher posts to a CSRF-exempt view), no user, no session."""
    common = {
        "page_name": settings.STATUSDESK_PAGE_NAME,
        "page_logo_url": settings.STATUSDESK_PAGE_LOGO_URL,
        "here": here,
    }
    return render_to_string(template, {**common, **context}, request=request).encode()


def _page(request: HttpRequest, key: str, here: str, template: str, context: Any) -> HttpResponse:
    """A page under `key` (its address, normalised) in the request's language. `context` is called
    with the snapshot only when the page is rendered (once per version, key and language)."""
    language = get_language()

    def render(snapshot: Snapshot) -> bytes:
        return render_page(request, here, template, context(snapshot))

    return cached_response(request, f"page:{key}:{language}", render, HTML, LANGUAGE_VARY)


STATUS_PAGE = "statuspage/status_page.html"


def status_page_html(request: HttpRequest, snapshot: Snapshot) -> bytes:
    """The status page (`/`) of `snapshot` in the active language: what the view answers, and what
    export.py writes for nginx to serve."""
    context = {"nav": "status", **status_page_context(snapshot)}
    return render_page(request, request.path, STATUS_PAGE, context)


@csrf_exempt
@require_safe
def status_page(request: HttpRequest) -> HttpResponse:
    """The status page: the overall banner, every component with its 90-day uptime, the active
    incidents with their updates, the last 7 days of resolved ones. The snapshot only."""

    def render(snapshot: Snapshot) -> bytes:
        return status_page_html(request, snapshot)

    return cached_response(request, f"page:/:{get_language()}", render, HTML, LANGUAGE_VARY)


@csrf_exempt
@require_safe
def incident_history(request: HttpRequest) -> HttpResponse:
    """The Incidents Page (R20): every published incident, newest first, grouped by month, a page
    at a time, filtered by component and severity (a GET form; what it could not have sent is
    ignored)."""
    raw_page = request.GET.get("page", "")
    number = int(raw_page) if raw_page.isdigit() and 0 < len(raw_page) < 7 else 1
    severity = request.GET.get("severity", "")
    component = request.GET.get("component", "")
    query = {
        k: v
        for k, v in (
            ("component", component if component.isdigit() and len(component) < 12 else ""),
            ("severity", severity if severity in Severity.values else ""),
            ("page", str(number) if number > 1 else ""),
        )
        if v
    }
    here = request.path + (f"?{urlencode(query)}" if query else "")

    def context(snapshot: Snapshot) -> dict[str, Any]:
        components = list(Component.objects.all())
        filters = published.IncidentFilters.from_query(query, components)
        page = published.incidents_page(filters, number)
        rows = list(page.object_list)
        public = {i.pk: published.as_public(i) for i in rows}
        from statusdesk.postmortems.queries import with_published_postmortem

        return {
            # R20: the list says which incidents have a published postmortem.
            "with_postmortem": with_published_postmortem([i.pk for i in rows]),
            "nav": "incidents",
            "components": components,
            "severities": [(s.value, component_words(s.value)) for s in Severity],
            "filters": filters,
            "page": page,
            "query": query,
            "months": [
                {"first_day": m.first_day, "incidents": [public[i.pk] for i in m.incidents]}
                for m in published.by_month(rows, to_display)
            ],
        }

    return _page(request, here, here, "statuspage/incident_history.html", context)


@csrf_exempt
@require_safe
def incident_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One published incident: its updates (newest first), affected components, workaround and,
    its published postmortem (R12–R20). Never published, or no such
    incident: 404 (the public cannot tell the two apart)."""
    snapshot = current_snapshot()
    recent = snapshot_incident(snapshot, pk)
    if recent is None and not published.published_incidents().filter(pk=pk).exists():
        return _not_found(request)
    path = request.path

    def context(snapshot: Snapshot) -> dict[str, Any]:
        found = snapshot_incident(snapshot, pk)
        if found is not None:
            details = snapshot.details.get(str(pk))
        else:
            older = published_incident(pk)
            if older is None:  # unpublished meanwhile: impossible today, a 404 all the same
                raise Http404("no such incident")
            found, details = older
        incident = incident_from_snapshot(found, details)
        postmortem = details.postmortem if details is not None else None
        return {"nav": "incidents", "incident": incident, "postmortem": postmortem}

    return _page(request, path, path, "statuspage/incident_page.html", context)


def _not_found(request: HttpRequest) -> HttpResponse:
    """404 in the public pages' look (not the console's), in the visitor's language."""
    context = {
        "page_name": settings.STATUSDESK_PAGE_NAME,
        "page_logo_url": settings.STATUSDESK_PAGE_LOGO_URL,
        "here": request.path,
        "nav": "incidents",
    }
    response = HttpResponse(
        render_to_string("statuspage/not_found.html", context, request=request),
        content_type=HTML,
        status=404,
    )
    patch_vary_headers(response, LANGUAGE_VARY)
    return response


# --- the data: Statuspage's API v2, feeds, badge ---------------------------------------------

JSON = "application/json"


@csrf_exempt
@require_http_methods(["GET", "HEAD", "OPTIONS"])
def api_file(request: HttpRequest, name: str) -> HttpResponse:
    """/api/v2/<name>.json, open to every origin (CORS), as Statuspage's."""
    path = f"/api/v2/{name}.json"
    if request.method == "OPTIONS":
        return preflight()

    def render(snapshot: Snapshot) -> bytes:
        return snapshot.documents[path]

    return cached_response(request, path, render, JSON, cors=True)


@csrf_exempt
def api_unknown(request: HttpRequest) -> HttpResponse:
    """A path under /api/v2/ that is not one of Statuspage's files: 404, in the API's error shape,
    naming the files there are."""
    files = ", ".join(API_PATHS)
    detail = f"there is no file at {request.path}; the public files are {files}"
    response = HttpResponse(to_json(error_body(detail)), status=404)
    response["Content-Type"] = JSON
    for name, value in CORS_HEADERS.items():
        response[name] = value
    return response


def preflight() -> HttpResponse:
    response = HttpResponse(status=204)
    del response["Content-Type"]
    for name, value in PREFLIGHT_HEADERS.items():
        response[name] = value
    return response


@csrf_exempt
@require_http_methods(["GET", "HEAD", "OPTIONS"])
def history_atom(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return preflight()
    return cached_response(
        request, "/history.atom", feeds.atom, "application/atom+xml; charset=utf-8", cors=True
    )


@csrf_exempt
@require_http_methods(["GET", "HEAD", "OPTIONS"])
def history_rss(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return preflight()
    return cached_response(
        request, "/history.rss", feeds.rss, "application/rss+xml; charset=utf-8", cors=True
    )


@csrf_exempt
@require_http_methods(["GET", "HEAD", "OPTIONS"])
def badge(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return preflight()
    return cached_response(request, "/badge.svg", feeds.badge, "image/svg+xml", cors=True)
