"""The JSON API, /api/v1/ (django-ninja): one NinjaAPI, a router per app.

Every endpoint needs `Authorization: Bearer <token>`. Every refusal has one JSON shape:

    {"detail": "<a sentence>", "field": "<field or null>", "rule": "<R-number or null>",
     "errors": [{"field": ..., "rule": ..., "message": ...}, ...]}

with `rule` explained at /rules/#rN (as the OpenAPI description says) and 400 (body is not JSON),
401 (no or bad token), 403 (role), 404 (unknown id or path), 405 (method), 409 (illegal
transition), 413 (body too large) or 422 (missing field, wrong type, rule violation). Bad input
never answers 500; a fault of the server answers 500 in the same shape, without its details (they
are logged). Answers that Django gives before a request reaches the API (an unknown path under
/api/, a method the path does not take, ...) are put in this shape by
statusdesk.core.middleware.ApiRefusalsMiddleware.
OpenAPI: /api/v1/openapi.json; interactive docs: /api/v1/docs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase
from ninja.parser import Parser
from ninja.types import DictStrAny

from statusdesk.accounts.api import BearerAuth
from statusdesk.accounts.api import router as accounts_router
from statusdesk.analytics.api import router as analytics_router
from statusdesk.core import inputs
from statusdesk.core.errors import ProcessError
from statusdesk.core.schemas import SERVER_FAULT, error_body
from statusdesk.desk.api import router as desk_router
from statusdesk.incidents.api import router as incidents_router
from statusdesk.notifications.api import router as notifications_router
from statusdesk.postmortems.api import router as postmortems_router

logger = logging.getLogger(__name__)


class LoneSurrogate(ValueError):
    """JSON text may spell half of a UTF-16 surrogate pair ("\\ud800"); no UTF-8 text can hold
    it, so neither the database nor an answer could."""

    def __init__(self, field: str, *, in_name: bool = False) -> None:
        self.field = field
        where = f"a field name in {field}" if in_name else field
        super().__init__(
            f"{where} must not contain a lone UTF-16 surrogate (\\ud800-\\udfff without its "
            "pair); send valid Unicode text"
        )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _lone_surrogate(data: Any) -> LoneSurrogate | None:
    """The first text (value or object key) in a parsed body that is not valid Unicode."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:  # depth first, in document order, without recursion
        where, value = stack.pop()
        children: list[tuple[str, Any]] = []
        if isinstance(value, str) and not _encodable(value):
            return LoneSurrogate(where or "body")
        if isinstance(value, dict):
            for key, item in value.items():
                if not _encodable(key):
                    return LoneSurrogate(where or "body", in_name=True)
                children.append((f"{where}[{key}]" if where else key, item))
        elif isinstance(value, list):
            children = [(f"{where}[{i}]", item) for i, item in enumerate(value)]
        stack.extend(reversed(children))
    return None


class JsonParser(Parser):
    """ninja's JSON parser, refusing text that is not valid Unicode (a lone surrogate)."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        data = super().parse_body(request)
        problem = _lone_surrogate(data)
        if problem is not None:
            raise problem
        return data


class VendoredSwagger(DocsBase):
    """The docs page: Swagger UI from the files vendored under static (no CDN, no inline script,
    so the Content-Security-Policy allows it as it is)."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        context = {"api": api, "openapi_url": self.get_openapi_url(api, kwargs)}
        return render(request, "api/docs.html", context)


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
    parser=JsonParser(),
    docs=VendoredSwagger(),
)
api.add_router("/", accounts_router)
api.add_router("/", incidents_router)
api.add_router("/", notifications_router)
api.add_router("/", postmortems_router)
api.add_router("/", analytics_router)
api.add_router("/", desk_router)


def error_response(
    request: HttpRequest,
    detail: str,
    *,
    status: int,
    field: str | None = None,
    rule: str | None = None,
    errors: Sequence[dict[str, Any]] | None = None,
) -> HttpResponse:
    body = error_body(detail, field=field, rule=rule, errors=errors)
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
    source = error.get("loc", ("body",))[0]
    if field == "body" and kind == "missing":
        return "the request needs a JSON object body"
    if field == "body" and kind in {"model_type", "model_attributes_type", "dict_type"}:
        return "the request body must be a JSON object"
    if kind == "missing":
        return f"{field} is required"
    if kind == "extra_forbidden":
        return f"{field} is not a known {'query parameter' if source == 'query' else 'field'}"
    text = str(error.get("msg", "is invalid"))
    # Our own validators word the rest: "at must be after 1970...", "medium must be one of ..."
    if kind in {"value_error", inputs.TOO_LONG, inputs.NOT_A_CHOICE}:
        return f"{field} {text.removeprefix('Value error, ')}"
    return f"{field}: {text[:1].lower()}{text[1:]}"


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Missing fields, wrong types, unknown fields, lengths and choices: 422, each problem naming
    its field, and the process rule behind it where there is one (R3 for a report's medium...)."""
    items = []
    for error in exc.errors:
        field = _field_name(error.get("loc", ("body",)))
        rule = (error.get("ctx") or {}).get("rule")
        items.append({"field": field, "rule": rule, "message": _message(field, error)})
    if not items:  # defensive: ninja always lists at least one
        items.append({"field": None, "rule": None, "message": "the request is invalid"})
    detail = "; ".join(str(item["message"]) for item in items)
    first = items[0]
    return error_response(
        request, detail, status=422, field=first["field"], rule=first["rule"], errors=items
    )


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
    if isinstance(exc.__cause__, LoneSurrogate):
        problem = exc.__cause__
        return error_response(request, str(problem), status=422, field=problem.field)
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


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, f"nothing is found at {request.path}", status=404)


@api.exception_handler(Exception)
def server_fault(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A fault of the server, not of the request: logged with its traceback, answered without
    its details."""
    logger.exception("unexpected error answering %s %s", request.method, request.path)
    return error_response(request, SERVER_FAULT, status=500)
