"""The JSON API, /api/v1/ (django-ninja): one NinjaAPI, a router per app.

Every endpoint needs `Authorization: Bearer <token>`. Every refusal has one JSON shape:

    {"detail": "<a sentence>", "field": "<field or null>", "rule": "<R-number or null>",
     "errors": [{"field": ..., "rule": ..., "message": ...}, ...]}

with `rule` explained at /rules/#rN (as the OpenAPI description says) and
400 (body is not JSON), 401 (no or bad token), 403 (role), 404 (unknown id), 409 (illegal
transition) or 422 (missing field, wrong type, rule violation). Bad input never answers 500.
OpenAPI: /api/v1/openapi.json; interactive docs: /api/v1/docs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from statusdesk.accounts.api import BearerAuth
from statusdesk.accounts.api import router as accounts_router
from statusdesk.core.errors import ProcessError
from statusdesk.incidents.api import router as incidents_router

api = NinjaAPI(
    title="statusdesk API",
    version="1",
    description=(
        "Incident management: reports, incidents, updates, components. "
        "Authenticate with `Authorization: Bearer <token>` (`statusdesk token create EMAIL`).\n\n"
        "Every refusal answers `{detail, field, rule, errors}`. `rule` names the process rule "
        "behind it (`R1` to `R20`, or null); each rule is explained at `/rules/#rN` on this "
        "server, for example `/rules/#r5` for R5."
    ),
    urls_namespace="api",
    auth=BearerAuth(),
)
api.add_router("/", accounts_router)
api.add_router("/", incidents_router)


def error_response(
    request: HttpRequest,
    detail: str,
    *,
    status: int,
    field: str | None = None,
    rule: str | None = None,
    errors: Sequence[dict[str, Any]] | None = None,
) -> HttpResponse:
    body = {
        "detail": detail,
        "field": field,
        "rule": rule,
        "errors": list(errors) if errors else [{"field": field, "rule": rule, "message": detail}],
    }
    return api.create_response(request, body, status=status)


@api.exception_handler(ProcessError)
def process_error(request: HttpRequest, exc: ProcessError) -> HttpResponse:
    """A refusal by a process step or read path: the rule, the field, the status it carries."""
    return error_response(
        request,
        exc.message,
        status=exc.status_code,
        field=exc.field,
        rule=exc.rule,
        errors=exc.errors,
    )


# --- request validation (ninja / pydantic) -------------------------------------------------


def _field_name(loc: Sequence[Any]) -> str:
    """("body", "payload", "component_ids", 0) -> "component_ids[0]"; ("path", "report_id")
    -> "report_id"; a problem with the body as a whole -> "body"."""
    source, *parts = loc
    if source == "body" and parts and parts[0] == "payload":
        parts = parts[1:]
    if not parts:
        return str(source)
    name = str(parts[0])
    for part in parts[1:]:
        name += f"[{part}]"
    return name


def _message(field: str, error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if field == "body" and kind == "missing":
        return "the request needs a JSON object body"
    if field == "body" and kind in {"model_type", "model_attributes_type", "dict_type"}:
        return "the request body must be a JSON object"
    if kind == "missing":
        return f"{field} is required"
    if kind == "extra_forbidden":
        return f"{field} is not a known field"
    text = str(error.get("msg", "is invalid"))
    if kind == "value_error":  # our own validators word the rest: "at must be after 1970..."
        return f"{field} {text.removeprefix('Value error, ')}"
    return f"{field}: {text[:1].lower()}{text[1:]}"


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Missing fields, wrong types, unknown fields: 422, each problem naming its field."""
    items = []
    for error in exc.errors:
        field = _field_name(error.get("loc", ("body",)))
        items.append({"field": field, "rule": None, "message": _message(field, error)})
    if not items:  # defensive: ninja always lists at least one
        items.append({"field": None, "rule": None, "message": "the request is invalid"})
    detail = "; ".join(str(item["message"]) for item in items)
    return error_response(request, detail, status=422, field=items[0]["field"], errors=items)


# --- transport-level refusals --------------------------------------------------------------


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(
        request,
        "authentication required: send 'Authorization: Bearer <token>' with a valid API token",
        status=401,
        field="Authorization",
    )
    response["WWW-Authenticate"] = 'Bearer realm="statusdesk"'
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja raises HttpError(400) from the JSON parser's error when the body does not parse.
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        return error_response(
            request,
            f"the request body is not valid JSON ({exc.__cause__})",
            status=400,
            field="body",
        )
    return error_response(request, str(exc), status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def request_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(request, "the request body is too large", status=413, field="body")
