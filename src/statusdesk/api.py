"""The JSON API, /api/v1/ (django-ninja): one NinjaAPI, a router per app."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="statusdesk API",
    version="1",
    description="Incident management: reports, incidents, updates, components.",
    urls_namespace="api",
)
