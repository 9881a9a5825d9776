"""Administrators keep the taxonomy (R19): add terms, edit definitions, retire terms. A term is
never deleted (postmortems keep the terms they used); retiring hides it from new ones."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from statusdesk.postmortems.models import TaxonomyTerm


@admin.register(TaxonomyTerm)
class TaxonomyTermAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "retired", "definition")
    list_filter = ("retired",)
    search_fields = ("name", "definition")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("name",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
