"""Signing in and out of the console (e-mail and password)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from statusdesk.accounts.throttling import minutes_until_retry


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form, labelled for e-mail sign-in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "E-mail"
        self.fields["username"].widget = forms.EmailInput(
            attrs={"autofocus": True, "autocomplete": "email", "required": True}
        )
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class ConsoleLoginView(LoginView):
    """Public: the only page of the console that needs no login."""

    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


class ConsoleLogoutView(LogoutView):
    """POST only (Django's rule); back to the login page."""

    http_method_names = ["post", "options"]


def signin_cooling_off(request: HttpRequest, *args: Any) -> HttpResponse:
    """The sign-in page, when the account or the address has failed too often (429): it says how
    long to wait (django-axes calls this; its arguments vary by version and are not needed)."""
    form = EmailAuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    context = {
        "form": form,
        "next": request.POST.get("next", ""),
        "retry_minutes": minutes_until_retry(request),
    }
    return render(request, "accounts/login.html", context, status=429)
