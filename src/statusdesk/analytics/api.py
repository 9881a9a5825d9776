"""GET /api/v1/analytics: the numbers of the analytics page (thin: check the role, read)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from statusdesk.accounts.api import current_user
from statusdesk.analytics import queries
from statusdesk.analytics.services import require_analytics_reader
from statusdesk.core.schemas import error_responses

router = Router(tags=["analytics"])


@router.get(
    "/analytics",
    response={200: dict[str, Any], **error_responses(401, 403)},
    summary="MTTD, MTTF and MTTR per month and per component (seconds and worded, R15/R16); "
    "incidents by severity, detection and taxonomy term (every term of a tree, and the "
    "principal failure separately)",
)
def analytics(request: HttpRequest) -> dict[str, Any]:
    require_analytics_reader(current_user(request))
    return queries.figures().as_dict()
