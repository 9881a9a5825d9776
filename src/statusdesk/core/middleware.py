"""Middleware of statusdesk's own."""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.locale import LocaleMiddleware

from statusdesk.core.schemas import SERVER_FAULT, error_body

API_PREFIX = "/api/"


class ApiRefusalsMiddleware:
    """Every refusal under /api/ is JSON in the API's error shape.

    The API's own handlers already answer that way; this turns the answers that Django gives before
    a request reaches them (an unknown path, a method the path does not take, a server fault outside
    the API's code, a bad Host header) into the same shape, so an API client never has to parse an
    HTML page. A fault's details are never in the answer: Django has logged them with the traceback.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path_info.startswith(API_PREFIX)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        return self.refusal(request, response)

    @staticmethod
    def refusal(request: HttpRequest, original: HttpResponseBase) -> HttpResponse:
        status = original.status_code
        field = None
        if status == 404:
            detail = f"there is no API endpoint at {request.path}; see /api/v1/docs"
        elif status == 405:
            detail = (
                f"{request.method} is not allowed on {request.path}; "
                f"it answers {original.get('Allow', 'no method')}"
            )
            field = "method"
        elif status >= 500:
            detail = SERVER_FAULT
        else:
            try:
                detail = HTTPStatus(status).phrase.lower()
            except ValueError:
                detail = "the request was refused"
        response = HttpResponse(
            json.dumps(error_body(detail, field=field)),
            status=status,
            content_type="application/json; charset=utf-8",
        )
        for header in ("Allow", "WWW-Authenticate", "Retry-After"):
            if header in original:
                response[header] = original[header]
        return response


class PageLanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (the language from the switcher's cookie, else Accept-Language,
    else English), except that only HTML pages say they vary on the language.

    Django adds `Vary: Accept-Language` and `Content-Language` to every answer. The JSON files,
    feeds and badge are the same in every language: a Vary on them would split every cache in
    front of them (the snapshot's fast path included) by each browser's list of languages."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)  # type: ignore[no-any-return]
