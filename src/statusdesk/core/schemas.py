"""The one error shape of the JSON API, shared by every app's router."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ninja import Schema

# What a 500 says: the details of a fault are logged, never answered.
SERVER_FAULT = "the server failed to answer this request; the error was logged"


class ErrorItem(Schema):
    field: str | None
    rule: str | None
    message: str


class ErrorOut(Schema):
    """Every refusal: a sentence, the field and process rule it is about, and every problem."""

    detail: str
    field: str | None = None
    rule: str | None = None
    errors: list[ErrorItem] = []


def error_responses(*codes: int) -> dict[int, type[ErrorOut]]:
    """The error answers an operation documents in OpenAPI."""
    return dict.fromkeys(codes, ErrorOut)


def error_body(
    detail: str,
    *,
    field: str | None = None,
    rule: str | None = None,
    errors: Sequence[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An ErrorOut as a dict; with no `errors`, the one problem is the detail itself."""
    return {
        "detail": detail,
        "field": field,
        "rule": rule,
        "errors": list(errors) if errors else [{"field": field, "rule": rule, "message": detail}],
    }
