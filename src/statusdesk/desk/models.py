"""The Incident Desk: its members (R7), one thread per incident and the thread's messages (R8, R9).

Membership is its own record: a standing member belongs to the desk until an administrator removes
them; a temporary member is the developer assigned to one incident, from the assignment to the
resolution (R8, R9). History (who joined and left, when, why) lives in the event log.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from statusdesk.incidents.models import Incident

WHY_MAX = 500
MESSAGE_MAX = 10_000


class MembershipKind(models.TextChoices):
    STANDING = "standing", "Standing member"
    TEMPORARY = "temporary", "Temporary member (assigned developer)"


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="desk_memberships"
    )
    kind = models.CharField(max_length=20, choices=MembershipKind.choices)
    # The incident a temporary member joined for; empty for a standing member.
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="desk_members"
    )
    since = models.DateTimeField()
    why = models.CharField(max_length=WHY_MAX)

    class Meta:
        ordering = ["kind", "since", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(kind="standing"),
                name="desk_one_standing_membership",
            ),
            models.UniqueConstraint(
                fields=["user", "incident"],
                condition=models.Q(kind="temporary"),
                name="desk_one_temporary_membership_per_incident",
            ),
            models.CheckConstraint(
                condition=(models.Q(kind="standing", incident__isnull=True))
                | models.Q(kind="temporary", incident__isnull=False),
                name="desk_temporary_has_incident",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_kind_display()})"


class Thread(models.Model):
    """The incident's discussion thread (R8): started by the kickoff post, read-only after the
    release (R9)."""

    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="thread")
    started_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Thread of INC-{self.incident_id}"

    @property
    def read_only(self) -> bool:
        return self.closed_at is not None


class MessageKind(models.TextChoices):
    MEMBER = "member", "Message"
    KICKOFF = "kickoff", "Kickoff"
    HANDOVER = "handover", "Handover"
    PUBLICATION = "publication", "Published"
    UPDATE = "update", "Status update"
    RESOLUTION = "resolution", "Resolved"
    CLOSING = "closing", "Closing"
    REMINDER = "reminder", "Reminder"


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    # Empty for the posts statusdesk writes itself.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="desk_messages",
    )
    text = models.TextField()  # Markdown source
    html = models.TextField()  # sanitised rendering of `text`
    posted_at = models.DateTimeField()
    # For system posts: the event that caused it, so a reaction writes its post once.
    event_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["thread", "id"], name="desk_message_thread")]
        constraints = [
            models.UniqueConstraint(
                fields=["event_id", "kind"],
                condition=models.Q(event_id__isnull=False),
                name="desk_one_post_per_event",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} in INC-{self.thread.incident_id}"


class Reminder(models.Model):
    """R10: one reminder to the Incident Manager for one missed update interval. The worker that
    claims the incident's `next_reminder_at` (compare-and-set) writes it; its e-mail is sent once,
    by whoever claims `mailed_at`."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="reminders")
    # The reminder time that was claimed: one reminder per incident and time, whatever happens.
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField()
    # How many update intervals have passed without a public update (2 or more: escalated).
    missed = models.PositiveIntegerField()
    # How many earlier reminder times passed unsent (the worker was down): the catch-up reminder
    # stands for them and says so.
    skipped = models.PositiveIntegerField(default=0)
    escalated = models.BooleanField(default=False)
    recipients = models.JSONField(default=list)  # user ids
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "due_at"], name="desk_one_reminder_per_due")
        ]
        indexes = [
            models.Index(
                fields=["sent_at"],
                name="desk_reminder_unmailed",
                condition=models.Q(mailed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"Reminder for INC-{self.incident_id} at {self.due_at:%Y-%m-%d %H:%M}"


class Mention(models.Model):
    """A reader @mentioned in a message, notified by e-mail once (whoever claims `mailed_at`)."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="desk_one_mention_per_user")
        ]
        indexes = [
            models.Index(
                fields=["id"],
                name="desk_mention_unmailed",
                condition=models.Q(mailed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"Mention of user {self.user_id} in message {self.message_id}"


# An Apprise URL (the notifications app's chat channels take the same).
MIRROR_URL_MAX = 2_000


class Mirror(models.Model):
    """The deployment's mirror of the desk's posts to an external chat room (optional): an Apprise
    URL set by an administrator. One row at most. The URL is a secret: never shown back in full,
    never logged, never in an event. The worker that sets `claim` (compare-and-set, lapsing at
    `claimed_until`) is the one sending the owed posts, oldest first."""

    url = models.CharField(max_length=MIRROR_URL_MAX)
    active = models.BooleanField(default=True)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claim = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "Mirror of the desk's posts"


class MirrorState(models.TextChoices):
    QUEUED = "queued", "Waiting"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class MirrorPost(models.Model):
    """One desk post to copy to the chat room, written by the reaction to `desk.posted` (one per
    message, whatever re-runs), sent by the worker in message order, retried, then failed."""

    message = models.OneToOneField(Message, on_delete=models.PROTECT, related_name="mirror_post")
    state = models.CharField(max_length=10, choices=MirrorState.choices, default=MirrorState.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["message_id"]
        indexes = [
            models.Index(
                fields=["message"], name="desk_mirror_owed", condition=models.Q(state="queued")
            )
        ]

    def __str__(self) -> str:
        return f"Mirror of message {self.message_id} ({self.state})"
