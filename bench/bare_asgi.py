"""Python's ceiling for bench/statuspage.py: the least an ASGI app can do to answer a page.

It answers each path from a manifest (BENCH_STATUSPAGE_MANIFEST: a JSON file of
{path: [body file, content type]}) with those bytes, read once at start, and 404 otherwise.
bench/statuspage.py runs it under uvicorn with the options `statusdesk serve` uses.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

_PAGES: dict[str, tuple[bytes, list[tuple[bytes, bytes]]]] = {}


def _load() -> None:
    manifest = Path(os.environ["BENCH_STATUSPAGE_MANIFEST"])
    for path, (body_file, content_type) in json.loads(manifest.read_text()).items():
        body = Path(body_file).read_bytes()
        headers = [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        _PAGES[path] = (body, headers)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if not _PAGES:
        _load()
    body, headers = _PAGES.get(scope["path"], (b"not found", [(b"content-length", b"9")]))
    status = 200 if scope["path"] in _PAGES else 404
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    import uvicorn

    from statusdesk.core.management.commands.serve import uvicorn_options

    uvicorn.run(
        "bench.bare_asgi:app",
        host="127.0.0.1",
        port=int(os.environ["PORT"]),
        **uvicorn_options(),
    )


if __name__ == "__main__":
    main()
