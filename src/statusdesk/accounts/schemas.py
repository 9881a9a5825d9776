"""The JSON shapes of the accounts API."""

from __future__ import annotations

from ninja import Schema


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    roles: list[str]
