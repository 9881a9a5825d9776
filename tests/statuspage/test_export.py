"""STATUSDESK_PUBLIC_DIR: every stored snapshot also writes the public files nginx serves
(deploy/nginx.conf), with the very bytes statusdesk answers at those paths."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.utils.translation import get_language_from_request

from bench.statuspage import DEPLOY_NGINX, free_port, nginx_main, production_site
from statusdesk.incidents import services
from statusdesk.incidents.models import Component
from statusdesk.statuspage import snapshot
from tests.conftest import require_program
from tests.factories import a_published_incident
from tests.statuspage.conftest import PUBLIC_PATHS

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_dir(settings: Any, tmp_path: Path) -> Path:
    settings.STATUSDESK_PUBLIC_DIR = str(tmp_path / "public")
    return tmp_path / "public"


def test_files_hold_what_statusdesk_answers(
    public_dir: Path, client: Client, manager: Any, developer: Any, components: list[Component]
) -> None:
    a_published_incident(manager, developer, components, name="Uploads fail")
    snapshot.rebuild_snapshot()
    for path in PUBLIC_PATHS:
        file = public_dir / path.lstrip("/")
        answer = client.get(path)
        assert answer.status_code == 200
        assert file.read_bytes() == answer.content, path
        assert stat.S_IMODE(file.stat().st_mode) == 0o644  # nginx runs as another user
    assert b"Uploads fail" in (public_dir / "api/v2/summary.json").read_bytes()
    assert stat.S_IMODE((public_dir / "api/v2").stat().st_mode) == 0o755


def test_a_change_rewrites_the_files_and_no_change_leaves_them(
    public_dir: Path, manager: Any, developer: Any, components: list[Component]
) -> None:
    incident = a_published_incident(manager, developer, components)
    snapshot.rebuild_snapshot()
    summary = public_dir / "api/v2/summary.json"
    badge = public_dir / "badge.svg"
    os.utime(summary, (1_000_000, 1_000_000))
    os.utime(badge, (1_000_000, 1_000_000))

    snapshot.rebuild_snapshot()  # same content: files untouched (nginx's ETag stays)
    assert summary.stat().st_mtime == 1_000_000

    services.post_update(
        actor=manager, incident=incident, status="identified", message="Cause found: a timeout."
    )
    snapshot.rebuild_snapshot()
    assert b"Cause found: a timeout." in summary.read_bytes()
    assert summary.stat().st_mtime != 1_000_000
    assert not list(public_dir.rglob(".*"))  # no temporary file left behind


def test_nothing_written_without_the_setting(
    settings: Any, tmp_path: Path, components: list[Component]
) -> None:
    settings.STATUSDESK_PUBLIC_DIR = ""
    snapshot.rebuild_snapshot()
    assert not any(tmp_path.iterdir())


def test_status_page_files_hold_what_statusdesk_answers_in_each_language(
    public_dir: Path,
    client: Client,
    settings: Any,
    manager: Any,
    developer: Any,
    components: list[Component],
) -> None:
    a_published_incident(manager, developer, components, name="Uploads fail")
    snapshot.rebuild_snapshot()
    languages = [code for code, _name in settings.LANGUAGES]
    assert languages == ["en", "es"]
    for language in languages:
        file = public_dir / f"index.{language}.html"
        assert stat.S_IMODE(file.stat().st_mode) == 0o644
        body = file.read_bytes()
        assert b"Uploads fail" in body
        assert f'<html lang="{language}">'.encode() in body
        assert b"csrfmiddlewaretoken" not in body
        # Chosen by Accept-Language, by the switcher's cookie, and for a signed-in reader.
        answer = client.get("/", headers={"accept-language": language})
        assert answer.status_code == 200
        assert answer.content == body, language
        client.cookies["django_language"] = language
        assert client.get("/", headers={"accept-language": "fr"}).content == body
        client.force_login(manager)
        assert client.get("/").content == body
        client.logout()
        client.cookies.clear()
    assert (public_dir / "index.en.html").read_bytes() != (
        public_dir / "index.es.html"
    ).read_bytes()


def test_status_page_file_rewritten_only_on_change(
    public_dir: Path, manager: Any, developer: Any, components: list[Component]
) -> None:
    # No active incident: nothing on the page moves with the clock (an open incident's uptime of
    # today does, and then the periodic refresh rewrites the page with the newer figure).
    snapshot.rebuild_snapshot()
    page = public_dir / "index.es.html"
    os.utime(page, (1_000_000, 1_000_000))
    snapshot.rebuild_snapshot()
    assert page.stat().st_mtime == 1_000_000
    a_published_incident(manager, developer, components, name="Uploads fail")
    snapshot.rebuild_snapshot()
    assert b"Uploads fail" in page.read_bytes()
    assert page.stat().st_mtime != 1_000_000
    assert not list(public_dir.rglob(".*"))


# --- deploy/nginx.conf serving the files --------------------------------------------------------

NGINX = Path("/usr/sbin/nginx")

# (django_language cookie, Accept-Language) → whether nginx's choice agrees with Django's. The
# disagreements are the documented approximation: nginx reads Accept-Language in the order
# written, Django by q-value first (and stops at "*"). Browsers write decreasing q-values.
LANGUAGE_TABLE: list[tuple[str | None, str, bool]] = [
    (None, "", True),
    (None, "es", True),
    (None, "en", True),
    (None, "es-ES,es;q=0.9,en;q=0.8", True),
    (None, "es-419,es;q=0.9", True),
    (None, "en-US,en;q=0.9,es;q=0.8", True),
    (None, "en-GB,en;q=0.9", True),
    (None, "fr-FR,fr;q=0.9,es;q=0.8,en;q=0.7", True),
    (None, "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", True),
    (None, "pt-BR,pt;q=0.9", True),
    (None, "ES", True),
    (None, "es-MX", True),
    (None, "estonian, es", True),
    (None, "es_ES", True),
    (None, "zh-Hant-TW, es;q=0.5", True),
    (None, "fr, es;q=0.5, en;q=0.7", False),  # Django: en (higher q); nginx: es (first)
    (None, "en;q=0.5, es", False),  # Django: es; nginx: en
    (None, "*, es", False),  # Django: stops at *, en; nginx: es
    ("es", "", True),
    ("es", "en-US,en;q=0.9", True),
    ("en", "es", True),
    ("es-MX", "en", True),
    ("fr", "es", True),  # not a language of the site: Accept-Language decides
    ("ES", "en", False),  # Django: "ES" (kept as written); nginx: Accept-Language, en
    ("", "es", True),
]


def _get(url: str, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read(), dict(answer.headers.items())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers.items())


@pytest.fixture
def nginx(public_dir: Path, tmp_path: Path) -> Iterator[str]:
    """deploy/nginx.conf (as the bench runs it) serving public_dir; no statusdesk behind it."""
    require_program(str(NGINX), "Debian's nginx")
    port = free_port()
    site = production_site(
        DEPLOY_NGINX.read_text(),
        port=port,
        hop_port=free_port(),
        upstreams=[free_port()],
        cache=tmp_path / "cache",
        static=tmp_path / "static",
        public=public_dir,
    )
    (tmp_path / "cache").mkdir()
    conf = nginx_main(tmp_path / "nginx", site)
    process = subprocess.Popen(
        [str(NGINX), "-c", str(conf)], stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                _get(base + "/badge.svg", {})
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def _headers(cookie: str | None, accept: str) -> dict[str, str]:
    headers = {"Accept-Language": accept} if accept else {}
    if cookie is not None:
        headers["Cookie"] = f"django_language={cookie}"
    return headers


def test_nginx_serves_the_status_page_as_statusdesk_answers_it(
    nginx: str, client: Client, manager: Any, developer: Any, components: list[Component]
) -> None:
    a_published_incident(manager, developer, components, name="Uploads fail")
    snapshot.rebuild_snapshot()
    compared = (
        "Content-Type",
        "Content-Language",
        "Cache-Control",
        "Vary",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "X-Frame-Options",
        "Cross-Origin-Opener-Policy",
    )
    for language in ("en", "es"):
        status, body, headers = _get(nginx + "/", {"Accept-Language": language})
        django = client.get("/", headers={"accept-language": language})
        assert status == 200
        assert body == django.content, language
        for name in compared:
            assert headers.get(name) == django[name], name
        # django-csp writes the directives in no fixed order.
        csp = headers["Content-Security-Policy"].split("; ")
        assert sorted(csp) == sorted(django["Content-Security-Policy"].split("; "))
        assert "ETag" in headers and "Last-Modified" in headers
        # Signed in: the same page (statusdesk does not vary it on the session either).
        signed_in = {"Accept-Language": language, "Cookie": "sessionid=abc"}
        assert _get(nginx + "/", signed_in)[1] == body


def test_nginx_chooses_the_language_as_django_does(nginx: str, public_dir: Path) -> None:
    public_dir.mkdir(parents=True)
    for language in ("en", "es"):
        (public_dir / f"index.{language}.html").write_text(language)
    factory = RequestFactory()
    for cookie, accept, agrees in LANGUAGE_TABLE:
        headers = _headers(cookie, accept)
        status, body, _ = _get(nginx + "/", headers)
        assert status == 200
        request = factory.get("/", headers=headers)
        django = get_language_from_request(request)
        assert (body.decode() == django) is agrees, (cookie, accept, body, django)


def test_nginx_falls_back_to_statusdesk_without_the_file(nginx: str, public_dir: Path) -> None:
    public_dir.mkdir(parents=True)
    (public_dir / "index.en.html").write_text("en")
    # No Spanish file: the micro-cache and statusdesk (not running here: 502).
    assert _get(nginx + "/", {"Accept-Language": "es"})[0] == 502
    assert _get(nginx + "/", {"Accept-Language": "en"})[0] == 200
    # A method a static file does not take goes to statusdesk too (which answers 405 itself).
    post = urllib.request.Request(nginx + "/", data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(post, timeout=10)
    assert refused.value.code == 502


def test_a_page_that_cannot_be_rendered_is_removed_and_the_data_still_written(
    public_dir: Path, monkeypatch: pytest.MonkeyPatch, components: list[Component]
) -> None:
    snapshot.rebuild_snapshot()
    assert (public_dir / "index.en.html").exists()

    def broken(*args: Any) -> bytes:
        raise RuntimeError("template trouble")

    monkeypatch.setattr("statusdesk.statuspage.views.status_page_html", broken)
    summary = public_dir / "api/v2/summary.json"
    summary.unlink()
    snapshot.rebuild_snapshot()
    assert summary.exists()
    assert not (public_dir / "index.en.html").exists()
    assert not (public_dir / "index.es.html").exists()
