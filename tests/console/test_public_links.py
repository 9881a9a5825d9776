"""From the console to the public pages: "Published on the status page" is something a manager
can click."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from statusdesk.accounts.models import User
from statusdesk.incidents.models import Incident
from tests.factories import a_confirmed_incident

pytestmark = pytest.mark.django_db


def test_the_console_links_to_the_public_pages(
    manager_client: Client, manager: User, published: Incident
) -> None:
    """'Published on the status page' is something a manager can click."""
    dashboard = manager_client.get(reverse("dashboard")).content.decode()
    status_page = reverse("statuspage:status_page")
    assert f'href="{status_page}" hx-boost="false" data-testid="status-page-link"' in dashboard
    public = reverse("statuspage:incident", args=[published.pk])
    page = manager_client.get(reverse("incident_detail", args=[published.pk])).content.decode()
    assert f'href="{public}" hx-boost="false" data-testid="public-page-link"' in page
    assert client_sees(public)
    confirmed = a_confirmed_incident(manager)
    draft = manager_client.get(reverse("incident_detail", args=[confirmed.pk])).content.decode()
    assert "public-page-link" not in draft


def client_sees(path: str) -> bool:
    return Client().get(path).status_code == 200
