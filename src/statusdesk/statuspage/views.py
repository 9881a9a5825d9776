"""The public pages: the status page (`/`), the Incidents Page (`/incidents`, R20) and one incident
(`/incidents/<id>`). No login; only published data, ever.

Who may see them: everyone. What they show: the snapshot (status page) or the published rows
(`published.py`); never a report, an issue, a draft or a person. Each page is rendered once per
snapshot version, address and language and then served from the cache with an ETag (a 304 when
the browser has it); the language comes from the switcher's cookie or Accept-Language, so the
answers vary on both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from statusdesk.core.time import to_display
from statusdesk.incidents.models import Component, Severity
from statusdesk.statuspage import interim, published
from statusdesk.statuspage.pages import component_words, status_page_context

HTML = "text/html; charset=utf-8"


def _respond(request: HttpRequest, key: str, render: Callable[[], str]) -> HttpResponse:
    """The page under `key` in the request's language. INTERIM: rendered each time; served
    through the snapshot's cache (`cached_response`) once it is merged."""
    response = HttpResponse(render(), content_type=HTML)
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


def _key(request: HttpRequest, name: str) -> str:
    return f"page:{name}:{get_language()}:{request.get_full_path()}"


def _common(request: HttpRequest) -> dict[str, Any]:
    """What every public page shows around its content: the page's name and logo, the language
    switcher (back to this address)."""
    from django.conf import settings

    return {
        "page_name": settings.STATUSDESK_PAGE_NAME,
        "page_logo_url": settings.STATUSDESK_PAGE_LOGO_URL,
        "here": request.get_full_path(),
        "language": get_language(),
    }


@require_safe
def status_page(request: HttpRequest) -> HttpResponse:
    """The status page: the overall banner, every component with its 90-day uptime, the active
    incidents with their updates, the last 7 days of resolved ones."""

    def render() -> str:
        snapshot = interim.status_page_data()
        context = {**_common(request), "nav": "status", **status_page_context(snapshot)}
        return render_to_string("statuspage/status_page.html", context, request=request)

    return _respond(request, _key(request, "status"), render)


@require_safe
def incident_history(request: HttpRequest) -> HttpResponse:
    """The Incidents Page (R20): every published incident, newest first, grouped by month, a page
    at a time, filtered by component and severity."""

    def render() -> str:
        components = list(Component.objects.all())
        filters = published.IncidentFilters.from_query(request.GET, components)
        page = published.incidents_page(filters, request.GET.get("page"))
        incidents = [published.as_public(i) for i in page.object_list]
        months = published.by_month(list(page.object_list), to_display)
        by_id = {i.id: i for i in incidents}
        context = {
            **_common(request),
            "nav": "incidents",
            "components": components,
            "severities": [(s.value, component_words(s.value)) for s in Severity],
            "filters": filters,
            "page": page,
            "months": [
                {"first_day": m.first_day, "incidents": [by_id[str(i.pk)] for i in m.incidents]}
                for m in months
            ],
        }
        return render_to_string("statuspage/incident_history.html", context, request=request)

    return _respond(request, _key(request, "incidents"), render)


@require_safe
def incident_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One published incident: its updates (newest first), affected components and, once the
    postmortems exist (R12–R19), its published postmortem. Unpublished or unknown: 404."""
    incident = published.public_incident(pk)
    if incident is None:
        raise Http404("no such incident")

    def render() -> str:
        assert incident is not None
        context = {
            **_common(request),
            "incident": published.as_public(incident, published.public_updates(incident)),
            "nav": "incidents",
        }
        return render_to_string("statuspage/incident_page.html", context, request=request)

    return _respond(request, _key(request, f"incident:{pk}"), render)
