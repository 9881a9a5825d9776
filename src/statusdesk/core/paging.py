"""Lists that stay small when the history grows: pages of a list in a stable order.

A list is ordered by a time and the id (`("-confirmed_at", "-id")`: newest first, the id breaking
ties), so every row has one place. Two ways to walk it:

- **Cursor pages** (the API): a page is the `limit` rows after a cursor, and the cursor of the next
  page names the last row's place (its time and id), not an offset. Reading a page costs the same
  at the start of the history as at its end, and a row added meanwhile never shifts a page.
- **Numbered pages** (the console): Django's Paginator, one COUNT and one slice per page, for people
  who want "page 3 of 40" and a last page; a page's ids are read first, off the index alone.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, QueryDict

from statusdesk.core.errors import RuleViolation

T = TypeVar("T", bound=Model)

# The API's page sizes: what a client gets without asking, and the most it may ask for.
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
CURSOR_MAX = 200
# The console's page size.
CONSOLE_PAGE_SIZE = 50


@dataclass
class CursorPage(Generic[T]):
    items: list[T]
    next_cursor: str | None


def _ordering(queryset: QuerySet[T]) -> tuple[str, bool]:
    """The time field of a list ordered by (time, id), both ascending or both descending."""
    order = [str(part) for part in queryset.query.order_by]
    if len(order) != 2 or order[1].lstrip("-") not in {"id", "pk"}:
        raise ValueError(f"a paged list is ordered by (time, id); this one by {order}")
    descending = order[0].startswith("-")
    if descending != order[1].startswith("-"):
        raise ValueError(f"the time and the id of a paged list go the same way, not {order}")
    return order[0].lstrip("-"), descending


def encode_cursor(at: datetime, pk: int) -> str:
    raw = json.dumps([at.isoformat(), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The place a cursor names; a 422 naming `cursor` for anything this API did not give out."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        when = datetime.fromisoformat(at)
        if when.tzinfo is None or isinstance(pk, bool) or not isinstance(pk, int):
            raise ValueError("not a place in a list")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise RuleViolation(
            "cursor is not one this list gave out: pass the `next_cursor` of the previous page "
            "(or follow `next`), or leave it out for the first page",
            field="cursor",
        ) from exc
    return when, pk


def cursor_page(queryset: QuerySet[T], *, limit: int, cursor: str | None) -> CursorPage[T]:
    """The `limit` rows after `cursor` (from the start without one) and the next page's cursor."""
    field, descending = _ordering(queryset)
    if cursor:
        at, pk = decode_cursor(cursor)
        if descending:
            # The redundant `<=` lets the database start its index scan at the cursor.
            after = Q(**{f"{field}__lte": at}) & (
                Q(**{f"{field}__lt": at}) | Q(**{field: at, "pk__lt": pk})
            )
        else:
            after = Q(**{f"{field}__gte": at}) & (
                Q(**{f"{field}__gt": at}) | Q(**{field: at, "pk__gt": pk})
            )
        queryset = queryset.filter(after)
    rows = list(queryset[: limit + 1])
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor(getattr(last, field), last.pk)
    return CursorPage(items=items, next_cursor=next_cursor)


def next_url(path: str, query: QueryDict, cursor: str | None) -> str | None:
    """The address of the next page: this one's, with its filters and the next cursor."""
    if cursor is None:
        return None
    params = query.copy()
    params["cursor"] = cursor
    return f"{path}?{params.urlencode()}"


def api_page(request: HttpRequest, rows: QuerySet[T], *, limit: int, cursor: str | None) -> dict:
    """What an API list answers: one cursor page of `rows`, with the address of the next one."""
    page = cursor_page(rows, limit=limit, cursor=cursor)
    return {
        "items": page.items,
        "next": next_url(request.path, request.GET, page.next_cursor),
        "next_cursor": page.next_cursor,
    }


class IdsFirstPaginator(Paginator):
    """Reads a page's ids first, from the index under the list's order alone, then those rows.

    A page deep in a list skips every row before it: skipped as index entries, that costs a few
    milliseconds at 150,000 rows; skipped as whole rows with their joins (what a plain OFFSET on
    the list's query does), it cost the last page three to six times the first. A page in the
    second half is read from the end of the list, so it skips at most half of it."""

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows: QuerySet[Any] = self.object_list  # type: ignore[assignment]
        if bottom > self.count - top:
            # Nearer the end: read it from the end (the last page costs what the first does).
            backwards = rows.reverse().values_list("pk", flat=True)
            ids = list(backwards[self.count - top : self.count - bottom])[::-1]
        else:
            ids = list(rows.values_list("pk", flat=True)[bottom:top])
        found = {row.pk: row for row in rows.filter(pk__in=ids)}
        return Page([found[pk] for pk in ids if pk in found], number, self)


def numbered_page(queryset: QuerySet[T], number: Any, *, size: int | None = None) -> Page:
    """Page `number` of the list (the last one past the end, the first one for nonsense)."""
    return IdsFirstPaginator(queryset, size or CONSOLE_PAGE_SIZE).get_page(number)
