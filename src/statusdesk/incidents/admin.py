"""Admin: administrators edit components (R6) through the component services, so every change
is an event; reports and incidents are read-only here, since every change to them goes through the
process steps (and the event log)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from statusdesk.core.admin import ReadOnlyAdmin
from statusdesk.incidents import components as component_services
from statusdesk.incidents.models import Component, Incident, IncidentUpdate, Report


class ComponentForm(forms.ModelForm):
    class Meta:
        model = Component
        fields = ["key", "name", "code_name", "description", "position"]

    def clean_name(self) -> str:
        name = str(self.cleaned_data.get("name") or "").strip()
        problem = component_services.name_problem(name, exclude_pk=self.instance.pk)
        if problem:
            raise forms.ValidationError(problem[:1].upper() + problem[1:])
        return name


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    form = ComponentForm
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

    def save_model(self, request: HttpRequest, obj: Component, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            fields = component_services.EDITABLE_FIELDS
            changes = {f: data[f] for f in form.changed_data if f in fields}
            component_services.change_component(
                actor=request.user,  # type: ignore[arg-type]
                component=obj.pk,
                **changes,
            )
            obj.refresh_from_db()
            return
        added = component_services.add_component(
            actor=request.user,  # type: ignore[arg-type]
            key=data.get("key", ""),
            name=data["name"],
            code_name=data.get("code_name", ""),
            description=data.get("description", ""),
            position=data.get("position"),
        )
        obj.pk = added.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A component an incident named is kept (renamed, not erased): its history stays readable.
        if obj is None:
            return super().has_delete_permission(request)
        return component_services.removal_problem(obj) is None and super().has_delete_permission(
            request, obj
        )

    def delete_model(self, request: HttpRequest, obj: Component) -> None:
        component_services.remove_component(actor=request.user, component=obj.pk)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Component]) -> None:
        for component in queryset:
            component_services.remove_component(actor=request.user, component=component.pk)  # type: ignore[arg-type]


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
