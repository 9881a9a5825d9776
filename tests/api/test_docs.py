"""The API docs page (/api/v1/docs) is Swagger UI from files vendored under static, pinned to one
version, naming no other host (tests/e2e/test_api_docs.py loads it in a browser)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

import statusdesk

VENDOR = (
    Path(statusdesk.__file__).parent / "core" / "static" / "statusdesk" / "vendor" / "swagger-ui"
)
VERSION = "5.35.0"


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.inline_styles = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.urls += [value for name, value in attrs if name in {"src", "href"} and value]
        if tag == "script" and "src" not in found:
            self.inline_scripts += 1
        if tag == "style" or "style" in found:
            self.inline_styles += 1


def _page(client: Client) -> str:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_docs_page_names_no_other_host(client: Client) -> None:
    references = _References()
    references.feed(_page(client))
    assert references.urls, "the page loads its assets"
    for url in references.urls:
        assert url.startswith("/") and not url.startswith("//") or url.startswith("data:"), url
    assert references.inline_scripts == 0
    assert references.inline_styles == 0


@pytest.mark.django_db
def test_docs_page_assets_are_the_vendored_files(client: Client) -> None:
    references = _References()
    references.feed(_page(client))
    vendored = [url for url in references.urls if "/vendor/swagger-ui/" in url]
    assert {Path(url).name for url in vendored} == {"swagger-ui-bundle.js", "swagger-ui.css"}
    for url in vendored:
        served = client.get(url)
        assert served.status_code == 200, url
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert body == (VENDOR / Path(url).name).read_bytes()


def test_vendored_swagger_ui_is_pinned_and_licensed() -> None:
    assert f'"{VERSION}"' in (VENDOR / "swagger-ui-bundle.js").read_text()
    assert f"swagger-ui-dist {VERSION}" in (VENDOR / "SOURCE.txt").read_text()
    assert "Apache License" in (VENDOR / "LICENSE").read_text()
    assert (VENDOR / "NOTICE").exists()
