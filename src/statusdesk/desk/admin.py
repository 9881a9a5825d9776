"""Admin: administrators add and remove the desk's standing members through the desk's services
(R7: never fewer than four, each change an event). Temporary members come and go with the
assignments (R8, R9); threads and messages are read-only here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from statusdesk.accounts.models import User
from statusdesk.core.errors import ProcessError
from statusdesk.desk import services
from statusdesk.desk.models import WHY_MAX, Membership, MembershipKind


class StandingMemberForm(forms.ModelForm):
    user = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True).order_by("email"))
    why = forms.CharField(max_length=WHY_MAX, help_text="Why this person joins the desk.")

    class Meta:
        model = Membership
        fields = ["user", "why"]

    def clean_user(self) -> User:
        user: User = self.cleaned_data["user"]
        if services.standing_members().filter(user=user).exists():
            raise forms.ValidationError(f"{user.email} is already a standing member.")
        return user


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = StandingMemberForm
    list_display = ["user", "kind", "incident", "since", "why"]
    list_filter = ["kind"]
    actions = None

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Listing is allowed; a membership is added or removed, never edited.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.kind == MembershipKind.TEMPORARY:
            return False  # leaves with the resolution (R9)
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        created = services.add_standing_member(
            actor=request.user,  # type: ignore[arg-type]
            user=form.cleaned_data["user"],
            why=form.cleaned_data["why"],
        )
        obj.pk = created.pk

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        membership = Membership.objects.filter(pk=object_id).select_related("user").first()
        back = HttpResponseRedirect(reverse("admin:desk_membership_changelist"))
        if membership is not None and membership.kind == MembershipKind.STANDING:
            problem = services.removal_problem(membership.user)
            if problem:
                self.message_user(request, problem[:1].upper() + problem[1:], messages.ERROR)
                return back
        try:
            return super().delete_view(request, object_id, extra_context)
        except _Refused:
            return back

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        try:
            services.remove_standing_member(
                actor=request.user,  # type: ignore[arg-type]
                user=obj.user,
                why=f"removed in the admin by {request.user}",
            )
        except ProcessError as exc:
            self.message_user(request, exc.message[:1].upper() + exc.message[1:], messages.ERROR)
            raise _Refused from exc

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset:
            self.delete_model(request, membership)


class _Refused(Exception):
    pass
