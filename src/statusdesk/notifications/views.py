"""The subscriber's pages (subscribe, confirm, preferences, unsubscribe: public, reached from
e-mails through signed links) and the administrator's failed-deliveries page. Each parses its
input, calls one service and renders what it returns or raises."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt

from statusdesk.accounts.models import User
from statusdesk.accounts.throttling import client_address
from statusdesk.core.errors import ProcessError, RuleViolation
from statusdesk.core.paging import numbered_page
from statusdesk.incidents.limits import ID_MAX
from statusdesk.incidents.models import Component
from statusdesk.incidents.views import console_view, error_page
from statusdesk.notifications import services
from statusdesk.notifications.models import Subscriber


def _component_ids(request: HttpRequest) -> list[Any]:
    if request.POST.get("scope", "all") == "all":
        return []
    ids: list[Any] = []
    for value in request.POST.getlist("component_ids"):
        ids.append(int(value) if value.isdigit() else value)
    return ids


def _public(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """A page in the public status page's frame (statuspage/base.html)."""
    frame = {
        "page_name": settings.STATUSDESK_PAGE_NAME,
        "page_logo_url": settings.STATUSDESK_PAGE_LOGO_URL,
        "here": request.path,
    }
    return render(request, template, {**frame, **context}, status=status)


# The form is also on the status page, which is cached and the same for everyone, so it carries
# no CSRF token: subscribing only sends a confirmation link, and is rate-limited per address.
@csrf_exempt
def subscribe(request: HttpRequest) -> HttpResponse:
    """The subscribe form: e-mail, or a webhook with the e-mail that confirms it; all or some
    components. The same answer whether or not the address was subscribed already."""
    context: dict[str, Any] = {"components": Component.objects.all(), "values": request.POST}
    status = 200
    if request.method == "POST":
        try:
            services.subscribe(
                email=request.POST.get("email", ""),
                webhook_url=request.POST.get("webhook_url", "") or None,
                component_ids=_component_ids(request),
                client_address=client_address(request),
            )
            return _public(request, "notifications/subscribe_done.html", context)
        except RuleViolation as exc:
            context["problem"] = exc
            status = exc.status_code
    return _public(request, "notifications/subscribe.html", context, status=status)


def _subscriber_page(view: Any) -> Any:
    def wrapper(request: HttpRequest, token: str) -> HttpResponse:
        try:
            return view(request, token)  # type: ignore[no-any-return]
        except ProcessError as exc:
            return error_page(request, exc, exc.status_code)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@_subscriber_page
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links); POST confirms."""
    if request.method == "POST":
        subscriber = services.confirm(token)
        return _public(
            request,
            "notifications/confirmed.html",
            {"subscriber": subscriber, "manage_url": services.manage_url(subscriber)},
        )
    services.subscriber_for(token, services.Purpose.CONFIRM)
    return _public(request, "notifications/confirm.html", {})


@_subscriber_page
def manage(request: HttpRequest, token: str) -> HttpResponse:
    subscriber: Subscriber = services.subscriber_for(token, services.Purpose.MANAGE)
    if request.method == "POST":
        subscriber = services.change_preferences(token, component_ids=_component_ids(request))
        messages.success(request, "Your preferences are saved.")
        return redirect(request.path)
    chosen = set(subscriber.components.values_list("pk", flat=True))
    return _public(
        request,
        "notifications/manage.html",
        {
            "subscriber": subscriber,
            "components": Component.objects.all(),
            "chosen": chosen,
            "unsubscribe_url": services.unsubscribe_url(subscriber),
        },
    )


@csrf_exempt  # RFC 8058: mail programs POST "List-Unsubscribe=One-Click" without a session
@_subscriber_page
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; POST (the button, or a mail program's one-click) unsubscribes."""
    if request.method == "POST":
        services.unsubscribe(token)
        return _public(request, "notifications/unsubscribed.html", {})
    services.subscriber_for(token, services.Purpose.UNSUBSCRIBE)
    return _public(request, "notifications/unsubscribe.html", {})


@console_view
def failed_deliveries(request: HttpRequest) -> HttpResponse:
    """Administrators: the dead-lettered deliveries, with "retry" and "retry all"."""
    user = request.user
    assert isinstance(user, User)
    if not user.has_perm(services.MANAGE_SUBSCRIBERS):
        return error_page(
            request, services.NotAllowed("only administrators see failed deliveries"), 403
        )
    if request.method == "POST":
        # "Retry" names one delivery; "Retry all" names none. A named one that is not an id
        # is not found (it used to mean "retry all").
        one = request.POST.get("delivery")
        delivery = None
        if one is not None:
            if not one.isdigit() or int(one) > ID_MAX:
                raise services.NotFound(f"no failed delivery with id {one}", field="delivery_id")
            delivery = int(one)
        count = services.retry_failed(actor=user, delivery=delivery)
        messages.success(request, f"{count} deliver{'y' if count == 1 else 'ies'} queued again.")
        return redirect("failed_deliveries")
    page = numbered_page(services.failed_deliveries(), request.GET.get("page"))
    return render(request, "notifications/failed.html", {"page": page})
