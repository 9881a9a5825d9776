"""The console's markup: no inline styles, scripts or event handlers (everything lives in
console.css and console.js, so a strict Content-Security-Policy holds), a skip link on every
page, and an error page for server errors built from the same stylesheet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error

SRC = Path(__file__).resolve().parents[2] / "src" / "statusdesk"
TEMPLATES = sorted(SRC.glob("*/templates/**/*.html"))

_INLINE = [
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style= attribute"),
    (re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
]


def test_there_are_templates() -> None:
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_inline_style_script_or_handler(template: Path) -> None:
    text = template.read_text()
    for pattern, what in _INLINE:
        match = pattern.search(text)
        assert match is None, f"{template.name} has {what}: {match.group(0) if match else ''}"


def test_every_page_starts_with_the_skip_link() -> None:
    base = (SRC / "core/templates/console/base.html").read_text()
    body = base.split("<body", 1)[1]
    first_link = re.search(r"<a\b[^>]*>", body)
    assert first_link and 'href="#main"' in first_link.group(0)
    assert body.index("Skip to content") < body.index("{% block body %}")
    login = (SRC / "accounts/templates/accounts/login.html").read_text()
    assert 'id="main"' in login


def test_the_server_error_page_uses_the_console_stylesheet(settings) -> None:
    settings.DEBUG = False
    response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert "statusdesk/console.css" in html
    assert "<style" not in html
