"""The event kinds of the Incident Desk (R7–R10). Payloads carry ids and values, never names."""

from __future__ import annotations

from django.db import models

from statusdesk.core.events import declare_kinds


class DeskEvent(models.TextChoices):
    # desk, user:<id> (+ incident:<id> for a temporary member) · user_id, membership
    # (standing or temporary), why, incident_id
    JOINED = "desk.joined", "Joined the Incident Desk"
    # desk, user:<id> (+ incident:<id>) · user_id, membership, why, incident_id
    LEFT = "desk.left", "Left the Incident Desk"
    # incident:<id>, desk · message_id, message_kind, mentioned_ids
    POSTED = "desk.posted", "Posted in the desk thread"
    # incident:<id>, desk · reminder_id, due_at, missed, skipped, escalated, recipient_ids
    REMINDER_SENT = "desk.reminder_sent", "Reminder sent to post an update"
    # incident:<id> · thread_id
    THREAD_CLOSED = "desk.thread_closed", "Desk thread closed"
    # desk · active, scheme (never the URL: it is a secret), removed
    MIRROR_CHANGED = "desk.mirror_changed", "Desk mirror changed"


declare_kinds(DeskEvent)
