"""The desk in the console (/manage/desk/): the open incidents with their threads and developers,
and each incident's thread (live over the websocket, polled with htmx where websockets are
blocked). Thin: the access rule and every check live in services.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from statusdesk.accounts.models import User
from statusdesk.core.errors import NotAllowed, ProcessError, RuleViolation
from statusdesk.desk import services
from statusdesk.desk.models import MESSAGE_MAX, MIRROR_URL_MAX, WHY_MAX, MembershipKind
from statusdesk.incidents.models import Incident
from statusdesk.incidents.views import _user, console_view


@console_view
def desk_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not services.may_see_members(user):
        raise NotAllowed("the desk page is for desk members, incident managers and administrators")
    incidents = list(services.open_incidents())
    context = {
        "incidents": incidents,
        "readable": {i.pk for i in incidents if services.can_read_thread(user, i)},
        "members": list(services.members()),
        "minimum": services.MINIMUM_STANDING_MEMBERS,
        "is_administrator": _is_administrator(user),
    }
    return render(request, "desk/desk.html", context)


def _since(request: HttpRequest) -> int | None:
    raw = request.GET.get("since")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise RuleViolation("since must be a message id (a whole number)", field="since")
    return int(raw)


@console_view
def thread_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    problem = None
    status = 200
    if request.method == "POST":
        try:
            services.post_message(actor=user, incident=pk, text=request.POST.get("text", ""))
        except RuleViolation as exc:
            if request.headers.get("HX-Request"):
                return render(request, "desk/_problem.html", {"problem": exc}, status=422)
            problem, status = exc, 422
        else:
            if request.headers.get("HX-Request"):
                # The message reaches this page live (or through the poller); clear the problem.
                return HttpResponse("")
            return redirect("desk_thread", pk=pk)
    thread, messages = services.thread_messages(actor=user, incident=pk, limit=200)
    incident = Incident.objects.select_related("developer", "manager", "issue").get(pk=pk)
    context = {
        "incident": incident,
        "thread": thread,
        "thread_messages": messages,
        "last_id": messages[-1].pk if messages else 0,
        "problem": problem,
        "text": request.POST.get("text", "") if problem else "",
        "message_max": MESSAGE_MAX,
    }
    return render(request, "desk/thread.html", context, status=status)


@console_view
def thread_messages(request: HttpRequest, pk: int) -> HttpResponse:
    """The messages after `since` (the htmx polling fallback, and a reconnect)."""
    since = _since(request) or 0
    _, messages = services.thread_messages(actor=_user(request), incident=pk, since=since)
    context = {
        "incident_id": pk,
        "thread_messages": messages,
        "last_id": messages[-1].pk if messages else since,
        "oob": True,
    }
    return render(request, "desk/_messages.html", context)


# --- membership (R7) and the mirror: administrators change, members read -------------------------


def _is_administrator(user: User) -> bool:
    from statusdesk.accounts.roles import Role

    return user.is_active and (
        user.is_superuser or user.groups.filter(name=Role.ADMINISTRATOR.value).exists()
    )


def _members_context(user: User) -> dict[str, Any]:
    members = list(services.members())
    standing = [m for m in members if m.kind == MembershipKind.STANDING]
    on_desk = {m.user_id for m in standing}
    return {
        "standing": standing,
        "temporary": [m for m in members if m.kind == MembershipKind.TEMPORARY],
        "active_standing": sum(1 for m in standing if m.user.is_active),
        "minimum": services.MINIMUM_STANDING_MEMBERS,
        "may_change": _is_administrator(user),
        "candidates": [
            u for u in User.objects.filter(is_active=True).order_by("email") if u.pk not in on_desk
        ],
        "why_max": WHY_MAX,
    }


@console_view
def members_page(request: HttpRequest) -> HttpResponse:
    """The desk's members (standing, temporary); administrators add and remove standing ones."""
    user = _user(request)
    if not services.may_see_members(user):
        raise NotAllowed(
            "the desk's members are shown to desk members, managers and administrators"
        )
    problem: ProcessError | None = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        why = request.POST.get("why", "")
        chosen = request.POST.get("user", "")
        person: str | int = int(chosen) if chosen.isdigit() else chosen
        try:
            if action == "add":
                services.add_standing_member(actor=user, user=person, why=why)
                messages.success(request, "The new standing member is on the desk.")
            elif action == "remove":
                services.remove_standing_member(actor=user, user=person, why=why)
                messages.success(request, "The standing member has left the desk.")
            else:
                raise RuleViolation("action must be add or remove", field="action")
        except NotAllowed:
            raise
        except ProcessError as exc:
            problem, status = exc, exc.status_code
        else:
            return redirect("desk_members")
    context = {**_members_context(user), "problem": problem, "posted": request.POST}
    return render(request, "desk/members.html", context, status=status)


@console_view
def mirror_page(request: HttpRequest) -> HttpResponse:
    """The mirror to an external chat room (administrators only): set, test, retry, remove."""
    user = _user(request)
    if not _is_administrator(user):
        raise NotAllowed("only administrators see and set the desk's mirror")
    problem: ProcessError | None = None
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "save":
                services.set_mirror(
                    actor=user,
                    url=request.POST.get("url", ""),
                    active=request.POST.get("active") == "on",
                )
                messages.success(request, "The mirror is saved.")
            elif action == "test":
                services.send_mirror_test(actor=user)
                messages.success(request, "The test message was sent.")
            elif action == "retry":
                count = services.retry_mirror_posts(actor=user)
                messages.success(request, f"{count} failed post(s) will be sent again, in order.")
            elif action == "remove":
                services.remove_mirror(actor=user)
                messages.success(request, "The mirror is removed.")
            else:
                raise RuleViolation("unknown action", field="action")
        except NotAllowed:
            raise
        except ProcessError as exc:
            problem, status = exc, exc.status_code
        else:
            return redirect("desk_mirror")
    current = services.mirror()
    context = {
        "mirror": current,
        "masked": services.masked_url(current.url) if current else "",
        "problem": problem,
        "url_max": MIRROR_URL_MAX,
        **services.mirror_figures(),
    }
    return render(request, "desk/mirror.html", context, status=status)
