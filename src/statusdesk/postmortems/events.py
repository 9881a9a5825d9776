"""The event kinds of the postmortem (R12): its publication, recorded with core's log."""

from __future__ import annotations

from django.db import models

from statusdesk.core.events import declare_kinds


class PostmortemEvent(models.TextChoices):
    # incident:<id>, postmortem:<id> · postmortem_id, taxonomy, principal_term
    PUBLISHED = "postmortem.published", "Postmortem published"


declare_kinds(PostmortemEvent)
