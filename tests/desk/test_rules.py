"""The Incident Desk's rules R7, R8, R9, named after the rule (docs/rules.md).

The kickoff, the handover and the release are reactions after commit (docs/events.md): those
tests commit for real (transaction=True), and the queued reactions run in this process."""

from __future__ import annotations

import pytest

from statusdesk.core.errors import IllegalTransition, NotAllowed, NotFound, RuleViolation
from statusdesk.core.models import Event
from statusdesk.desk import services as desk
from statusdesk.desk.events import DeskEvent
from statusdesk.desk.models import Membership, MembershipKind, Message, MessageKind, Thread
from statusdesk.incidents import services
from tests.factories import (
    a_desk_of,
    a_published_incident,
    a_resolved_incident,
    an_assigned_incident,
    another_developer,
    resolution_fields,
)

# --- R7 desk size -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_r7_membership_is_a_record_with_kind_since_and_why(admin_user) -> None:
    members = a_desk_of(admin_user, 4)
    membership = Membership.objects.get(user=members[0])
    assert membership.kind == MembershipKind.STANDING
    assert membership.why == "knows the business"
    assert membership.since is not None and membership.incident is None
    joined = Event.objects.filter(kind=DeskEvent.JOINED, data__user_id=members[0].pk).get()
    assert joined.actor == admin_user and joined.data["membership"] == "standing"


@pytest.mark.django_db
def test_r7_refuses_to_leave_fewer_than_four_standing_members(admin_user) -> None:
    members = a_desk_of(admin_user, 4)
    with pytest.raises(IllegalTransition) as refused:
        desk.remove_standing_member(actor=admin_user, user=members[0], why="moved team")
    assert refused.value.rule == "R7"
    assert "at least 4 standing members" in refused.value.message
    assert "would leave 3" in refused.value.message
    assert desk.standing_members().count() == 4
    assert not Event.objects.filter(kind=DeskEvent.LEFT).exists()


@pytest.mark.django_db
def test_r7_a_fifth_member_may_leave_and_the_leaving_is_recorded(admin_user) -> None:
    members = a_desk_of(admin_user, 5)
    desk.remove_standing_member(actor=admin_user, user=members[4], why="moved team")
    assert desk.standing_members().count() == 4
    left = Event.objects.get(kind=DeskEvent.LEFT)
    assert left.data == {
        "user_id": members[4].pk,
        "membership": "standing",
        "why": "moved team",
        "incident_id": None,
    }


@pytest.mark.django_db
def test_r7_only_administrators_manage_the_desk(admin_user, manager, desk_member) -> None:
    for actor in (manager, desk_member):
        with pytest.raises(NotAllowed) as refused:
            desk.add_standing_member(actor=actor, user=desk_member, why="w")
        assert refused.value.rule == "R7"


@pytest.mark.django_db
def test_r7_bad_input_is_named(admin_user, desk_member) -> None:
    with pytest.raises(RuleViolation) as refused:
        desk.add_standing_member(actor=admin_user, user=desk_member, why="  ")
    assert refused.value.field == "why"
    with pytest.raises(NotFound):
        desk.add_standing_member(actor=admin_user, user="nobody@example.com", why="w")
    desk.add_standing_member(actor=admin_user, user=desk_member, why="w")
    with pytest.raises(IllegalTransition, match="already a standing member"):
        desk.add_standing_member(actor=admin_user, user=desk_member.email, why="w")


@pytest.mark.django_db
def test_r7_seed_demo_makes_the_four_desk_members_standing(db) -> None:
    from django.core.management import call_command

    call_command("seed_demo", "--quiet", "--no-history")
    emails = sorted(desk.standing_members().values_list("user__email", flat=True))
    assert emails == [f"desk{n}@example.com" for n in range(1, 5)]
    call_command("seed_demo", "--quiet", "--no-history")  # idempotent
    assert desk.standing_members().count() == 4


# --- R8 desk kickoff --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_r8_assignment_adds_the_developer_and_writes_the_kickoff(
    settings, admin_user, manager, developer
) -> None:
    settings.STATUSDESK_PUBLIC_URL = "https://status.example.com"
    a_desk_of(admin_user, 4)
    incident = an_assigned_incident(manager, developer)
    membership = Membership.objects.get(user=developer)
    assert membership.kind == MembershipKind.TEMPORARY and membership.incident == incident
    thread = Thread.objects.get(incident=incident)
    first = thread.messages.order_by("id").first()
    assert first is not None and first.kind == MessageKind.KICKOFF and first.author is None
    assert incident.issue.description in first.text
    assert f"Accountable developer: {developer.full_name} ({developer.email})" in first.text
    assert "- Issue: https://gitlab.example.com/product/-/issues/42" in first.text
    assert f"- Incident: https://status.example.com/manage/incidents/{incident.pk}/" in first.text
    # Both addresses are links (absolute, rel kept by the sanitiser).
    rel = 'rel="noopener noreferrer nofollow"'
    assert f'<a href="https://gitlab.example.com/product/-/issues/42" {rel}>' in first.html
    assert (
        f'<a href="https://status.example.com/manage/incidents/{incident.pk}/" {rel}>' in first.html
    )
    assert desk.can_read_thread(developer, incident)


@pytest.mark.django_db(transaction=True)
def test_r8_without_a_tracker_link_the_kickoff_says_so(
    settings, admin_user, manager, developer
) -> None:
    from tests.factories import a_report, confirmation_fields

    settings.STATUSDESK_PUBLIC_URL = "https://status.example.com"
    a_desk_of(admin_user, 4)
    incident = services.confirm_incident(
        actor=manager, report=a_report(manager), **confirmation_fields(issue_url="")
    )
    services.assign_developer(actor=manager, incident=incident, developer=developer)
    kickoff = Message.objects.get(kind=MessageKind.KICKOFF)
    assert "- Issue: no issue link yet" in kickoff.text
    assert "#issue" not in kickoff.text  # not a console anchor posing as the issue's address
    assert kickoff.html.count("<a href=") == 1  # the incident's address only


@pytest.mark.django_db(transaction=True)
def test_r8_reassignment_writes_a_handover_and_swaps_the_temporary_member(
    admin_user, manager, developer
) -> None:
    a_desk_of(admin_user, 4)
    incident = an_assigned_incident(manager, developer)
    second = another_developer()
    incident = services.assign_developer(actor=manager, incident=incident, developer=second)
    assert list(
        Membership.objects.filter(kind=MembershipKind.TEMPORARY).values_list("user", flat=True)
    ) == [second.pk]
    kinds = list(Thread.objects.get(incident=incident).messages.values_list("kind", flat=True))
    assert kinds == [MessageKind.KICKOFF, MessageKind.HANDOVER]
    handover = Message.objects.get(kind=MessageKind.HANDOVER)
    assert second.email in handover.text and developer.email in handover.text
    assert not desk.can_read_thread(developer, incident)  # no longer on the desk, not assigned


@pytest.mark.django_db(transaction=True)
def test_r8_a_standing_member_assigned_stays_standing(admin_user, manager) -> None:
    from django.contrib.auth.models import Group

    from statusdesk.accounts.roles import Role

    members = a_desk_of(admin_user, 4)
    members[0].groups.add(Group.objects.get(name=Role.DEVELOPER.value))
    incident = an_assigned_incident(manager, members[0])
    assert not Membership.objects.filter(kind=MembershipKind.TEMPORARY).exists()
    assert Thread.objects.get(incident=incident).messages.get().kind == MessageKind.KICKOFF


# --- R9 desk release --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_r9_resolution_releases_the_developer_and_closes_the_thread(
    admin_user, manager, developer, components
) -> None:
    a_desk_of(admin_user, 4)
    incident = a_resolved_incident(manager, developer, components)
    assert not Membership.objects.filter(kind=MembershipKind.TEMPORARY).exists()
    thread = Thread.objects.get(incident=incident)
    assert thread.read_only
    kinds = list(thread.messages.values_list("kind", flat=True))
    assert kinds == [
        MessageKind.KICKOFF,
        MessageKind.PUBLICATION,
        MessageKind.RESOLUTION,
        MessageKind.CLOSING,
    ]
    assert developer.email in thread.messages.get(kind=MessageKind.CLOSING).text
    # Still readable by the manager and the desk, read-only for everyone.
    _, messages = desk.thread_messages(actor=manager, incident=incident)
    assert len(messages) == 4
    with pytest.raises(IllegalTransition) as refused:
        desk.post_message(actor=manager, incident=incident, text="one more thing")
    assert refused.value.rule == "R9"
    assert Event.objects.filter(kind=DeskEvent.LEFT, data__user_id=developer.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_r9_a_standing_member_is_not_released(admin_user, manager, components) -> None:
    from django.contrib.auth.models import Group

    from statusdesk.accounts.roles import Role

    members = a_desk_of(admin_user, 4)
    members[0].groups.add(Group.objects.get(name=Role.DEVELOPER.value))
    incident = a_published_incident(manager, members[0], components)
    services.resolve_incident(actor=manager, incident=incident, **resolution_fields())
    assert desk.standing_members().count() == 4
    assert Thread.objects.get(incident=incident).read_only


# --- R7 and the accounts ----------------------------------------------------------------------


@pytest.mark.django_db
def test_r7_deactivating_a_needed_standing_members_account_is_refused(admin_user) -> None:
    members = a_desk_of(admin_user, 4)
    person = members[0]
    person.is_active = False
    with pytest.raises(IllegalTransition) as refused:
        person.save()  # wherever an account is changed: the check is on the save itself
    assert refused.value.rule == "R7" and refused.value.field == "is_active"
    assert "at least 4 active standing members" in refused.value.message
    assert "would leave 3" in refused.value.message
    assert "Add another standing member first" in refused.value.message
    person.refresh_from_db()
    assert person.is_active


@pytest.mark.django_db
def test_r7_with_a_fifth_member_an_account_may_close_and_then_counts_no_more(admin_user) -> None:
    members = a_desk_of(admin_user, 5)
    members[4].is_active = False
    members[4].save()
    assert desk.active_standing_members().count() == 4
    # The inactive member still holds a membership, but no longer counts: the next is refused,
    # whether deactivated or removed from the desk.
    members[3].is_active = False
    with pytest.raises(IllegalTransition, match="would leave 3"):
        members[3].save()
    with pytest.raises(IllegalTransition, match="would leave 3") as refused:
        desk.remove_standing_member(actor=admin_user, user=members[3], why="moved team")
    assert refused.value.rule == "R7"
    # Other accounts are not the desk's business.
    admin_user.full_name = "Renamed"
    admin_user.save()


@pytest.mark.django_db
def test_r7_the_admin_refuses_deactivating_and_deleting_with_the_reason(admin_user) -> None:
    from django.test import Client
    from django.urls import reverse

    members = a_desk_of(admin_user, 4)
    person = members[0]
    console = Client()
    console.force_login(admin_user)
    change = reverse("admin:accounts_user_change", args=[person.pk])
    form = {
        "email": person.email,
        "full_name": person.full_name,
        "is_staff": "",
        "is_active": "",  # unticked
        "groups": list(person.groups.values_list("pk", flat=True)),
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    answer = console.post(change, form)
    html = answer.content.decode()
    assert answer.status_code == 200  # the form again, with the reason
    assert "must keep at least 4 active standing members" in html
    assert "Add another standing member first" in html
    person.refresh_from_db()
    assert person.is_active
    delete = reverse("admin:accounts_user_delete", args=[person.pk])
    answer = console.post(delete, {"post": "yes"}, follow=True)
    assert "deleting this account would leave 3" in answer.content.decode()
    assert type(person).objects.filter(pk=person.pk).exists()
