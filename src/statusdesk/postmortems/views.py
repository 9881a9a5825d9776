"""The postmortem in the console: the editor (four sections, live preview, taxonomy picker,
readability advice), publishing, the printable page and the Markdown export.

Thin like every console view: parse the form, call one service, render. R12 (after resolution,
by the Incident Manager) is checked by the services; the incident page offers "Write postmortem"
only when `can_write_postmortem` says so.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from statusdesk.core.errors import IllegalTransition, ProcessError, RuleViolation
from statusdesk.core.markdown import render_markdown
from statusdesk.core.paging import numbered_page
from statusdesk.incidents import queries as incident_queries
from statusdesk.incidents.models import Incident
from statusdesk.incidents.views import _finish, _user, console_view
from statusdesk.postmortems import queries, services
from statusdesk.postmortems.forms import PostmortemForm
from statusdesk.postmortems.models import FollowUpAction, Postmortem


def _preview_url(pk: int) -> str:
    return reverse("postmortem_preview", args=[pk])


def _resolved_incident(request: HttpRequest, pk: int) -> Incident:
    incident = incident_queries.get_incident(_user(request), pk)
    refused = services.postmortem_refusal(_user(request), incident)
    if refused is not None:
        raise refused
    return incident


def _render_editor(
    request: HttpRequest,
    incident: Incident,
    form: PostmortemForm,
    *,
    problem: ProcessError | None = None,
    status: int = 200,
) -> HttpResponse:
    postmortem = services.postmortem_of(incident)
    draft = services.draft_postmortem(actor=_user(request), incident=incident)
    missing = services.publication_problems(postmortem).items if postmortem else []
    context = {
        "incident": incident,
        "postmortem": postmortem,
        "form": form,
        "draft": draft,
        "terms": list(queries.taxonomy()),
        "missing": missing,
        "problem": problem,
        "previews": _previews(_texts(form, postmortem)),
        "related": queries.related_incidents(postmortem) if postmortem else [],
        "actions": _actions(request, postmortem),
        "can_add_actions": postmortem is not None,
    }
    response = render(request, "postmortems/editor.html", context, status=status)
    return _finish(request, response)


def _texts(form: PostmortemForm, postmortem: Postmortem | None) -> dict[str, str]:
    if form.is_bound:
        return {s: str(form.data.get(s, "")) for s in services.SECTIONS}
    return {s: str(form.initial.get(s, "")) for s in services.SECTIONS}


def _previews(texts: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "name": section,
            "title": services.SECTION_TITLES[section],
            "html": render_markdown(texts.get(section, "")),
            "advice": services.readability(texts.get(section, "")),
        }
        for section in services.SECTIONS
    ]


@console_view
def postmortem_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the editor, the Impact drafted from the Event log when nothing is written yet.
    POST: save (R12–R19 checked by write_postmortem)."""
    incident = _resolved_incident(request, pk)
    if request.method == "POST":
        form = PostmortemForm(request.POST, preview_url=_preview_url(pk))
        form.is_valid()  # every field is optional text: it always parses
        try:
            services.write_postmortem(
                actor=_user(request), incident=incident, **form.service_kwargs()
            )
        except RuleViolation as exc:
            form.add_process_error(exc)
            return _render_editor(request, incident, form, status=422)
        messages.success(request, "Postmortem saved.")
        return redirect("postmortem_edit", pk=pk)
    postmortem = services.postmortem_of(incident)
    drafted = services.draft_postmortem(actor=_user(request), incident=incident).impact
    form = PostmortemForm(
        initial=PostmortemForm.initial_for(postmortem, drafted), preview_url=_preview_url(pk)
    )
    return _render_editor(request, incident, form)


@console_view
@require_POST
def postmortem_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the four sections rendered as the public will read them, with plain-language
    advice (readability score, jargon): never a blocker."""
    _resolved_incident(request, pk)
    texts = {s: str(request.POST.get(s, "")) for s in services.SECTIONS}
    return render(request, "postmortems/_preview.html", {"previews": _previews(texts)})


@console_view
@require_POST
def postmortem_publish(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _resolved_incident(request, pk)
    try:
        services.publish_postmortem(actor=_user(request), incident=incident)
    except (RuleViolation, IllegalTransition) as exc:
        postmortem = services.postmortem_of(incident)
        drafted = services.draft_postmortem(actor=_user(request), incident=incident).impact
        form = PostmortemForm(
            initial=PostmortemForm.initial_for(postmortem, drafted), preview_url=_preview_url(pk)
        )
        return _render_editor(request, incident, form, problem=exc, status=exc.status_code)
    messages.success(request, "Postmortem published on the public incident page.")
    return redirect("postmortem_edit", pk=pk)


@console_view
def postmortem_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The postmortem as a Markdown file."""
    postmortem = queries.get_postmortem(_user(request), pk)
    response = HttpResponse(services.as_markdown(postmortem), content_type="text/markdown")
    response["Content-Disposition"] = f'attachment; filename="postmortem-INC-{pk}.md"'
    return response


@console_view
def postmortem_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The postmortem as one readable page, with a print stylesheet (a clean PDF from the
    browser's Print)."""
    postmortem = queries.get_postmortem(_user(request), pk)
    context = {
        "incident": postmortem.incident,
        "postmortem": postmortem,
        "previews": _previews({s: getattr(postmortem, s) for s in services.SECTIONS}),
        "times": services.incident_times(postmortem.incident, postmortem.cause_merged_at),
        "actions": _actions(request, postmortem),
        "related": queries.related_incidents(postmortem),
    }
    return render(request, "postmortems/print.html", context)


def _actions(request: HttpRequest, postmortem: Postmortem | None) -> list[dict[str, Any]]:
    if postmortem is None:
        return []
    user = _user(request)
    today = timezone.localdate()
    return [
        {
            "action": action,
            "overdue": not action.is_done and action.due_on < today,
            "can_close": services.may_mark_action_done(user, action),
        }
        for action in postmortem.actions.select_related("owner")
    ]


DONE_SHOWN = 10


@console_view
def my_actions(request: HttpRequest) -> HttpResponse:
    """The signed-in user's follow-up actions: the open ones (overdue first, then by due date),
    each with its incident and postmortem and a form to mark it done; the latest done below."""
    user = _user(request)
    today = timezone.localdate()
    page = numbered_page(queries.actions_of(user), request.GET.get("page"))
    done = list(queries.actions_of(user, state=queries.ActionState.DONE)[:DONE_SHOWN])
    context = {
        "page": page,
        "open": [
            {"action": action, "overdue": action.due_on < today, "can_close": True}
            for action in page.object_list
        ],
        "overdue_count": queries.actions_of(user, state=queries.ActionState.OVERDUE).count(),
        "done": done,
        "back_to": request.get_full_path(),
    }
    return render(request, "postmortems/my_actions.html", context)


@console_view
@require_POST
def postmortem_action_add(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _resolved_incident(request, pk)
    due_text = str(request.POST.get("due_on", "")).strip()
    try:
        due_on: Any = date.fromisoformat(due_text) if due_text else None
    except ValueError:
        due_on = due_text
    try:
        services.add_follow_up_action(
            actor=_user(request),
            incident=incident,
            description=str(request.POST.get("description", "")),
            owner=str(request.POST.get("owner", "")),
            due_on=due_on,
        )
    except RuleViolation as exc:
        messages.error(request, "; ".join(str(e["message"]) for e in exc.errors))
        return redirect(reverse("postmortem_edit", args=[pk]) + "#actions")
    messages.success(request, "Follow-up action added.")
    return redirect(reverse("postmortem_edit", args=[pk]) + "#actions")


def _back_to(request: HttpRequest, fallback: str) -> str:
    """Where a form asked to return (`next`, an address of this site), else `fallback`."""
    wanted = str(request.POST.get("next", ""))
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


@console_view
@require_POST
def postmortem_action_close(request: HttpRequest, action_id: int) -> HttpResponse:
    try:
        action = services.close_follow_up_action(
            actor=_user(request),
            action=action_id,
            merge_request_url=str(request.POST.get("merge_request_url", "")),
        )
    except RuleViolation as exc:
        messages.error(request, "; ".join(str(e["message"]) for e in exc.errors))
        found = FollowUpAction.objects.filter(pk=action_id).select_related("postmortem").first()
        pk = found.postmortem.incident_id if found else 0
        return redirect(_back_to(request, reverse("postmortem_print", args=[pk]) + "#actions"))
    messages.success(request, f"Follow-up action done: {action.description}")
    return redirect(
        _back_to(
            request, reverse("postmortem_print", args=[action.postmortem.incident_id]) + "#actions"
        )
    )
