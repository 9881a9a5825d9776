"""The public data: Statuspage's API v2 files, the history feeds and the badge. Public (no login),
read-only, answered from the snapshot (no database query once it is built). Exempt from the CSRF
check, which only guards changes: these views change nothing, and a POST gets 405, not 403."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from statusdesk.core.schemas import error_body
from statusdesk.statuspage import feeds
from statusdesk.statuspage.snapshot import (
    API_PATHS,
    CORS_HEADERS,
    PREFLIGHT_HEADERS,
    Snapshot,
    cached_response,
    to_json,
)

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
