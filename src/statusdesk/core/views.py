from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from statusdesk.core.health import health
from statusdesk.core.rules import RULES


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Public: 200 when the database and the queue answer, 503 otherwise."""
    ok, body = health()
    return JsonResponse(body, status=200 if ok else 503)


@require_GET
def rules_page(request: HttpRequest) -> HttpResponse:
    """Public, like docs/rules.md which it mirrors: the process rules, no data. The API's errors
    point here (/rules/#r5), and an API client or a reporter without a console login may follow
    that link."""
    return render(request, "core/rules.html", {"rules": RULES})
