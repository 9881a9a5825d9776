"""The desk's JSON shapes (/api/v1/)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field, StrictInt, StrictStr

from statusdesk.core.inputs import Limit
from statusdesk.desk.models import MESSAGE_MAX, WHY_MAX
from statusdesk.incidents.schemas import InputSchema, Text


class MessageIn(InputSchema):
    text: Annotated[Text, Limit(MESSAGE_MAX)] = Field(
        description="Markdown; @name or @name@example.com mentions a reader of the thread."
    )


class PersonOut(Schema):
    id: int
    email: str
    name: str


class MessageOut(Schema):
    id: int
    kind: str
    author: PersonOut | None
    text: str
    html: str = Field(description="The message rendered from Markdown and sanitised.")
    posted_at: datetime


class ThreadOut(Schema):
    incident_id: int
    started_at: datetime | None
    read_only: bool
    messages: list[MessageOut]
    first_id: int | None = Field(description="Send it as `before` for the older messages.")
    last_id: int | None = Field(description="Send it back as `since` to get only newer messages.")


class MemberOut(Schema):
    user: PersonOut
    membership: StrictStr = Field(description="standing or temporary")
    since: datetime
    why: str
    incident_id: int | None = Field(description="For a temporary member: the incident.")


class MemberIn(InputSchema):
    user: Annotated[Text, Limit(254)] | StrictInt = Field(
        description="The person to add: their e-mail address or user id (an active account)."
    )
    why: Annotated[Text, Limit(WHY_MAX)] = Field(description="Why they join the desk.")
