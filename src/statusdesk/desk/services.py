"""The Incident Desk's rules, once (R7, R8, R9): who is on the desk, who may read and write an
incident's thread, the kickoff, handover, system and closing posts.

Views, the API and the websocket consumer call these and nothing else. The posts that follow the
incident's steps (kickoff, handover, publication, update, resolution, closing) are written by the
desk's reactions to the incidents' events (reactions.py), after the step committed: `incidents`
knows nothing of the desk.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.accounts.roles import Role
from statusdesk.core.errors import (
    IllegalTransition,
    NotAllowed,
    NotFound,
    Problems,
    RuleViolation,
)
from statusdesk.core.events import record
from statusdesk.desk import live
from statusdesk.desk import text as desk_text
from statusdesk.desk.events import DeskEvent
from statusdesk.desk.models import (
    MESSAGE_MAX,
    MIRROR_URL_MAX,
    WHY_MAX,
    Membership,
    MembershipKind,
    Mention,
    Message,
    MessageKind,
    Mirror,
    MirrorPost,
    MirrorState,
    Reminder,
    Thread,
)
from statusdesk.incidents.models import Incident, IncidentStatus
from statusdesk.incidents.queries import update_overdue_among
from statusdesk.notifications.transports import masked_url

log = logging.getLogger(__name__)

# R7: the desk never has fewer standing members than this.
MINIMUM_STANDING_MEMBERS = 4

__all__ = [
    "MINIMUM_STANDING_MEMBERS",
    "add_standing_member",
    "can_read_thread",
    "members",
    "post_message",
    "account_closing_problem",
    "remove_standing_member",
    "thread_messages",
]


# --- membership (R7) ------------------------------------------------------------------------


def _require_administrator(actor: User) -> None:
    if not actor.is_active or not (
        actor.is_superuser or actor.groups.filter(name=Role.ADMINISTRATOR.value).exists()
    ):
        raise NotAllowed("only administrators manage the Incident Desk's members", rule="R7")


def _why(problems: Problems, why: str | None) -> str:
    text = (why or "").strip()
    if not text:
        problems.add("why", "why is required: say why this person joins or leaves the desk")
    elif len(text) > WHY_MAX:
        problems.add("why", f"why must be at most {WHY_MAX} characters")
    return text


def standing_members() -> QuerySet[Membership]:
    return Membership.objects.filter(kind=MembershipKind.STANDING)


def members() -> QuerySet[Membership]:
    """Everyone on the desk now: standing members first, then the temporary ones."""
    return Membership.objects.select_related("user", "incident").order_by("kind", "since", "id")


def may_see_members(user: User) -> bool:
    """Desk members, incident managers and administrators see who is on the desk."""
    from statusdesk.accounts.roles import MANAGE_INCIDENTS

    return user.is_active and (is_member(user) or user.has_perm(MANAGE_INCIDENTS))


def is_member(user: User) -> bool:
    return user.is_active and Membership.objects.filter(user=user).exists()


def _user(value: User | str | int, field: str = "user") -> User:
    if isinstance(value, User):
        return value
    found = (
        User.objects.filter(pk=value).first()
        if isinstance(value, int)
        else User.objects.filter(email=(value or "").strip().lower()).first()
    )
    if found is None:
        raise NotFound(f"{value!r} is not a user of statusdesk", field=field)
    return found


@transaction.atomic
def add_standing_member(
    *, actor: User, user: User | str | int, why: str, at: datetime | None = None
) -> Membership:
    """R7: an administrator adds a standing member (an active user, once)."""
    _require_administrator(actor)
    person = _user(user)
    problems = Problems()
    reason = _why(problems, why)
    if not person.is_active:
        problems.add("user", f"{person.email} is not an active user", "R7")
    problems.raise_if_any()
    # Serialise membership changes: the count below must not change under us.
    list(Membership.objects.select_for_update().filter(kind=MembershipKind.STANDING))
    if standing_members().filter(user=person).exists():
        raise IllegalTransition(f"{person.email} is already a standing member", field="user")
    return _join_standing(person, why=reason, at=at or timezone.now(), actor=actor)


def _join_standing(person: User, *, why: str, at: datetime, actor: User | None) -> Membership:
    """`person` joins the desk as a standing member: the row and its event."""
    membership = Membership.objects.create(
        user=person, kind=MembershipKind.STANDING, since=at, why=why
    )
    record(
        DeskEvent.JOINED,
        subject="desk",
        also=[person],
        at=at,
        actor=actor,
        user_id=person.pk,
        membership=MembershipKind.STANDING.value,
        why=why,
        incident_id=None,
    )
    return membership


def active_standing_members() -> QuerySet[Membership]:
    """The standing members who can act: an inactive account reads nothing (R7 counts these)."""
    return standing_members().filter(user__is_active=True)


def removal_problem(person: User) -> str | None:
    """R7: why removing `person` from the standing members is refused, or None."""
    if not standing_members().filter(user=person).exists():
        return f"{person.email} is not a standing member of the Incident Desk"
    left = active_standing_members().exclude(user=person).count()
    if left < MINIMUM_STANDING_MEMBERS:
        return (
            f"the Incident Desk must keep at least {MINIMUM_STANDING_MEMBERS} standing members; "
            f"removing {person.email} would leave {left}. Add another standing member first."
        )
    return None


def account_closing_problem(person: User, *, deleting: bool = False) -> str | None:
    """R7: why deactivating (or deleting) the account of `person` is refused, or None: a standing
    member's account may close only while at least four other active standing members remain."""
    if person.pk is None or not active_standing_members().filter(user=person).exists():
        return None
    left = active_standing_members().exclude(user=person).count()
    if left >= MINIMUM_STANDING_MEMBERS:
        return None
    doing = "deleting" if deleting else "deactivating"
    return (
        f"{person.email} is a standing member of the Incident Desk, which must keep at least "
        f"{MINIMUM_STANDING_MEMBERS} active standing members; {doing} this account would leave "
        f"{left}. Add another standing member first (Incident Desk, Members: "
        f"{reverse('desk_members')}), then try again."
    )


def refuse_closing_a_needed_account(person: User) -> None:
    """Before an account is saved inactive (wherever it is changed: the admin, a script, the
    shell): refuse when R7 would break. Membership changes and this check are serialised."""
    if person.pk is None or person.is_active:
        return
    if not User.objects.filter(pk=person.pk, is_active=True).exists():
        return  # already inactive: nothing changes for the desk
    if transaction.get_connection().in_atomic_block:
        list(Membership.objects.select_for_update().filter(kind=MembershipKind.STANDING))
    problem = account_closing_problem(person)
    if problem:
        raise IllegalTransition(problem, field="is_active", rule="R7")


@transaction.atomic
def remove_standing_member(
    *, actor: User, user: User | str | int, why: str, at: datetime | None = None
) -> None:
    """R7: an administrator removes a standing member, never below four."""
    _require_administrator(actor)
    person = _user(user)
    problems = Problems()
    reason = _why(problems, why)
    problems.raise_if_any()
    list(Membership.objects.select_for_update().filter(kind=MembershipKind.STANDING))
    membership = standing_members().filter(user=person).first()
    if membership is None:
        raise NotFound(
            f"{person.email} is not a standing member of the Incident Desk", field="user"
        )
    problem = removal_problem(person)
    if problem:
        raise IllegalTransition(problem, field="user", rule="R7")
    membership.delete()
    record(
        DeskEvent.LEFT,
        subject="desk",
        also=[person],
        at=at or timezone.now(),
        actor=actor,
        user_id=person.pk,
        membership=MembershipKind.STANDING.value,
        why=reason,
        incident_id=None,
    )


def ensure_standing_members(users: list[User], *, why: str) -> int:
    """Make `users` standing members (seeding, no actor); returns how many joined."""
    joined = 0
    for person in users:
        with transaction.atomic():
            if standing_members().filter(user=person).exists():
                continue
            _join_standing(person, why=why, at=timezone.now(), actor=None)
            joined += 1
    return joined


# --- the thread's readers (members, the manager, the assigned developer) -----------------------


def can_read_thread(user: Any, incident: Incident) -> bool:
    """Desk members, the incident's manager and its assigned developer; nobody else."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.pk in (incident.manager_id, incident.developer_id):
        return True
    return Membership.objects.filter(user_id=user.pk).exists()


def readable_incidents(user: User) -> QuerySet[Incident]:
    """The incidents whose threads `user` may read."""
    if not user.is_active:
        return Incident.objects.none()
    if Membership.objects.filter(user=user).exists():
        return Incident.objects.all()
    return Incident.objects.filter(Q(manager=user) | Q(developer=user))


def _thread_for(actor: User, incident: Incident | int) -> Thread | None:
    pk = incident.pk if isinstance(incident, Incident) else incident
    found = Incident.objects.filter(pk=pk).first()
    # An incident one may not read is "not found" either way: its existence is not leaked.
    if found is None or not can_read_thread(actor, found):
        raise NotFound(f"incident {pk} does not exist or its desk thread is not yours to read")
    return Thread.objects.filter(incident=found).first()


def thread_messages(
    *,
    actor: User,
    incident: Incident | int,
    since: int | None = None,
    before: int | None = None,
    limit: int = 50,
) -> tuple[Thread | None, list[Message]]:
    """The thread and its messages, oldest first: the `limit` after message id `since` (a
    reconnect), or the latest `limit` before message id `before` (older history), or the latest
    `limit`."""
    if since is not None and before is not None:
        raise RuleViolation("send since or before, not both", field="before")
    thread = _thread_for(actor, incident)
    if thread is None:
        return None, []
    found = Message.objects.filter(thread=thread).select_related("author")
    if before is not None:
        found = found.filter(pk__lt=before)
    if since is not None:
        return thread, list(found.filter(pk__gt=since).order_by("id")[:limit])
    latest = list(found.order_by("-id")[:limit])
    latest.reverse()
    return thread, latest


def _mentions(thread: Thread, text: str) -> list[int]:
    handles = desk_text.mentioned_handles(text)
    if not handles:
        return []
    incident = thread.incident
    people = User.objects.filter(is_active=True).filter(
        Q(pk__in=Membership.objects.values("user_id"))
        | Q(pk__in=[incident.manager_id, incident.developer_id])
    )
    ids = []
    for person in people:
        email = person.email.lower()
        if email in handles or email.split("@")[0] in handles:
            ids.append(person.pk)
    return ids


@transaction.atomic
def post_message(*, actor: User, incident: Incident | int, text: str) -> Message:
    """A reader writes in the incident's thread (Markdown, sanitised), while it is open."""
    thread = _thread_for(actor, incident)
    problems = Problems()
    body = (text or "").strip()
    if not body:
        problems.add("text", "text is required")
    elif len(body) > MESSAGE_MAX:
        problems.add("text", f"text must be at most {MESSAGE_MAX} characters")
    problems.raise_if_any()
    if thread is None:
        raise IllegalTransition(
            "this incident has no desk thread yet: it starts with the kickoff, when a developer "
            "is assigned",
            field="incident",
            rule="R8",
        )
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if thread.read_only:
        raise IllegalTransition(
            "the incident is resolved: its desk thread is read-only", field="incident", rule="R9"
        )
    now = timezone.now()
    message = Message.objects.create(
        thread=thread,
        kind=MessageKind.MEMBER,
        author=actor,
        text=body,
        html=desk_text.render(body),
        posted_at=now,
    )
    mentioned = [pk for pk in _mentions(thread, body) if pk != actor.pk]
    Mention.objects.bulk_create([Mention(message=message, user_id=pk) for pk in mentioned])
    record(
        DeskEvent.POSTED,
        subject=thread.incident,
        also=["desk"],
        at=now,
        actor=actor,
        message_id=message.pk,
        message_kind=MessageKind.MEMBER.value,
        mentioned_ids=mentioned,
    )
    live.announce(thread.incident_id)
    if mentioned:
        transaction.on_commit(lambda: _queue_mentions(message.pk), robust=True)
    return message


def _queue_mentions(message_id: int) -> None:
    try:
        from statusdesk.desk.tasks import mail_mentions

        mail_mentions(message_id)
    except Exception:
        # The mentions are safe in the database: the periodic task mails them.
        log.warning("could not queue the mentions of message %s", message_id, exc_info=True)


def mail_mention(mention_id: int) -> bool:
    """E-mail one mention once: whoever sets `mailed_at` (compare-and-set) sends it."""
    now = timezone.now()
    if not Mention.objects.filter(pk=mention_id, mailed_at__isnull=True).update(mailed_at=now):
        return False
    mention = Mention.objects.select_related(
        "user", "message", "message__author", "message__thread"
    ).get(pk=mention_id)
    message = mention.message
    incident_id = message.thread.incident_id
    link = absolute(reverse("desk_thread", args=[incident_id]))
    try:
        send_mail(
            subject=(
                f"{_name(message.author)} mentioned you in the desk thread of INC-{incident_id}"
            ),
            message=f"{message.text}\n\nThe thread: {link}",
            from_email=None,
            recipient_list=[mention.user.email],
        )
    except Exception:
        Mention.objects.filter(pk=mention_id, mailed_at=now).update(mailed_at=None)
        raise
    return True


def mail_pending_mentions(message_id: int | None = None) -> int:
    pending = Mention.objects.filter(mailed_at__isnull=True, user__is_active=True)
    if message_id is not None:
        pending = pending.filter(message_id=message_id)
    sent = 0
    for pk in list(pending.order_by("id").values_list("pk", flat=True)[:200]):
        try:
            sent += int(mail_mention(pk))
        except Exception:
            log.warning("could not mail mention %s", pk, exc_info=True)
    return sent


# --- the posts statusdesk writes (reactions to the incidents' events) --------------------------


def absolute(path: str) -> str:
    return f"{settings.STATUSDESK_PUBLIC_URL}{path}"


def incident_link(incident: Incident) -> str:
    return absolute(reverse("incident_detail", args=[incident.pk]))


# R8 asks for the issue's address. statusdesk keeps the issue (title, description) on the
# incident itself; its address elsewhere is the tracker's link, when the manager gave one.
NO_ISSUE_LINK = "no issue link yet (the issue is on the incident's page)"


def issue_line(incident: Incident) -> str:
    """The kickoff's and handover's issue line: the tracker's link, or says there is none."""
    return incident.issue.url or NO_ISSUE_LINK


def _system_post(
    thread: Thread, kind: MessageKind, body: str, *, at: datetime, event_id: int | None
) -> Message | None:
    """Write one post of statusdesk's (once per event and kind)."""
    if event_id is not None and Message.objects.filter(event_id=event_id, kind=kind).exists():
        return None
    message = Message.objects.create(
        thread=thread,
        kind=kind,
        author=None,
        text=body,
        html=desk_text.render(body),
        posted_at=at,
        event_id=event_id,
    )
    record(
        DeskEvent.POSTED,
        subject=thread.incident,
        also=["desk"],
        at=at,
        actor=None,
        message_id=message.pk,
        message_kind=kind.value,
        mentioned_ids=[],
    )
    live.announce(thread.incident_id)
    return message


def _join_temporary(person: User, incident: Incident, *, at: datetime, why: str) -> None:
    if standing_members().filter(user=person).exists():
        return  # a standing member is on the desk already
    _, created = Membership.objects.get_or_create(
        user=person,
        incident=incident,
        kind=MembershipKind.TEMPORARY,
        defaults={"since": at, "why": why},
    )
    if created:
        record(
            DeskEvent.JOINED,
            subject="desk",
            also=[person, incident],
            at=at,
            actor=None,
            user_id=person.pk,
            membership=MembershipKind.TEMPORARY.value,
            why=why,
            incident_id=incident.pk,
        )


def _leave_temporary(person_id: int, incident: Incident, *, at: datetime, why: str) -> None:
    found = Membership.objects.filter(
        user_id=person_id, incident=incident, kind=MembershipKind.TEMPORARY
    ).first()
    if found is None:
        return
    found.delete()
    record(
        DeskEvent.LEFT,
        subject="desk",
        also=[f"user:{person_id}", incident],
        at=at,
        actor=None,
        user_id=person_id,
        membership=MembershipKind.TEMPORARY.value,
        why=why,
        incident_id=incident.pk,
    )


def _name(user: User | None) -> str:
    if user is None:
        return "nobody"
    full = (user.full_name or "").strip()
    return f"{full} ({user.email})" if full else user.email


def kickoff(
    incident: Incident, *, developer_id: int, previous_id: int | None, at: datetime, event_id: int
) -> None:
    """R8: the assigned developer joins the desk and the kickoff post starts the thread; a
    reassignment writes a handover post and swaps the temporary member."""
    developer = User.objects.get(pk=developer_id)
    thread, _ = Thread.objects.get_or_create(incident=incident, defaults={"started_at": at})
    if thread.read_only:
        return
    why = f"assigned developer of INC-{incident.pk}"
    _join_temporary(developer, incident, at=at, why=why)
    if previous_id is not None and previous_id != developer_id:
        _leave_temporary(
            previous_id, incident, at=at, why=f"handed INC-{incident.pk} over to {developer.email}"
        )
        previous = User.objects.filter(pk=previous_id).first()
        body = (
            f"**Handover.** {_name(developer)} is now the accountable developer of "
            f"INC-{incident.pk}, taking over from {_name(previous)}.\n\n"
            f"- Issue: {issue_line(incident)}\n- Incident: {incident_link(incident)}"
        )
        _system_post(thread, MessageKind.HANDOVER, body, at=at, event_id=event_id)
        return
    issue = incident.issue
    body = (
        f"**Kickoff: INC-{incident.pk} {issue.title}**\n\n"
        f"{issue.description}\n\n"
        f"- Accountable developer: {_name(developer)}\n"
        f"- Incident Manager: {_name(incident.manager)}\n"
        f"- Issue: {issue_line(incident)}\n"
        f"- Incident: {incident_link(incident)}"
    )
    _system_post(thread, MessageKind.KICKOFF, body, at=at, event_id=event_id)


def step_post(
    incident: Incident, kind: MessageKind, body: str, *, at: datetime, event_id: int
) -> None:
    """A post recording a step of the incident (publication, update) in its thread."""
    thread, _ = Thread.objects.get_or_create(incident=incident, defaults={"started_at": at})
    if thread.read_only:
        return
    _system_post(thread, kind, body, at=at, event_id=event_id)


def release(incident: Incident, *, at: datetime, event_id: int, resolution: str) -> None:
    """R9: resolving removes the temporary member, writes the closing post and makes the thread
    read-only (it stays readable)."""
    thread, _ = Thread.objects.get_or_create(incident=incident, defaults={"started_at": at})
    if thread.read_only:
        return
    _system_post(
        thread,
        MessageKind.RESOLUTION,
        f"**Resolved.** {resolution}",
        at=at,
        event_id=event_id,
    )
    released = [
        m.user_id
        for m in Membership.objects.filter(incident=incident, kind=MembershipKind.TEMPORARY)
    ]
    for user_id in released:
        _leave_temporary(user_id, incident, at=at, why=f"INC-{incident.pk} is resolved")
    who = ", ".join(_name(u) for u in User.objects.filter(pk__in=released)) or "nobody"
    _system_post(
        thread,
        MessageKind.CLOSING,
        f"**Closing.** INC-{incident.pk} is resolved; the thread is now read-only. "
        f"Released from the desk: {who}.",
        at=at,
        event_id=event_id,
    )
    thread.closed_at = at
    thread.save(update_fields=["closed_at"])
    record(DeskEvent.THREAD_CLOSED, subject=incident, at=at, actor=None, thread_id=thread.pk)


def open_incidents() -> QuerySet[Incident]:
    return (
        Incident.objects.exclude(status=IncidentStatus.RESOLVED)
        .select_related("developer", "manager", "issue", "thread")
        .order_by("-confirmed_at", "-id")
    )


# --- the follow-up (R10) ----------------------------------------------------------------------

# After this many missed intervals, the whole desk is reminded too.
ESCALATE_AFTER_MISSED = 2


def _missed(incident: Incident, now: datetime) -> int:
    """How many update intervals have passed since the update was due (1 once it is due)."""
    if incident.next_update_due_at is None:
        return 0
    interval = timedelta(minutes=incident.reminder_interval_minutes)
    return int((now - incident.next_update_due_at) / interval) + 1


def _next_reminder(incident: Incident, claimed: datetime, now: datetime) -> tuple[datetime, int]:
    """The first reminder time after `now` on the incident's interval grid, and how many reminder
    times after the claimed one have passed unsent (0 unless the worker was down): a worker that
    was down for hours sends one catch-up reminder that says so, not one per lost interval."""
    interval = timedelta(minutes=incident.reminder_interval_minutes)
    skipped = int((now - claimed) / interval)
    return claimed + (skipped + 1) * interval, skipped


def due_reminders(now: datetime) -> QuerySet[Incident]:
    return Incident.objects.filter(
        reminders_enabled=True, next_reminder_at__isnull=False, next_reminder_at__lte=now
    ).exclude(status__in=[IncidentStatus.RESOLVED, IncidentStatus.CONFIRMED])


def claim_reminder(incident_id: int, now: datetime) -> Reminder | None:
    """Claims, not locks: move the incident's `next_reminder_at` on with a compare-and-set; the
    worker whose update changed the row writes the reminder, everyone else skips. The claim, the
    reminder, its thread post and its event commit together."""
    with transaction.atomic():
        incident = (
            Incident.objects.select_related("manager", "issue").filter(pk=incident_id).first()
        )
        if incident is None or incident.next_reminder_at is None:
            return None
        claimed = incident.next_reminder_at
        if claimed > now or incident.is_resolved or not incident.reminders_enabled:
            return None
        new, skipped = _next_reminder(incident, claimed, now)
        won = Incident.objects.filter(pk=incident_id, next_reminder_at=claimed).update(
            next_reminder_at=new
        )
        if won != 1:
            return None  # another worker claimed it, or an update reset the clock
        missed = max(_missed(incident, now), 1)
        escalated = missed >= ESCALATE_AFTER_MISSED
        recipients = [incident.manager_id]
        if escalated:
            recipients += [
                pk
                for pk in Membership.objects.filter(user__is_active=True)
                .values_list("user_id", flat=True)
                .distinct()
                if pk not in recipients
            ]
        reminder = Reminder.objects.create(
            incident=incident,
            due_at=claimed,
            sent_at=now,
            missed=missed,
            skipped=skipped,
            escalated=escalated,
            recipients=recipients,
        )
        if skipped:
            log.info(
                "catch-up reminder for incident %s: %d reminder time(s) passed unsent",
                incident_id,
                skipped,
            )
        thread, _ = Thread.objects.get_or_create(incident=incident, defaults={"started_at": now})
        if not thread.read_only:
            body = _reminder_text(incident, reminder)
            _system_post(thread, MessageKind.REMINDER, body, at=now, event_id=None)
        record(
            DeskEvent.REMINDER_SENT,
            subject=incident,
            also=["desk"],
            at=now,
            actor=None,
            reminder_id=reminder.pk,
            due_at=claimed.isoformat(),
            missed=missed,
            skipped=skipped,
            escalated=escalated,
            recipient_ids=recipients,
        )
    return reminder


def _reminder_text(incident: Incident, reminder: Reminder) -> str:
    interval = incident.reminder_interval_minutes
    due = incident.next_update_due_at
    since = f" (due since {due:%Y-%m-%d %H:%M} UTC)" if due else ""
    text = (
        f"**Reminder:** INC-{incident.pk} needs a status page update{since}; updates are due "
        f"every {interval} minutes (R10). {_name(incident.manager)}, please post one: "
        f"{incident_link(incident)}"
    )
    if reminder.missed > 1:
        text += f"\n\n**{reminder.missed} update intervals have passed without a public update.**"
    if reminder.skipped:
        times = "time" if reminder.skipped == 1 else "times"
        text += (
            f" statusdesk's worker was not running at {reminder.skipped} earlier reminder "
            f"{times}; this one reminder stands for them."
        )
    if reminder.escalated:
        text += "\n\n**Escalated to the whole desk.**"
    return text


def mail_reminder(reminder_id: int) -> bool:
    """Send a reminder's e-mail once: whoever sets `mailed_at` (compare-and-set) sends it."""
    now = timezone.now()
    if not Reminder.objects.filter(pk=reminder_id, mailed_at__isnull=True).update(mailed_at=now):
        return False
    reminder = Reminder.objects.select_related("incident", "incident__issue").get(pk=reminder_id)
    incident = reminder.incident
    to = list(
        User.objects.filter(pk__in=reminder.recipients, is_active=True)
        .order_by("email")
        .values_list("email", flat=True)
    )
    if not to:
        return False
    what = "Escalated: " if reminder.escalated else ""
    missed = f" ({reminder.missed} intervals missed)" if reminder.missed > 1 else ""
    try:
        send_mail(
            subject=f"{what}INC-{incident.pk} needs a status page update{missed}",
            message=_reminder_text(incident, reminder).replace("**", ""),
            from_email=None,
            recipient_list=to,
        )
    except Exception:
        # Give the claim back: the next round tries again.
        Reminder.objects.filter(pk=reminder_id, mailed_at=now).update(mailed_at=None)
        raise
    return True


def send_due_reminders(now: datetime | None = None) -> list[Reminder]:
    """The periodic task's work: claim every due reminder, then mail what this call claimed
    and any reminder whose mail a previous worker did not get to."""
    moment = now or timezone.now()
    sent = []
    for pk in list(due_reminders(moment).values_list("pk", flat=True)):
        reminder = claim_reminder(pk, moment)
        if reminder is not None:
            sent.append(reminder)
    for pk in list(
        Reminder.objects.filter(mailed_at__isnull=True)
        .order_by("sent_at")
        .values_list("pk", flat=True)[:200]
    ):
        try:
            mail_reminder(pk)
        except Exception:
            log.warning("could not mail reminder %s", pk, exc_info=True)
    mail_pending_mentions()
    return sent


def overdue_for(user: User) -> QuerySet[Incident]:
    """The console's banner: open incidents whose update is overdue, that `user` manages (or,
    once escalated, that the desk member `user` is reminded of)."""
    found = update_overdue_among(Incident.objects.all(), timezone.now())
    if is_member(user):
        escalated = Reminder.objects.filter(escalated=True).values("incident_id")
        return found.filter(Q(manager=user) | Q(pk__in=escalated)).order_by("next_update_due_at")
    return found.filter(manager=user).order_by("next_update_due_at")


# --- the mirror to an external chat room (optional) -------------------------------------------

MIRROR_ATTEMPTS = 8
MIRROR_FIRST_RETRY = timedelta(seconds=15)
MIRROR_LONGEST_RETRY = timedelta(minutes=30)
# A sender's claim on the mirror lapses after this (a killed worker's claim is taken again).
MIRROR_LEASE = timedelta(seconds=120)
MIRROR_FAILED_SHOWN = 20


def mirror() -> Mirror | None:
    return Mirror.objects.first()


def mirror_wants(event: Any) -> bool:
    """The reaction's filter, asked when a post is recorded: only while a mirror is on."""
    return Mirror.objects.filter(active=True).exists()


def _require_mirror_admin(actor: User) -> None:
    if not actor.is_active or not (
        actor.is_superuser or actor.groups.filter(name=Role.ADMINISTRATOR.value).exists()
    ):
        raise NotAllowed("only administrators set the desk's mirror")


def _mirror_url(problems: Problems, url: str) -> str:
    from statusdesk.notifications.services import apprise_url_problem

    text = (url or "").strip()
    if len(text) > MIRROR_URL_MAX:
        problems.add("url", f"the Apprise URL must be at most {MIRROR_URL_MAX} characters")
    else:
        problem = apprise_url_problem(text)
        if problem:
            problems.add("url", problem)
    return text


@transaction.atomic
def set_mirror(*, actor: User, url: str | None, active: bool) -> Mirror:
    """An administrator sets (or turns on or off) the mirror. An empty `url` keeps the current
    one (it is never shown back, so a form cannot send it again)."""
    _require_mirror_admin(actor)
    current = Mirror.objects.select_for_update().first()
    problems = Problems()
    new_url = (url or "").strip()
    if new_url or current is None:
        new_url = _mirror_url(problems, new_url)
    problems.raise_if_any()
    now = timezone.now()
    if current is None:
        current = Mirror(url=new_url, changed_at=now)
    elif new_url:
        current.url = new_url
    current.active = active
    current.changed_at = now
    current.changed_by = actor
    current.save()
    record(
        DeskEvent.MIRROR_CHANGED,
        subject="desk",
        at=now,
        actor=actor,
        active=active,
        scheme=masked_url(current.url),
        removed=False,
    )
    return current


@transaction.atomic
def remove_mirror(*, actor: User) -> None:
    """An administrator removes the mirror: nothing more is copied; what waited is not sent."""
    _require_mirror_admin(actor)
    current = Mirror.objects.select_for_update().first()
    if current is None:
        raise NotFound("there is no mirror to remove", field="url")
    now = timezone.now()
    MirrorPost.objects.filter(state=MirrorState.QUEUED).update(
        state=MirrorState.FAILED, last_error="not sent: the mirror was removed"
    )
    current.delete()
    record(
        DeskEvent.MIRROR_CHANGED,
        subject="desk",
        at=now,
        actor=actor,
        active=False,
        scheme="",
        removed=True,
    )


def send_mirror_test(*, actor: User) -> None:
    """An administrator's "send a test message": sent now, its failure shown to them (without
    the URL)."""
    from statusdesk.notifications.transports import TransportError, notify_chat

    _require_mirror_admin(actor)
    current = mirror()
    if current is None:
        raise IllegalTransition("set the mirror's Apprise URL first", field="url")
    try:
        notify_chat(
            current.url,
            title=f"Test message from the Incident Desk of {settings.STATUSDESK_PAGE_NAME}",
            body="The desk's posts will be copied to this room.",
        )
    except TransportError as exc:
        raise RuleViolation(f"the test message was not sent: {str(exc)}", field="url") from exc


def owe_mirror_post(message_id: int) -> MirrorPost | None:
    """The reaction's work: one mirror post per desk post (a re-run writes nothing more)."""
    if not Mirror.objects.filter(active=True).exists():
        return None
    now = timezone.now()
    post, created = MirrorPost.objects.get_or_create(
        message_id=message_id, defaults={"next_attempt_at": now, "created_at": now}
    )
    if created:
        transaction.on_commit(_queue_mirror, robust=True)
    return post


def _queue_mirror(delay: float | None = None) -> None:
    try:
        from statusdesk.desk.tasks import mirror_posts

        if delay:
            mirror_posts.schedule(delay=delay)
        else:
            mirror_posts()
    except Exception:
        log.warning("could not queue the mirror; the periodic task will send", exc_info=True)


def _mirror_backoff(attempts: int) -> timedelta:
    delay = MIRROR_FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(delay, MIRROR_LONGEST_RETRY)


def _mirror_text(message: Message) -> tuple[str, str]:
    incident_id = message.thread.incident_id
    title = f"INC-{incident_id} · {message.get_kind_display()}"
    who = _name(message.author) if message.author_id else "statusdesk"
    link = absolute(reverse("desk_thread", args=[incident_id]))
    return title, f"{who}:\n{message.text}\n\n{link}"


def _claim_mirror(now: datetime) -> tuple[Mirror, str] | None:
    token = uuid.uuid4().hex
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    if (
        not Mirror.objects.filter(active=True)
        .filter(free)
        .update(claim=token, claimed_until=now + MIRROR_LEASE)
    ):
        return None
    found = Mirror.objects.filter(claim=token).first()
    return (found, token) if found is not None else None


def send_mirror_posts() -> int:
    """The worker's part: whoever claims the mirror sends the owed posts oldest first, one at a
    time, until none is due; a failure holds the ones behind it (order), retried with backoff
    and, after MIRROR_ATTEMPTS, failed together with those waiting behind it. Returns how many
    were sent."""
    from statusdesk.notifications.transports import TransportError, notify_chat

    sent = 0
    while True:
        now = timezone.now()
        claimed = _claim_mirror(now)
        if claimed is None:
            return sent  # another worker is sending (it looks again when it lets go)
        current, token = claimed
        retry_in: float | None = None
        try:
            while True:
                head = (
                    MirrorPost.objects.filter(state=MirrorState.QUEUED)
                    .select_related("message", "message__author", "message__thread")
                    .order_by("message_id")
                    .first()
                )
                now = timezone.now()
                if head is None:
                    break
                if head.next_attempt_at > now:
                    retry_in = (head.next_attempt_at - now).total_seconds()
                    break
                if current.claimed_until is not None and now > current.claimed_until - (
                    MIRROR_LEASE / 2
                ):
                    Mirror.objects.filter(pk=current.pk, claim=token).update(
                        claimed_until=now + MIRROR_LEASE
                    )
                    current.claimed_until = now + MIRROR_LEASE
                title, body = _mirror_text(head.message)
                try:
                    notify_chat(current.url, title=title, body=body)
                except TransportError as exc:
                    retry_in = _mirror_failed(head, str(exc), exc.permanent)
                    break
                except Exception as exc:  # a fault of ours: retried the same way
                    log.warning("mirror post %s could not be sent (%s)", head.pk, type(exc))
                    retry_in = _mirror_failed(head, type(exc).__name__, False)
                    break
                MirrorPost.objects.filter(pk=head.pk, state=MirrorState.QUEUED).update(
                    state=MirrorState.SENT, sent_at=timezone.now(), last_error=""
                )
                sent += 1
        finally:
            Mirror.objects.filter(pk=current.pk, claim=token).update(claim="", claimed_until=None)
        if retry_in is not None:
            _queue_mirror(delay=retry_in + 0.05)
            return sent
        # Let go, then look once more: a post committed while we held the claim is not left.
        if not MirrorPost.objects.filter(
            state=MirrorState.QUEUED, next_attempt_at__lte=timezone.now()
        ).exists():
            return sent


def _mirror_failed(post: MirrorPost, error: str, permanent: bool) -> float | None:
    """A failed attempt on the oldest owed post: retried after a backoff (its delay returned),
    or, after the last attempt, failed with every post waiting behind it (the room has not
    taken a post for that long; an administrator retries them, in order)."""
    attempts = post.attempts + 1
    now = timezone.now()
    if permanent or attempts >= MIRROR_ATTEMPTS:
        MirrorPost.objects.filter(pk=post.pk).update(
            state=MirrorState.FAILED, attempts=attempts, last_error=error[-1000:]
        )
        MirrorPost.objects.filter(state=MirrorState.QUEUED, created_at__lte=now).update(
            state=MirrorState.FAILED,
            last_error=f"not sent: the post before it failed ({error[-300:]})",
        )
        log.warning("mirror post %s failed after %d attempt(s)", post.pk, attempts)
        return None
    due = now + _mirror_backoff(attempts)
    MirrorPost.objects.filter(pk=post.pk).update(
        attempts=attempts, next_attempt_at=due, last_error=error[-1000:]
    )
    return (due - now).total_seconds()


def retry_mirror_posts(*, actor: User) -> int:
    """An administrator's "retry": the failed posts are owed again, sent in order."""
    _require_mirror_admin(actor)
    count = MirrorPost.objects.filter(state=MirrorState.FAILED).update(
        state=MirrorState.QUEUED, attempts=0, next_attempt_at=timezone.now()
    )
    if count:
        transaction.on_commit(_queue_mirror, robust=True)
    return count


def mirror_figures() -> dict[str, Any]:
    """What the mirror page shows: how many posts wait, were sent, failed; the latest failures."""
    from django.db.models import Count

    counts = dict.fromkeys(MirrorState.values, 0)
    for state, n in MirrorPost.objects.values_list("state").annotate(n=Count("id")).order_by():
        counts[state] = n
    failed = list(
        MirrorPost.objects.filter(state=MirrorState.FAILED)
        .select_related("message", "message__thread")
        .order_by("-message_id")[:MIRROR_FAILED_SHOWN]
    )
    return {"counts": counts, "failed": failed}


def mirror_owed() -> bool:
    return MirrorPost.objects.filter(
        state=MirrorState.QUEUED, next_attempt_at__lte=timezone.now()
    ).exists()
