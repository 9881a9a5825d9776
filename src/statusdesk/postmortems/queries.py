"""Read paths of the postmortems: one postmortem, the taxonomy, related incidents."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from django.db.models import Q, QuerySet, TextChoices
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.core.errors import IllegalTransition, NotAllowed, NotFound
from statusdesk.core.paging import CursorPage, cursor_page, decode_cursor, encode_cursor
from statusdesk.incidents import queries as incident_queries
from statusdesk.incidents.models import Incident
from statusdesk.postmortems.models import FollowUpAction, Postmortem, TaxonomyTerm


def get_postmortem(user: User, incident_id: int) -> Postmortem:
    """The postmortem of an incident `user` may see: 409 before the resolution (R12), 404 when
    none is written yet."""
    incident = incident_queries.get_incident(user, incident_id)
    if not incident.is_resolved:
        raise IllegalTransition(
            f"incident INC-{incident.pk} is not resolved: it has no postmortem before the "
            "resolution",
            field="status",
            rule="R12",
        )
    postmortem = (
        Postmortem.objects.filter(incident=incident)
        .select_related("incident", "incident__report", "incident__issue")
        .first()
    )
    if postmortem is None:
        raise NotFound(f"incident INC-{incident.pk} has no postmortem yet", field="postmortem")
    return postmortem


def taxonomy(*, include_retired: bool = False) -> QuerySet[TaxonomyTerm]:
    terms = TaxonomyTerm.objects.order_by("name")
    return terms if include_retired else terms.filter(retired=False)


def published_postmortem(incident_id: int) -> Postmortem | None:
    """The public side: the published postmortem of a published incident, or None."""
    return (
        Postmortem.objects.filter(incident_id=incident_id, published_at__isnull=False)
        .select_related("incident")
        .first()
    )


def related_incidents(postmortem: Postmortem, limit: int = 10) -> list[Incident]:
    """Past incidents whose published postmortem shares a taxonomy term with this one, so a
    repeated root cause is visible; the most recently resolved first."""
    term_ids = list(postmortem.parts.values_list("term_id", flat=True))
    if not term_ids:
        return []
    return list(
        Incident.objects.filter(
            postmortem__published_at__isnull=False,
            postmortem__parts__term_id__in=term_ids,
        )
        .exclude(pk=postmortem.incident_id)
        .distinct()
        .order_by("-resolved_at", "-pk")[:limit]
    )


def public_postmortems(incident_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The published postmortems of these incidents as plain data for the public snapshot: the
    four sections rendered (sanitised HTML), the 5 Whys, the links, the taxonomy and the times
    worded (R13–R19). One query for all of them, plus one for their terms."""
    from statusdesk.core.markdown import render_markdown
    from statusdesk.postmortems.services import SECTIONS, incident_times

    found = list(
        Postmortem.objects.filter(incident_id__in=incident_ids, published_at__isnull=False)
        .select_related("incident", "incident__report")
        .prefetch_related("parts__term")
    )
    out: dict[int, dict[str, Any]] = {}
    for postmortem in found:
        times = incident_times(postmortem.incident, postmortem.cause_merged_at)
        out[postmortem.incident_id] = {
            **{f"{s}_html": render_markdown(getattr(postmortem, s)) for s in SECTIONS},
            "five_whys": list(postmortem.five_whys),
            "cause_merge_request_url": postmortem.cause_merge_request_url,
            "fix_merge_request_url": postmortem.fix_merge_request_url,
            "taxonomy": postmortem.taxonomy,
            "terms": [part.term.name for part in postmortem.parts.all()],
            # Seconds (None when unknown): worded in the reader's language when shown.
            "times": {
                name: int(span.total_seconds()) if span is not None else None
                for name, span in (("ttd", times.ttd), ("ttf", times.ttf), ("ttr", times.ttr))
            },
            "published_at": postmortem.published_at.isoformat() if postmortem.published_at else "",
            "revised_at": postmortem.revised_at.isoformat() if postmortem.revised_at else "",
        }
    return out


def published_count_mark() -> list[Any]:
    """What changes whenever a postmortem is published or revised (for the snapshot's version)."""
    from django.db.models import Count, Max

    mark = Postmortem.objects.filter(published_at__isnull=False).aggregate(
        n=Count("pk"), latest=Max("published_at"), revised=Max("revised_at")
    )
    return [
        mark["n"],
        mark["latest"].isoformat() if mark["latest"] else None,
        mark["revised"].isoformat() if mark["revised"] else None,
    ]


def open_actions(owner: User | None = None) -> QuerySet[FollowUpAction]:
    """Follow-up actions not done yet, the earliest due first (index pm_action_open_due)."""
    actions = FollowUpAction.objects.filter(done_at__isnull=True).select_related(
        "owner", "postmortem__incident"
    )
    if owner is not None:
        actions = actions.filter(owner=owner)
    return actions.order_by("due_on", "pk")


def is_overdue(action: FollowUpAction, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return not action.is_done and action.due_on < today


class ActionState(TextChoices):
    OPEN = "open", "Open (not done yet)"
    OVERDUE = "overdue", "Overdue (open, due before today)"
    DONE = "done", "Done"


def actions_of(
    user: User, *, state: str = ActionState.OPEN, everyone: bool = False
) -> QuerySet[FollowUpAction]:
    """The follow-up actions `user` owns (or, `everyone`, all of them: Incident Managers and
    administrators only) in one state. Open and overdue ones: the earliest due first, so the
    overdue ones come first (index pm_action_open_due); done ones: the latest done first."""
    from statusdesk.accounts.roles import MANAGE_INCIDENTS

    actions = FollowUpAction.objects.select_related("owner", "postmortem__incident")
    if everyone:
        if not user.has_perm(MANAGE_INCIDENTS):
            raise NotAllowed(
                "only Incident Managers and administrators see everyone's follow-up actions: "
                "ask for owner=me"
            )
    else:
        actions = actions.filter(owner=user)
    if state == ActionState.DONE:
        return actions.filter(done_at__isnull=False).order_by("-done_at", "-id")
    actions = actions.filter(done_at__isnull=True)
    if state == ActionState.OVERDUE:
        actions = actions.filter(due_on__lt=timezone.localdate())
    return actions.order_by("due_on", "id")


def actions_page(
    actions: QuerySet[FollowUpAction], *, limit: int, cursor: str | None
) -> CursorPage[FollowUpAction]:
    """A page of `actions_of`: done ones by core/paging's cursor (their done time), open ones by
    their due date and id, in the same cursor form (the date as midnight UTC)."""
    if actions.query.order_by and str(actions.query.order_by[0]) == "-done_at":
        return cursor_page(actions, limit=limit, cursor=cursor)
    if cursor:
        at, pk = decode_cursor(cursor)
        due = at.date()
        actions = actions.filter(Q(due_on__gt=due) | Q(due_on=due, pk__gt=pk))
    rows = list(actions[: limit + 1])
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor(datetime.combine(last.due_on, time(), tzinfo=UTC), last.pk)
    return CursorPage(items=items, next_cursor=next_cursor)


DASHBOARD_ACTIONS = 8


def dashboard_actions(user: User) -> dict[str, Any]:
    """The dashboard's follow-up card: the user's own open actions, and for incident managers
    every open one; overdue ones first (they are the earliest due)."""
    from statusdesk.accounts.roles import MANAGE_INCIDENTS

    today = timezone.localdate()
    everyone = open_actions() if user.has_perm(MANAGE_INCIDENTS) else open_actions(user)
    shown = list(everyone[:DASHBOARD_ACTIONS])
    return {
        "actions": [{"action": a, "overdue": a.due_on < today} for a in shown],
        "open_count": everyone.count() if len(shown) == DASHBOARD_ACTIONS else len(shown),
        "overdue_count": everyone.filter(due_on__lt=today).count(),
        "everyone": user.has_perm(MANAGE_INCIDENTS),
    }


def with_published_postmortem(incident_ids: list[int]) -> set[str]:
    """The ids (as the public pages write them) of these incidents whose postmortem is
    published."""
    found = Postmortem.objects.filter(incident_id__in=incident_ids, published_at__isnull=False)
    return {str(pk) for pk in found.values_list("incident_id", flat=True)}
