"""The public data: Statuspage's API v2 files, the history feeds and the badge. Public (no login),
read-only, answered from the snapshot (no database query once it is built)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from statusdesk.statuspage import feeds
from statusdesk.statuspage.snapshot import API_PATHS, PREFLIGHT_HEADERS, Snapshot, cached_response

JSON = "application/json"


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def api_file(request: HttpRequest, name: str) -> HttpResponse:
    """/api/v2/<name>.json, open to every origin (CORS), as Statuspage's."""
    path = f"/api/v2/{name}.json"
    if path not in API_PATHS:
        raise Http404(f"no such file: {path}")
    if request.method == "OPTIONS":
        return preflight()

    def render(snapshot: Snapshot) -> bytes:
        return snapshot.documents[path]

    return cached_response(request, path, render, JSON, cors=True)


def preflight() -> HttpResponse:
    response = HttpResponse(status=204)
    for name, value in PREFLIGHT_HEADERS.items():
        response[name] = value
    return response


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def history_atom(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return preflight()
    return cached_response(
        request, "/history.atom", feeds.atom, "application/atom+xml; charset=utf-8", cors=True
    )


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def history_rss(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return preflight()
    return cached_response(
        request, "/history.rss", feeds.rss, "application/rss+xml; charset=utf-8", cors=True
    )


@require_http_methods(["GET", "HEAD", "OPTIONS"])
def badge(request: HttpRequest) -> HttpResponse:
    if request.method == "OPTIONS":
        return preflight()
    return cached_response(request, "/badge.svg", feeds.badge, "image/svg+xml", cors=True)
