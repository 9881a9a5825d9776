"""R20: the status page, the Incidents Page and a public incident page: what the public
reads, and above all what they never read: only published data appears."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from statusdesk.accounts.models import User
from statusdesk.incidents.models import Component, Incident
from statusdesk.statuspage.published import INCIDENTS_PAGE_SIZE
from statusdesk.statuspage.snapshot import current_snapshot
from tests.factories import SECRETS, a_past_incident, a_status_page_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(manager: User, developer: User, components: list[Component]) -> dict[str, Incident]:
    return a_status_page_history(manager, developer, components)


STATUS = reverse("statuspage:status_page")
HISTORY = reverse("statuspage:incidents")


def _html(client: Client, path: str, **headers: Any) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_status_page_shows_the_banner_components_and_incidents(
    client: Client, history: dict[str, Incident], components: list[Component]
) -> None:
    html = _html(client, STATUS)
    text = _text(html)
    assert "Partial System Outage" in text  # the active incident is a partial outage
    assert 'data-indicator="major"' in html
    for component in components:
        assert component.name in text
    # The active incident: its updates newest first, its workaround and documentation link.
    card = html.split('data-testid="incident-card"', 1)[1].split("</article>", 1)[0]
    assert "Scans wait in the queue" in card
    assert "Run the CLI scanner locally until the queue drains." in card
    assert 'href="https://docs.example.com/machine/cli"' in card
    assert card.index("Workers restarted") < card.index("Logging in to the Platform fails")
    # Times in the display zone, written as the process writes them, with the date in full.
    assert re.search(
        r'<time datetime="[^"]+" title="\w+ \d+ \w+ \d{4}, \d\d:\d\d UTC-5">'
        r"\d\d-\d\d-\d\d \d\d:\d\d <span",
        card,
    )
    # The last 7 days of resolved incidents, not older ones.
    resolved = html.split('id="resolved-title"', 1)[1]
    assert "Delayed e-mail notifications" in resolved
    assert "Web console unavailable" not in resolved


def test_every_component_has_ninety_days_of_uptime_with_words_not_only_colour(
    client: Client, history: dict[str, Incident], components: list[Component]
) -> None:
    html = _html(client, STATUS)
    bars = re.findall(r'<div class="sp-uptime"[^>]*>(.*?)</div>', html, re.S)
    assert len(bars) == len(components)
    for bar in bars:
        days = re.findall(r'<button type="button" class="sp-day', bar)
        assert len(days) == 90
        assert bar.count('tabindex="0"') == 1  # one Tab stop per bar
    scanning = html.split('<h3 class="sp-component-name">Scanning<', 1)[1].split("</li>", 1)[0]
    assert "Scans wait in the queue" in scanning  # the day it happened says so
    assert "No data" in scanning  # before the component existed
    # Every status in words beside its colour and icon.
    icon = '<span class="sp-icon" aria-hidden="true"></span>'
    assert f'<span class="sp-status tone-ok">{icon}Operational' in html
    assert "Partial outage" in html


def test_r20_the_incidents_page_lists_published_incidents_by_month_newest_first(
    client: Client, history: dict[str, Incident]
) -> None:
    html = _html(client, HISTORY)
    names = re.findall(r'class="sp-list-title" href="/incidents/(\d+)">([^<]+)<', html)
    assert [n for _, n in names] == [
        "Scans wait in the queue",
        "Delayed e-mail notifications",
        "Web console unavailable",
        "Slow documentation search",
    ]
    assert len(re.findall(r'<h2 class="sp-section-title" id="month-\d+">', html)) >= 2


def test_the_incidents_page_filters_by_component_and_severity(
    client: Client, history: dict[str, Incident], components: list[Component]
) -> None:
    docs = next(c for c in components if c.key == "docs")
    text = _text(_html(client, f"{HISTORY}?component={docs.pk}"))
    assert "Slow documentation search" in text
    assert "Web console unavailable" not in text
    text = _text(_html(client, f"{HISTORY}?severity=major_outage"))
    assert "Web console unavailable" in text and "Slow documentation search" not in text
    html = _html(client, f"{HISTORY}?severity=major_outage&component={docs.pk}")
    assert "No published incident matches these filters." in html
    # Nonsense is ignored: the whole list.
    text = _text(_html(client, f"{HISTORY}?severity=bogus&component=abc&page=zz"))
    assert "Slow documentation search" in text and "Web console unavailable" in text


def test_the_incidents_page_comes_a_page_at_a_time_with_its_filters_kept(
    client: Client, manager: Any, developer: Any, components: list[Component]
) -> None:
    for number in range(INCIDENTS_PAGE_SIZE + 2):
        a_past_incident(
            manager,
            developer,
            components,
            days_ago=40 - number,
            hours=1,
            name=f"Incident number {number}",
            severity="degraded_performance",
        )
    html = _html(client, f"{HISTORY}?severity=degraded_performance")
    assert len(re.findall(r'class="sp-list-title"', html)) == INCIDENTS_PAGE_SIZE
    assert "Page 1 of 2" in html
    assert 'href="?severity=degraded_performance&amp;page=2" rel="next"' in html
    html = _html(client, f"{HISTORY}?severity=degraded_performance&page=2")
    assert len(re.findall(r'class="sp-list-title"', html)) == 2
    assert "Incident number 0<" in html  # the oldest, on the last page


def test_one_public_incident_shows_its_updates_components_and_workaround(
    client: Client, history: dict[str, Incident]
) -> None:
    incident = history["last_month"]
    html = _html(client, reverse("statuspage:incident", args=[incident.pk]))
    text = _text(html)
    assert "Web console unavailable" in text
    assert "Resolved" in text
    assert "Web" in text and "Platform" in text
    updates = html.split('data-testid="updates"', 1)[1]
    assert updates.index("It works normally again") < updates.index("A fix is deployed")
    assert "Major outage" in text


def test_unpublished_and_unknown_incidents_do_not_exist_for_the_public(
    client: Client, history: dict[str, Incident]
) -> None:
    for incident in (history["draft"], history["assigned_draft"]):
        response = client.get(reverse("statuspage:incident", args=[incident.pk]))
        assert response.status_code == 404
    response = client.get(reverse("statuspage:incident", args=[99999]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "There is no such incident" in html  # the public look, not the console's
    assert reverse("dashboard") not in html


def test_r20_no_public_page_ever_shows_a_report_an_issue_a_draft_or_a_person(
    client: Client, history: dict[str, Incident], manager: Any, developer: Any
) -> None:
    pages = [STATUS, HISTORY, f"{HISTORY}?page=2", f"{HISTORY}?severity=partial_outage"]
    pages += [reverse("statuspage:incident", args=[i.pk]) for i in history.values()]
    secrets = [
        *SECRETS.values(),
        manager.email,
        developer.email,
        manager.display_name,
        developer.display_name,
        "Login returns 500",
        "gitlab.example.com",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 404)
        html = response.content.decode()
        for secret in secrets:
            assert secret not in html, f"{secret!r} shown on {path}"


def test_the_public_pages_need_no_login_and_refuse_writes(history: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    for path in (STATUS, HISTORY, reverse("statuspage:incident", args=[history["recent"].pk])):
        assert client.get(path).status_code == 200
        assert client.post(path).status_code == 405  # not a CSRF refusal: nothing to change


def test_the_public_pages_answer_in_spanish_and_vary_on_the_language(
    client: Client, history: dict[str, Incident]
) -> None:
    response = client.get(STATUS, headers={"Accept-Language": "es"})
    vary = {v.strip().lower() for v in response["Vary"].split(",")}
    assert {"accept-language", "cookie"} <= vary
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert "Interrupción parcial del sistema" in html
    assert "Historial de incidentes" in html
    assert "Operativo" in html
    # Dates in Spanish too: the full date of a <time>, the month headings.
    assert re.search(r'title="(lunes|martes|miércoles|jueves|viernes|sábado|domingo) \d+ de ', html)
    history_html = _html(client, HISTORY, **{"Accept-Language": "es"})
    assert re.search(
        r"(enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|"
        r"noviembre|diciembre) de \d{4}",
        history_html,
    )
    # The switcher's cookie wins over the browser's language.
    client.post(reverse("set_language"), {"language": "en", "next": STATUS})
    assert "All Systems" in _html(client, STATUS, **{"Accept-Language": "es"}) or (
        "Partial System Outage" in _html(client, STATUS, **{"Accept-Language": "es"})
    )


def test_the_switcher_returns_to_the_same_page(client: Client, history: Any) -> None:
    response = client.post(
        reverse("set_language"), {"language": "es", "next": f"{HISTORY}?severity=major_outage"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{HISTORY}?severity=major_outage"
    assert "Historial de incidentes" in _html(client, HISTORY)


def test_the_incidents_page_and_an_incident_read_a_bounded_number_of_rows(
    client: Client, history: dict[str, Incident], django_assert_max_num_queries: Any
) -> None:
    current_snapshot()  # built once per change by the worker, not by these pages
    with django_assert_max_num_queries(12):
        client.get(HISTORY)
    with django_assert_max_num_queries(12):
        client.get(f"{HISTORY}?component=1&severity=partial_outage&page=1")
    with django_assert_max_num_queries(12):
        client.get(reverse("statuspage:incident", args=[history["active"].pk]))


def test_a_warm_page_runs_no_query_and_answers_304_to_a_browser_that_has_it(
    client: Client, history: dict[str, Incident], django_assert_num_queries: Any
) -> None:
    for path in (STATUS, HISTORY, reverse("statuspage:incident", args=[history["recent"].pk])):
        first = client.get(path)
        assert first.status_code == 200 and first["ETag"]
        with django_assert_num_queries(0):
            again = client.get(path)
        assert again.content == first.content
        with django_assert_num_queries(0):
            cached = client.get(path, headers={"If-None-Match": first["ETag"]})
        assert cached.status_code == 304
    # Each language is its own answer, with its own ETag.
    spanish = client.get(STATUS, headers={"Accept-Language": "es"})
    assert spanish["ETag"] != client.get(STATUS)["ETag"]
    assert "Historial de incidentes" in spanish.content.decode()


def test_a_change_shows_on_the_pages_at_once(
    client: Client,
    history: dict[str, Incident],
    manager: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from statusdesk.incidents import services

    before = client.get(STATUS)
    with django_capture_on_commit_callbacks(execute=True):  # the rebuild runs after the commit
        services.resolve_incident(
            actor=manager,
            incident=history["active"],
            message="Resolved.\nScans run normally again.",
        )
    after = client.get(STATUS, headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    html = after.content.decode()
    assert "All Systems Operational" in html
    assert "Active incidents" not in html


def test_only_the_pages_vary_on_the_language(client: Client, history: Any) -> None:
    """The JSON, feeds and badge are the same in every language: no Vary on it, so caches in front
    of them (the fast path's included) keep one answer, whatever the browser's languages."""
    for path in ("/api/v2/summary.json", "/history.atom", "/badge.svg"):
        response = client.get(path, headers={"Accept-Language": "es"})
        assert "accept-language" not in response.get("Vary", "").lower(), path
        assert "Content-Language" not in response
    page = client.get(STATUS, headers={"Accept-Language": "es"})
    assert page["Content-Language"] == "es"


def test_the_page_shows_its_name_or_its_logo(client: Client, settings: Any, history: Any) -> None:
    html = _html(client, STATUS)
    assert f'<span class="sp-name">{settings.STATUSDESK_PAGE_NAME}</span>' in html
    settings.STATUSDESK_PAGE_LOGO_URL = "/static/logo.svg"
    client.cookies.clear()
    html = _html(client, HISTORY)  # rendered anew: another address
    assert (
        f'<img class="sp-logo" src="/static/logo.svg" alt="{settings.STATUSDESK_PAGE_NAME}">'
        in html
    )


def test_the_fast_path_keeps_each_language_of_a_page(history: Any) -> None:
    """The pages vary on the language cookie and Accept-Language: the fast path in front of Django
    keeps one answer per language, whatever other cookies (a session) a visitor has."""
    from statusdesk.statuspage.fastpath import SnapshotFastPath
    from statusdesk.statuspage.snapshot import rebuild_snapshot
    from tests.statuspage.test_fastpath import CountingDjango, call

    rebuild_snapshot()
    django = CountingDjango()
    fast = SnapshotFastPath(django)
    english = call(fast, STATUS)
    assert english[0] == 200 and "Partial System Outage" in english[2].decode()
    assert call(fast, STATUS) == english
    assert call(fast, STATUS, headers={"Cookie": "other=1; another=2"}) == english
    assert django.calls == 1
    spanish = call(fast, STATUS, headers={"Cookie": "django_language=es; other=1"})
    assert "Interrupción parcial del sistema" in spanish[2].decode()
    assert django.calls == 2
    assert call(fast, STATUS, headers={"Cookie": "django_language=es"}) == spanish
    assert django.calls == 2
    by_header = call(fast, STATUS, headers={"Accept-Language": "es"})
    assert by_header[2] == spanish[2]
    assert django.calls == 3  # another variant, made once
    assert call(fast, STATUS, headers={"Accept-Language": "es"}) == by_header
    assert django.calls == 3


def test_an_incident_older_than_the_snapshot_reaches_shows_the_same(
    client: Client,
    manager: Any,
    developer: Any,
    components: list[Component],
    django_assert_max_num_queries: Any,
) -> None:
    """The snapshot holds the 50 latest incidents; an older one is read from its row, once per
    version, and looks the same."""
    oldest = a_past_incident(
        manager,
        developer,
        components,
        days_ago=80,
        hours=2,
        name="The oldest incident",
        updates=(("monitoring", "Watching the oldest one."),),
    )
    for number in range(50):
        a_past_incident(
            manager, developer, components, days_ago=60 - number, hours=1, name=f"Later {number}"
        )
    snapshot = current_snapshot()
    assert str(oldest.pk) not in snapshot.details
    with django_assert_max_num_queries(12):
        html = _html(client, reverse("statuspage:incident", args=[oldest.pk]))
    assert "The oldest incident" in html
    updates = html.split('data-testid="updates"', 1)[1]
    assert updates.index("It works normally again") < updates.index("Watching the oldest one.")
    assert "Use single sign-on from the organization page." in html  # its workaround
