"""Admin: administrators edit components (R6); reports and incidents are read-only here, since
every change to them goes through the process steps (and the event log)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from statusdesk.core.admin import ReadOnlyAdmin
from statusdesk.incidents.models import Component, Incident, IncidentUpdate, Report


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ["name", "code_name", "key", "position", "status", "status_changed_at"]
    list_editable = ["position"]
    search_fields = ["name", "code_name"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # A status changes only through incidents, so that every change is in the event log;
        # the key is how seeding recognises a component, so it stays once chosen.
        fixed = ["status", "status_changed_at"]
        return [*fixed, "key"] if obj is not None else fixed

    def get_prepopulated_fields(self, request: HttpRequest, obj: Any = None) -> dict[str, Any]:
        return {} if obj is not None else {"key": ("name",)}

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A component with history or incidents is kept; it can be renamed, not erased.
        if obj is None:
            return True
        return not obj.events.exists() and not obj.affected_by.exists()


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
