"""The public files, written where a web server in front serves them (STATUSDESK_PUBLIC_DIR).

With STATUSDESK_PUBLIC_DIR set, every snapshot stored (snapshot.store: the worker's rebuild after a
change, the periodic refresh) also writes the bytes of the public paths that depend on nothing but
the snapshot: the Statuspage-compatible `/api/v2/` files, the history feeds and the badge, under
the same paths (`<dir>/api/v2/summary.json`, `<dir>/history.atom`, ...), and the status page
`/` in each language of settings.LANGUAGES (`<dir>/index.en.html`, `<dir>/index.es.html`). nginx
serves them as static files (deploy/nginx.conf, docs/deploy.md), choosing the page's language as
Django does (the switcher's cookie, else Accept-Language), and asks statusdesk only for what is not
there. A change is thus public as soon as the worker has rebuilt the snapshot, and serving it
costs what a static file costs.

The status page is rendered by the view's own function (views.status_page_html) for a request
that carries nothing (no cookie, no session, no user): its bytes are those statusdesk answers to
any reader of that language, signed in or not (the page shows nothing of the reader; the language
switcher posts to a CSRF-exempt view, so the page holds no token). One difference in time: the
uptime of today of a component with an open incident moves with the clock but not the snapshot's
version, so statusdesk keeps the page it first rendered for a version while the file is rewritten
by each rebuild (the periodic refresh, every 5 minutes) with the newer figure. If the page cannot
be rendered, the old page files are removed (and the error logged): nginx then asks statusdesk
for `/` rather than serve a page older than the data files.

Each file is replaced whole (written beside it, then renamed), readable by every user (the web
server runs as another user), and left alone when its bytes did not change, so that its
modification time, and the ETag nginx derives from it, stay the same.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

if TYPE_CHECKING:
    from statusdesk.statuspage.snapshot import Snapshot

logger = logging.getLogger(__name__)


def data_files(snapshot: Snapshot) -> dict[str, bytes]:
    """Path → its bytes, for the public data: the /api/v2/ files, the feeds, the badge."""
    from statusdesk.statuspage import feeds

    files = dict(snapshot.documents)
    files["/history.atom"] = feeds.atom(snapshot)
    files["/history.rss"] = feeds.rss(snapshot)
    files["/badge.svg"] = feeds.badge(snapshot)
    return files


def public_files(snapshot: Snapshot) -> dict[str, bytes]:
    """Path → its bytes, for every path exported: the data and the status pages."""
    return {**data_files(snapshot), **status_pages(snapshot)}


def _page_files_or_none(root: Path, snapshot: Snapshot) -> dict[str, bytes]:
    """The status pages; if one cannot be rendered, none, and the old ones are removed, so that
    nginx asks statusdesk for `/` rather than serve a page older than the data files."""
    try:
        return status_pages(snapshot)
    except Exception:
        logger.exception("could not render the status page for %s", root)
        for language, _name in settings.LANGUAGES:
            (root / page_file(language).lstrip("/")).unlink(missing_ok=True)
        return {}


def page_file(language: str) -> str:
    """Where the status page in `language` is written (deploy/nginx.conf serves `/` from it)."""
    return f"/index.{language}.html"


def status_pages(snapshot: Snapshot) -> dict[str, bytes]:
    """The status page in every language, as the view renders it for an anonymous reader."""
    from statusdesk.statuspage.views import status_page_html

    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = "/"
    pages = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            pages[page_file(language)] = status_page_html(request, snapshot)
    return pages


def export_public_files(snapshot: Snapshot) -> None:
    """Write the public files of `snapshot` when STATUSDESK_PUBLIC_DIR is set. A failure is logged,
    never raised: the site still answers every path itself."""
    directory = getattr(settings, "STATUSDESK_PUBLIC_DIR", "")
    if not directory:
        return
    root = Path(directory)
    try:
        write_files(root, {**data_files(snapshot), **_page_files_or_none(root, snapshot)})
    except OSError:
        logger.exception("could not write the public files into %s", directory)


def write_files(root: Path, files: dict[str, bytes]) -> None:
    for path, body in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        try:
            if target.read_bytes() == body:
                continue
        except FileNotFoundError:
            pass
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(body)
            os.chmod(temp, 0o644)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
