"""Administrators edit components (R6) in the admin; history stays append-only there too."""

from __future__ import annotations

import pytest

from statusdesk.incidents.models import Component

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/admin/incidents/component/",
        "/admin/incidents/report/",
        "/admin/incidents/incident/",
        "/admin/core/event/",
        "/admin/accounts/user/",
        "/admin/accounts/apitoken/",
    ],
)
def test_admin_pages_open_for_administrators(client, admin_user, components, path):
    client.force_login(admin_user)
    assert client.get(path).status_code == 200


def test_admin_renames_a_component_but_not_its_status(client, admin_user, components):
    client.force_login(admin_user)
    docs = components[2]
    response = client.post(
        f"/admin/incidents/component/{docs.pk}/change/",
        {
            "name": "Documentation",
            "code_name": "Docs",
            "description": "Guides",
            "position": 3,
            "status": "major_outage",
        },
    )
    assert response.status_code == 302
    docs.refresh_from_db()
    assert docs.name == "Documentation"
    assert docs.status == "operational"  # only incidents change a status


def test_event_log_cannot_be_changed_in_the_admin(client, admin_user, manager):
    from .test_events import record_one

    event = record_one(manager)
    client.force_login(admin_user)
    assert client.post(f"/admin/core/event/{event.pk}/delete/", {"post": "yes"}).status_code == 403


def test_managers_cannot_open_the_admin(client, manager):
    client.force_login(manager)
    assert client.get("/admin/incidents/component/").status_code == 302


def test_component_with_incidents_cannot_be_deleted(
    client, admin_user, manager, developer, components
):
    from tests.factories import a_published_incident

    a_published_incident(manager, developer, components, severity="operational")
    client.force_login(admin_user)
    platform = components[0]
    response = client.post(f"/admin/incidents/component/{platform.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Component.objects.filter(pk=platform.pk).exists()


def test_administrator_adds_a_component(client, admin_user, components):
    client.force_login(admin_user)
    response = client.post(
        "/admin/incidents/component/add/",
        {"key": "billing", "name": "Billing", "code_name": "", "description": "", "position": 9},
    )
    assert response.status_code == 302
    assert Component.objects.get(key="billing").status == "operational"
