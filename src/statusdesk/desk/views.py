"""The desk in the console (/manage/desk/): the open incidents with their threads and developers,
and each incident's thread (live over the websocket, polled with htmx where websockets are
blocked). Thin: the access rule and every check live in services.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from statusdesk.core.errors import NotAllowed, RuleViolation
from statusdesk.desk import services
from statusdesk.desk.models import MESSAGE_MAX
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
