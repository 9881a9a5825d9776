"""The one error shape of the JSON API, shared by every app's router."""

from __future__ import annotations

from ninja import Schema


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
