"""The event kinds of the postmortem (R12), recorded with core's log: every save of a draft, the
publication, and every change after the publication (the public page shows the revised text)."""

from __future__ import annotations

from django.db import models

from statusdesk.core.events import declare_kinds


class PostmortemEvent(models.TextChoices):
    # incident:<id>, postmortem:<id> · postmortem_id, taxonomy, principal_term
    # incident:<id>, postmortem:<id> · postmortem_id, fields (what changed), term_ids,
    # cause_merged_at (ISO 8601 or null)
    WRITTEN = "postmortem.written", "Postmortem draft saved"
    PUBLISHED = "postmortem.published", "Postmortem published"
    # incident:<id>, postmortem:<id> · postmortem_id, fields (what changed), term_ids,
    # cause_merged_at: a published postmortem edited (the public page shows "revised <date>")
    REVISED = "postmortem.revised", "Published postmortem revised"


declare_kinds(PostmortemEvent)
