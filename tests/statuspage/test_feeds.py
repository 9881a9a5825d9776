"""The history feeds (Atom and RSS, valid: feedparser finds no fault) and the status badge."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser
import pytest
from django.test import Client

from statusdesk.accounts.models import User
from statusdesk.incidents import services
from statusdesk.incidents.models import Component, IncidentUpdate
from statusdesk.statuspage.feeds import BADGE_COLOURS
from tests.factories import a_published_incident, a_resolved_incident, an_update

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def updates(manager: User, developer: User, components: list[Component]) -> list[IncidentUpdate]:
    a_resolved_incident(manager, developer, components, name="Docs down")
    incident = a_published_incident(manager, developer, components, name="Login & <SSO> fail")
    an_update(manager, incident, message="Fix deployed <b>now</b>.")
    return list(IncidentUpdate.objects.order_by("-at", "-id"))


@pytest.mark.parametrize(
    ("path", "version"), [("/history.atom", "atom10"), ("/history.rss", "rss20")]
)
def test_feeds_are_valid_with_one_entry_per_public_update_newest_first(
    client: Client, updates: list[IncidentUpdate], path: str, version: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == version
    assert len(feed.entries) == len(updates) == 4
    assert [entry.id for entry in feed.entries] == [
        f"http://127.0.0.1:8000/incidents/{u.incident_id}#update-{u.pk}" for u in updates
    ]
    first = feed.entries[0]
    assert first.title == "Login & <SSO> fail: Monitoring"
    assert first.link == f"http://127.0.0.1:8000/incidents/{updates[0].incident_id}"
    assert "Fix deployed" in first.summary
    assert feed.entries[-1].title == "Docs down: Identified"


def test_feed_content_types(client: Client, components: list[Component]) -> None:
    assert client.get("/history.atom")["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert client.get("/history.rss")["Content-Type"] == "application/rss+xml; charset=utf-8"
    feed = feedparser.parse(client.get("/history.atom").content)
    assert not feed.bozo and feed.entries == []


def _badge(client: Client) -> ET.Element:
    response = client.get("/badge.svg")
    assert response["Content-Type"] == "image/svg+xml"
    return ET.fromstring(response.content)


def test_badge_says_the_status_with_a_title_and_the_indicator_colour(
    client: Client, manager: User, developer: User, components: list[Component]
) -> None:
    svg = _badge(client)
    assert svg.get("role") == "img"
    title = svg.find(f"{SVG}title")
    assert title is not None and title.text == "status: All Systems Operational"
    assert svg.get("aria-labelledby") == title.get("id")
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts == ["status", "All Systems Operational"]
    fills = [r.get("fill") for r in svg.iter(f"{SVG}rect")]
    assert fills[-1] == BADGE_COLOURS["none"][0]

    from statusdesk.statuspage.snapshot import rebuild_snapshot

    incident = a_published_incident(manager, developer, components, severity="major_outage")
    rebuild_snapshot()
    svg = _badge(client)
    assert [t.text for t in svg.iter(f"{SVG}text")][-1] == "Major System Outage"
    assert [r.get("fill") for r in svg.iter(f"{SVG}rect")][-1] == BADGE_COLOURS["critical"][0]
    services.resolve_incident(actor=manager, incident=incident, message="Resolved.")
    rebuild_snapshot()
    assert [t.text for t in _badge(client).iter(f"{SVG}text")][-1] == "All Systems Operational"


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("indicator", sorted(BADGE_COLOURS))
def test_badge_text_is_readable_on_every_colour(indicator: str) -> None:
    background, text = BADGE_COLOURS[indicator]
    light, dark = sorted([_luminance(background), _luminance(text)], reverse=True)
    assert (light + 0.05) / (dark + 0.05) >= 4.5
