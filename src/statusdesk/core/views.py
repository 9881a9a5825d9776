from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from statusdesk.core.health import health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Public: 200 when the database and the queue answer, 503 otherwise."""
    ok, body = health()
    return JsonResponse(body, status=200 if ok else 503)
