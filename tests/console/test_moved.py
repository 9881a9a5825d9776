"""The console moved under /manage/ (the public status page owns the site's root). Its old
addresses answer a temporary redirect for a while, so bookmarks keep working: 302 for GET and
HEAD, 307 for a POST (the browser posts the same form again to the new address); the query
string is kept. The public pages, which have no trailing slash, are not redirected."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from statusdesk.accounts.models import User
from statusdesk.incidents.models import Incident, Report

pytestmark = pytest.mark.django_db


def test_the_console_lives_under_manage() -> None:
    assert reverse("dashboard") == "/manage/"
    assert reverse("login") == "/manage/login/"
    assert reverse("logout") == "/manage/logout/"
    assert reverse("incident_list") == "/manage/incidents/"
    assert reverse("incident_detail", args=[3]) == "/manage/incidents/3/"
    assert reverse("report_list") == "/manage/reports/"
    assert reverse("report_new") == "/manage/reports/new/"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/reports/", "/manage/reports/"),
        ("/reports/?status=open&page=2", "/manage/reports/?status=open&page=2"),
        ("/reports/new/", "/manage/reports/new/"),
        ("/reports/7/", "/manage/reports/7/"),
        ("/reports/7/confirm/", "/manage/reports/7/confirm/"),
        ("/reports/7/dismiss/", "/manage/reports/7/dismiss/"),
        ("/incidents/", "/manage/incidents/"),
        ("/incidents/?status=resolved", "/manage/incidents/?status=resolved"),
        ("/incidents/5/", "/manage/incidents/5/"),
        ("/incidents/5/?history=all", "/manage/incidents/5/?history=all"),
        ("/incidents/5/assign/", "/manage/incidents/5/assign/"),
        ("/incidents/5/publish/", "/manage/incidents/5/publish/"),
        ("/incidents/5/updates/", "/manage/incidents/5/updates/"),
        ("/incidents/5/resolve/", "/manage/incidents/5/resolve/"),
        ("/login/", "/manage/login/"),
        ("/login/?next=/manage/incidents/", "/manage/login/?next=/manage/incidents/"),
        ("/logout/", "/manage/logout/"),
    ],
)
def test_an_old_console_address_redirects_for_a_while(client: Client, old: str, new: str) -> None:
    for method in ("get", "head"):
        response = getattr(client, method)(old)
        assert response.status_code == 302, (method, old)  # temporary, never 301
        assert response["Location"] == new
    response = client.post(old, {"x": "1"})
    assert response.status_code == 307  # the same method and body at the new address
    assert response["Location"] == new


def test_a_form_posted_to_an_old_address_still_reaches_its_step(
    manager: User, developer: User, confirmed: Incident
) -> None:
    """A page opened before the move posts to /incidents/<id>/resolve/: the browser follows the
    307 with the same body, and the step runs (with its CSRF check, at the new address)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    page = client.get(reverse("incident_detail", args=[confirmed.pk]))
    token = page.cookies["csrftoken"].value
    data = {"csrfmiddlewaretoken": token, "developer": developer.email}
    response = client.post(f"/incidents/{confirmed.pk}/assign/", data)
    assert response.status_code == 307
    response = client.post(response["Location"], data)
    assert response.status_code == 302
    assert response["Location"] == reverse("incident_detail", args=[confirmed.pk])
    confirmed.refresh_from_db()
    assert confirmed.developer == developer


def test_signing_in_through_the_old_address_lands_on_the_console(
    client: Client, manager: User
) -> None:
    from tests.conftest import PASSWORD

    response = client.get("/login/", follow=True)
    assert response.redirect_chain == [("/manage/login/", 302)]
    response = client.post(
        "/manage/login/", {"username": manager.email, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1] == ("/manage/", 302)
    assert b"Dashboard" in response.content


def test_a_console_page_asks_for_a_login_under_manage(client: Client) -> None:
    response = client.get(reverse("incident_list"))
    assert response.status_code == 302
    assert response["Location"] == "/manage/login/?next=/manage/incidents/"


def test_the_public_pages_keep_their_address_without_a_slash(
    client: Client, published: Incident
) -> None:
    """APPEND_SLASH never sends /incidents to the console's /incidents/ (which would redirect to
    /manage/incidents/ and a login page)."""
    for path in ("/", "/incidents", f"/incidents/{published.pk}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Location" not in response


def test_an_unknown_address_is_still_a_404(client: Client) -> None:
    assert client.get("/incidents/abc").status_code == 404
    assert client.get("/reports").status_code in (301, 404)  # APPEND_SLASH, then the redirect
    assert client.get("/manage/no/such/page/").status_code == 404


def test_the_other_addresses_stay(client: Client, open_report: Report) -> None:
    assert client.get("/healthz").status_code in (200, 503)
    assert client.get("/rules/").status_code == 200
    assert client.get("/admin/").status_code == 302  # to the admin's own login
    assert client.get("/api/v1/openapi.json").status_code == 200
