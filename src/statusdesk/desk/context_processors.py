"""The console's reminder banner (R10): the open incidents whose update is overdue, for their
manager (and, once escalated, for the desk). Lazy: only the console's base template asks."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def reminders(request: HttpRequest) -> dict[str, Any]:
    def overdue() -> list[Any]:
        from statusdesk.desk.services import overdue_for

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return []
        return list(overdue_for(user)[:5])  # type: ignore[arg-type]

    return {"desk_overdue": overdue}
