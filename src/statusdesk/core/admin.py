from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from statusdesk.core.models import Event, ReactionRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """For history and for what changes only through the process steps."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The audit log: append-only, so nothing here can be added, changed or deleted."""

    list_display = ["at", "kind", "subject", "actor"]
    list_filter = ["kind"]
    search_fields = ["subject", "subjects__key"]
    date_hierarchy = "at"


@admin.register(ReactionRun)
class ReactionRunAdmin(ReadOnlyAdmin):
    """What the committed events still owe: pending, handled and failed reactions."""

    list_display = ["id", "reaction", "event", "attempts", "due_at", "handled_at", "failed_at"]
    list_filter = ["reaction"]
