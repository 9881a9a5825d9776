"""The history feeds (Atom, RSS 2.0) and the status badge, rendered from the snapshot."""

from __future__ import annotations

from xml.sax.saxutils import escape

from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed

from statusdesk.statuspage.snapshot import Snapshot

FEED_TITLE = "{name} status history"


def _feed(snapshot: Snapshot, feed_class: type[SyndicationFeed], path: str) -> bytes:
    url = snapshot.page["url"]
    feed = feed_class(
        title=FEED_TITLE.format(name=snapshot.page["name"]),
        link=url + "/",
        description=f"Every public update of {snapshot.page['name']}'s incidents, newest first.",
        language="en",
        feed_url=url + path,
        feed_guid=url + path,
    )
    for entry in snapshot.feed_entries:
        link = url + entry.path
        feed.add_item(
            title=f"{entry.incident_name}: {entry.status_label}",
            link=link,
            description=entry.body,
            unique_id=f"{link}#update-{entry.id}",
            unique_id_is_permalink=False,
            pubdate=entry.at,
            updateddate=entry.at,
        )
    return feed.writeString("utf-8").encode()


def atom(snapshot: Snapshot) -> bytes:
    return _feed(snapshot, Atom1Feed, "/history.atom")


def rss(snapshot: Snapshot) -> bytes:
    return _feed(snapshot, Rss201rev2Feed, "/history.rss")


# The badge: "status | <description>", coloured by the indicator; white text at 4.5:1 or more on
# every colour but the yellow of a minor incident, which takes dark text.
BADGE_COLOURS: dict[str, tuple[str, str]] = {
    "none": ("#1a7f37", "#ffffff"),
    "maintenance": ("#0b5cad", "#ffffff"),
    "minor": ("#f2c744", "#1f2328"),
    "major": ("#b54708", "#ffffff"),
    "critical": ("#b42318", "#ffffff"),
}
LABEL_COLOURS = ("#454c53", "#ffffff")
_NARROW = set("ilj.,:;'!|() ")
_WIDE = set("mwMW@%")


def _text_width(text: str) -> int:
    """An estimate of the text's width at 11 px Verdana (the badge needs no font metrics)."""
    width = 0.0
    for char in text:
        if char in _NARROW:
            width += 3.6
        elif char in _WIDE:
            width += 10.0
        elif char.isupper() or char.isdigit():
            width += 7.6
        else:
            width += 6.4
    return round(width)


def badge(snapshot: Snapshot) -> bytes:
    label = "status"
    message = snapshot.status["description"]
    background, foreground = BADGE_COLOURS.get(snapshot.status["indicator"], BADGE_COLOURS["none"])
    label_width = _text_width(label) + 12
    message_width = _text_width(message) + 12
    width = label_width + message_width
    title = escape(f"{label}: {message}")
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" '
        f'role="img" aria-labelledby="badge-title">'
        f'<title id="badge-title">{title}</title>'
        f'<rect width="{label_width}" height="20" fill="{LABEL_COLOURS[0]}"/>'
        f'<rect x="{label_width}" width="{message_width}" height="20" fill="{background}"/>'
        f'<g font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">'
        f'<text x="{label_width / 2:g}" y="14" fill="{LABEL_COLOURS[1]}">{escape(label)}</text>'
        f'<text x="{label_width + message_width / 2:g}" y="14" fill="{foreground}">'
        f"{escape(message)}</text>"
        "</g></svg>"
    )
    return svg.encode()
