from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from statusdesk.accounts.models import ApiToken, User


def _desk_problem(user: User, *, deleting: bool) -> str | None:
    """R7 (the Incident Desk keeps four active standing members), asked of the desk's services:
    accounts does not know the desk otherwise."""
    from statusdesk.desk.services import account_closing_problem, standing_members

    problem = account_closing_problem(user, deleting=deleting)
    if problem is None and deleting and standing_members().filter(user=user).exists():
        problem = (
            f"{user.email} is a standing member of the Incident Desk: remove them from the desk "
            "first (Incident Desk, Members), or deactivate the account instead."
        )
    return problem


class AccountChangeForm(UserChangeForm):  # type: ignore[type-arg]
    def clean_is_active(self) -> bool:
        active = bool(self.cleaned_data.get("is_active"))
        if not active and self.instance.pk is not None and self.instance.is_active:
            problem = _desk_problem(self.instance, deleting=False)
            if problem:
                raise forms.ValidationError(f"{problem[:1].upper()}{problem[1:]} (R7)")
        return active


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = AccountChangeForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_superuser"]
    list_filter = ["groups", "is_active", "is_superuser"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name",)}),
        ("Roles", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        user = User.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        problem = _desk_problem(user, deleting=True) if user is not None else None
        if user is not None and problem:
            self.message_user(request, f"{problem[:1].upper()}{problem[1:]} (R7)", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[user.pk]))
        return super().delete_view(request, object_id, extra_context)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `statusdesk token create`; here they can be seen and revoked."""

    list_display = ["key_prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "key_prefix", "key_hash", "created_at", "last_used_at"]
    fields = ["user", "name", "key_prefix", "created_at", "last_used_at", "revoked_at"]

    def has_add_permission(self, request: object) -> bool:
        return False
