"""The public files, written where a web server in front serves them (STATUSDESK_PUBLIC_DIR).

With STATUSDESK_PUBLIC_DIR set, every snapshot stored (snapshot.store: the worker's rebuild after a
change, the periodic refresh) also writes the bytes of the public paths that depend on nothing but
the snapshot: the Statuspage-compatible `/api/v2/` files, the history feeds and the badge, under
the same paths (`<dir>/api/v2/summary.json`, `<dir>/history.atom`, ...). nginx serves them as
static files (deploy/nginx.conf, docs/deploy.md) and asks statusdesk only for what is not there.
A change is thus public as soon as the worker has rebuilt the snapshot, and serving it costs what
a static file costs.

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

if TYPE_CHECKING:
    from statusdesk.statuspage.snapshot import Snapshot

logger = logging.getLogger(__name__)


def public_files(snapshot: Snapshot) -> dict[str, bytes]:
    """Path → its bytes, for every path exported."""
    from statusdesk.statuspage import feeds

    files = dict(snapshot.documents)
    files["/history.atom"] = feeds.atom(snapshot)
    files["/history.rss"] = feeds.rss(snapshot)
    files["/badge.svg"] = feeds.badge(snapshot)
    return files


def export_public_files(snapshot: Snapshot) -> None:
    """Write the public files of `snapshot` when STATUSDESK_PUBLIC_DIR is set. A failure is logged,
    never raised: the site still answers every path itself."""
    directory = getattr(settings, "STATUSDESK_PUBLIC_DIR", "")
    if not directory:
        return
    try:
        write_files(Path(directory), public_files(snapshot))
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
