"""Administrators manage the desk's standing members in the admin, through the desk's services."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from statusdesk.desk import services as desk
from statusdesk.desk.models import Membership
from tests.factories import a_desk_of

pytestmark = pytest.mark.django_db


def _admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_removing_the_fourth_standing_member_is_refused_with_a_clear_message(admin_user) -> None:
    members = a_desk_of(admin_user, 4)
    membership = Membership.objects.get(user=members[0])
    client = _admin_client(admin_user)
    url = reverse("admin:desk_membership_delete", args=[membership.pk])
    for answer in (client.get(url, follow=True), client.post(url, {"post": "yes"}, follow=True)):
        html = answer.content.decode()
        assert answer.status_code == 200
        assert "must keep at least 4 standing members" in html
    assert desk.standing_members().count() == 4


def test_adding_then_removing_a_fifth_member_in_the_admin(admin_user, desk_member) -> None:
    a_desk_of(admin_user, 4)
    client = _admin_client(admin_user)
    answer = client.post(
        reverse("admin:desk_membership_add"),
        {"user": desk_member.pk, "why": "knows billing"},
        follow=True,
    )
    assert answer.status_code == 200
    membership = Membership.objects.get(user=desk_member)
    assert membership.why == "knows billing"
    url = reverse("admin:desk_membership_delete", args=[membership.pk])
    client.post(url, {"post": "yes"}, follow=True)
    assert not Membership.objects.filter(user=desk_member).exists()
    assert desk.standing_members().count() == 4
