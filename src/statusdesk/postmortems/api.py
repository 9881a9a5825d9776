"""Postmortems and the taxonomy over JSON (/api/v1/). Thin: parse, call one service, answer.

PUT changes the fields it is sent; fields left out keep their value (a client may save one section
at a time). The rules (R12–R19) are the services'; their refusals become the API's error shape.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Path, Router, Schema
from pydantic import AfterValidator, BeforeValidator, Field, StrictStr

from statusdesk.accounts.api import current_user
from statusdesk.core.inputs import (
    Limit,
    OneOf,
    PageCursor,
    PageLimit,
    Query,
    datetime_string,
)
from statusdesk.core.paging import DEFAULT_LIMIT, next_url
from statusdesk.core.schemas import error_responses
from statusdesk.incidents.limits import ID_MAX
from statusdesk.incidents.schemas import InputSchema, Text
from statusdesk.postmortems import queries, services
from statusdesk.postmortems.models import URL_MAX, FollowUpAction, Postmortem

router = Router(tags=["postmortems"])

IncidentId = Annotated[int, Path(description="The incident's id.", le=ID_MAX)]
READ_ERRORS = error_responses(401, 403, 404, 409, 422)
WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 422)


def _strip(value: str) -> str:
    return value.strip()


Section = Annotated[Text, Limit(services.SECTION_MAX, rule="R13")]
Url = Annotated[Text, Limit(URL_MAX, rule="R17"), AfterValidator(_strip)]


class WhyIn(InputSchema):
    why: Annotated[Text, Limit(services.WHY_MAX, rule="R17")]
    because: Annotated[Text, Limit(services.WHY_MAX, rule="R17")]


class PostmortemIn(InputSchema):
    impact: Section | None = Field(None, description="Impact (Markdown, R14).")
    cause: Section | None = Field(None, description="Cause (Markdown, R17).")
    five_whys: list[WhyIn] | None = Field(
        None, description="The 5 Whys: up to five {why, because} pairs (R17)."
    )
    cause_merge_request_url: Url | None = Field(
        None,
        description="The merge request that introduced the cause: GitLab `/-/merge_requests/N` "
        "or GitHub `/pull/N`, never a commit (R17). Empty string removes it.",
    )
    cause_merged_at: Annotated[
        datetime | None,
        BeforeValidator(datetime_string),
        Field(
            description="When the causing merge request was merged (the failure reached "
            "production), ISO 8601 with a time zone; before the report (R15)."
        ),
    ] = None
    solution: Section | None = Field(None, description="Solution (Markdown, R17).")
    fix_merge_request_url: Url | None = Field(
        None, description="The merge request that fixed it (R17). Empty string removes it."
    )
    conclusion: Section | None = Field(None, description="Conclusion (Markdown, R18).")
    taxonomy: Annotated[StrictStr, Limit(1000, rule="R19")] | None = Field(
        None,
        description="One term or a tree `PRINCIPAL < PRIMARY < …` of known terms (R19); "
        "see GET /api/v1/taxonomy.",
    )


class WhyOut(Schema):
    why: str
    because: str


class DurationOut(Schema):
    seconds: int | None
    worded: str | None


class PostmortemOut(Schema):
    incident_id: int
    impact: str
    cause: str
    five_whys: list[WhyOut]
    cause_merge_request_url: str
    cause_merged_at: datetime | None
    solution: str
    fix_merge_request_url: str
    conclusion: str
    taxonomy: str
    terms: list[str] = Field(description="The taxonomy's parts; the first is the principal.")
    status: str = Field(description="`draft` or `published`.")
    published_at: datetime | None
    updated_at: datetime
    ttd: DurationOut
    ttf: DurationOut
    ttr: DurationOut
    missing: list[str] = Field(description="What publishing still needs (R13, R18).")


class TimelineRowOut(Schema):
    at: datetime
    stamp: str = Field(description="`yy-mm-dd hh:mm` in the display zone (R14).")
    what: str


class DraftOut(Schema):
    impact: str = Field(description="The drafted Impact section, Markdown (R14).")
    timeline: list[TimelineRowOut]
    ttd: DurationOut
    ttf: DurationOut
    ttr: DurationOut


class TermOut(Schema):
    name: str
    definition: str
    retired: bool


def postmortem_out(postmortem: Postmortem) -> dict[str, Any]:
    times = services.incident_times(postmortem.incident, postmortem.cause_merged_at)
    return {
        "incident_id": postmortem.incident_id,
        "impact": postmortem.impact,
        "cause": postmortem.cause,
        "five_whys": postmortem.five_whys,
        "cause_merge_request_url": postmortem.cause_merge_request_url,
        "cause_merged_at": postmortem.cause_merged_at,
        "solution": postmortem.solution,
        "fix_merge_request_url": postmortem.fix_merge_request_url,
        "conclusion": postmortem.conclusion,
        "taxonomy": postmortem.taxonomy,
        "terms": [part.term.name for part in postmortem.parts.select_related("term")],
        "status": "published" if postmortem.is_published else "draft",
        "published_at": postmortem.published_at,
        "updated_at": postmortem.updated_at,
        **times.as_dict(),
        "missing": [item["message"] for item in services.publication_problems(postmortem).items],
    }


@router.get(
    "/incidents/{incident_id}/postmortem",
    response={200: PostmortemOut, **READ_ERRORS},
    summary="The incident's postmortem (R12–R19); 409 before the resolution, 404 before it is "
    "written",
)
def get_postmortem(request: HttpRequest, incident_id: IncidentId) -> dict[str, Any]:
    return postmortem_out(queries.get_postmortem(current_user(request), incident_id))


@router.put(
    "/incidents/{incident_id}/postmortem",
    response={200: PostmortemOut, **WRITE_ERRORS},
    summary="Write or change the postmortem of a resolved incident (R12–R19); fields left out "
    "keep their value",
)
def put_postmortem(
    request: HttpRequest, incident_id: IncidentId, payload: PostmortemIn
) -> dict[str, Any]:
    fields = payload.model_dump(exclude_unset=True)
    if "five_whys" in fields and fields["five_whys"] is None:
        fields["five_whys"] = []
    for name in ("impact", "cause", "solution", "conclusion", "taxonomy"):
        if name in fields and fields[name] is None:
            fields[name] = ""
    for name in ("cause_merge_request_url", "fix_merge_request_url"):
        if name in fields and fields[name] is None:
            fields[name] = ""
    postmortem = services.write_postmortem(
        actor=current_user(request), incident=incident_id, **fields
    )
    return postmortem_out(postmortem)


@router.get(
    "/incidents/{incident_id}/postmortem/draft",
    response={200: DraftOut, **READ_ERRORS},
    summary="The Impact section drafted from the Event log, with TTD, TTF and TTR (R14–R16)",
)
def get_draft(request: HttpRequest, incident_id: IncidentId) -> dict[str, Any]:
    draft = services.draft_postmortem(actor=current_user(request), incident=incident_id)
    return {
        "impact": draft.impact,
        "timeline": [
            {"at": row.at, "stamp": row.stamp, "what": row.what} for row in draft.timeline
        ],
        **draft.times.as_dict(),
    }


@router.post(
    "/incidents/{incident_id}/postmortem/publish",
    response={200: PostmortemOut, **WRITE_ERRORS},
    summary="Publish the postmortem on the public incident page (R12, R13, R18)",
)
def publish_postmortem(request: HttpRequest, incident_id: IncidentId) -> dict[str, Any]:
    postmortem = services.publish_postmortem(actor=current_user(request), incident=incident_id)
    return postmortem_out(postmortem)


@router.get(
    "/taxonomy",
    response={200: list[TermOut], **error_responses(401, 422)},
    summary="The taxonomy terms with their definitions (R19); ?include_retired=true for all",
)
def list_taxonomy(
    request: HttpRequest, include_retired: Annotated[bool, Query(False)] = False
) -> list[Any]:
    current_user(request)
    return list(queries.taxonomy(include_retired=include_retired))


# --- follow-up actions ------------------------------------------------------------------------

ActionId = Annotated[int, Path(description="The follow-up action's id.", le=ID_MAX)]
OWNER_FILTER = OneOf.of(
    [("me", "me (the signed-in user)"), ("all", "all (Incident Managers and administrators)")],
    empty_is_missing=False,
)
STATE_FILTER = OneOf.of(queries.ActionState, empty_is_missing=False)


class ActionOut(Schema):
    id: int
    description: str
    owner: str = Field(description="The owner's e-mail.")
    due_on: date
    state: str = Field(description="`open`, `overdue` (open, due before today) or `done`.")
    incident_id: int
    postmortem_url: str = Field(description="The postmortem in the console, at its actions.")
    closing_merge_request_url: str = Field(description="The merge request that closed it.")
    created_at: datetime
    done_at: datetime | None


class ActionPage(Schema):
    items: list[ActionOut]
    next: str | None = Field(description="The next page's address; null on the last page.")
    next_cursor: str | None


class ActionDoneIn(InputSchema):
    merge_request_url: Url | None = Field(
        None,
        description="The merge request that closed it, when code changed: GitLab "
        "`/-/merge_requests/N` or GitHub `/pull/N`, never a commit (R17).",
    )


def action_out(action: FollowUpAction) -> dict[str, Any]:
    if action.is_done:
        state = queries.ActionState.DONE
    elif queries.is_overdue(action):
        state = queries.ActionState.OVERDUE
    else:
        state = queries.ActionState.OPEN
    incident_id = action.postmortem.incident_id
    return {
        "id": action.pk,
        "description": action.description,
        "owner": action.owner.email,
        "due_on": action.due_on,
        "state": str(state),
        "incident_id": incident_id,
        "postmortem_url": reverse("postmortem_print", args=[incident_id]) + "#actions",
        "closing_merge_request_url": action.closing_merge_request_url,
        "created_at": action.created_at,
        "done_at": action.done_at,
    }


@router.get(
    "/actions",
    response={200: ActionPage, **error_responses(401, 403, 422)},
    summary="Follow-up actions, a page at a time: ?owner=me (yours, the default) or all "
    "(Incident Managers and administrators); ?state=open (the default: the earliest due first, "
    "so overdue ones lead), overdue, or done (the latest done first)",
)
def list_actions(
    request: HttpRequest,
    owner: Annotated[Annotated[StrictStr, OWNER_FILTER] | None, Query(None)] = None,
    state: Annotated[Annotated[StrictStr, STATE_FILTER] | None, Query(None)] = None,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: PageCursor = None,
) -> dict[str, Any]:
    actions = queries.actions_of(
        current_user(request),
        state=state or queries.ActionState.OPEN,
        everyone=owner == "all",
    )
    page = queries.actions_page(actions, limit=limit, cursor=cursor)
    return {
        "items": [action_out(action) for action in page.items],
        "next": next_url(request.path, request.GET, page.next_cursor),
        "next_cursor": page.next_cursor,
    }


@router.post(
    "/actions/{action_id}/done",
    response={200: ActionOut, **WRITE_ERRORS},
    summary="Mark a follow-up action done, with the merge request that closed it (R17); by its "
    "owner, the incident's Incident Manager or an administrator",
)
def mark_action_done(
    request: HttpRequest, action_id: ActionId, payload: ActionDoneIn
) -> dict[str, Any]:
    action = services.close_follow_up_action(
        actor=current_user(request),
        action=action_id,
        merge_request_url=payload.merge_request_url or "",
    )
    return action_out(action)
