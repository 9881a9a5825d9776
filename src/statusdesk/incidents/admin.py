"""Admin: administrators edit components (R6); reports and incidents are read-only here, since
every change to them goes through the process steps (and the event log)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from statusdesk.incidents.models import Component, Incident, IncidentUpdate, Report


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ["name", "code_name", "position", "status", "status_changed_at"]
    list_editable = ["position"]
    # A status changes only through incidents, so that every change is in the event log.
    readonly_fields = ["status", "status_changed_at"]
    search_fields = ["name", "code_name"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A component with history is kept; it can be renamed, not erased.
        return obj is None or not obj.events.exists()


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["id", "title", "reporter", "medium", "detection", "users_affected", "status"]
    list_filter = ["status", "medium", "detection"]
    search_fields = ["title", "reporter"]


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["id", "title", "status", "severity", "developer", "confirmed_at"]
    list_filter = ["status", "severity"]


@admin.register(IncidentUpdate)
class IncidentUpdateAdmin(ReadOnlyAdmin):
    list_display = ["incident", "kind", "status", "at"]
