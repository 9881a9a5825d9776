"""The postmortem of an incident (R12–R19) and the taxonomy of root causes (R19)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from statusdesk.incidents.models import Incident

TERM_MAX = 64
URL_MAX = 500


class TaxonomyTerm(models.Model):
    """R19: a tag that says why a problem reached production. Administrators add terms and retire
    them; a retired term is never deleted, so the postmortems that used it keep it."""

    name = models.CharField(max_length=TERM_MAX, unique=True)
    definition = models.TextField()
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Postmortem(models.Model):
    """R13: exactly four sections, Impact, Cause, Solution and Conclusion (Markdown)."""

    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="postmortem")
    impact = models.TextField(blank=True)
    cause = models.TextField(blank=True)
    # R17: the 5 Whys, up to five {"why": ..., "because": ...} pairs.
    five_whys = models.JSONField(default=list, blank=True)
    cause_merge_request_url = models.URLField(max_length=URL_MAX, blank=True)
    # R15: when the failure reached production (the causing merge request's date).
    cause_merged_at = models.DateTimeField(null=True, blank=True)
    solution = models.TextField(blank=True)
    fix_merge_request_url = models.URLField(max_length=URL_MAX, blank=True)
    conclusion = models.TextField(blank=True)
    # R19: the term or tree as written, `PRINCIPAL < PRIMARY < …`; its parts are `terms`.
    taxonomy = models.CharField(max_length=1000, blank=True)
    terms: models.ManyToManyField[TaxonomyTerm, PostmortemTerm] = models.ManyToManyField(
        TaxonomyTerm, through="PostmortemTerm", related_name="postmortems"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The latest change after the publication (postmortem.revised); empty while never revised.
    revised_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Postmortem of INC-{self.incident_id}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class PostmortemTerm(models.Model):
    """One part of a postmortem's taxonomy tree: position 0 is the principal failure."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="parts")
    term = models.ForeignKey(TaxonomyTerm, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["postmortem", "position"]
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "position"], name="pm_term_position"),
            models.UniqueConstraint(fields=["postmortem", "term"], name="pm_term_once"),
        ]

    def __str__(self) -> str:
        return f"{self.position}: term {self.term_id}"


class FollowUpAction(models.Model):
    """An action item of the Conclusion: an owner, a due date and, once done, the merge request
    that closed it (same check as R17)."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(max_length=500)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    closing_merge_request_url = models.URLField(max_length=URL_MAX, blank=True)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["done_at", "due_on"], name="pm_action_open_due")]

    def __str__(self) -> str:
        return self.description

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
