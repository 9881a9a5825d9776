"""Security headers and cookies: a Content-Security-Policy without inline script or style on every
page, nosniff, X-Frame-Options and Referrer-Policy; behind TLS (STATUSDESK_SECURE=1) HSTS and
Secure cookies, with X-Forwarded-Proto from the TLS-terminating proxy trusted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from statusdesk.accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _policy(response: Any) -> dict[str, list[str]]:
    directives = [d.strip() for d in response["Content-Security-Policy"].split(";") if d.strip()]
    return {name: values for name, *values in (d.split() for d in directives)}


@pytest.mark.parametrize(
    "url", ["/login/", "/", "/incidents/", "/reports/new/", "/api/v1/docs", "/no-such-page/"]
)
def test_every_page_has_a_strict_content_security_policy(
    client: Client, manager: User, url: str
) -> None:
    client.force_login(manager)
    response = client.get(url)
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


def test_api_answers_carry_the_headers_too(client: Client) -> None:
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in response


def test_nosniff_frame_options_and_referrer_policy(client: Client) -> None:
    response = client.get(reverse("login"))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_without_tls_there_is_no_hsts_and_cookies_are_not_secure(
    client: Client, manager: User
) -> None:
    response = client.post(reverse("login"), {"username": manager.email, "password": PASSWORD})
    assert response.status_code == 302
    assert "Strict-Transport-Security" not in response
    assert not response.cookies["sessionid"]["secure"]
    assert not response.cookies["csrftoken"]["secure"]


# STATUSDESK_SECURE is read when the settings load, so it is tried in a process of its own: the real
# settings module, a migrated SQLite database in a temporary directory, Django's test client.
_BEHIND_A_TLS_PROXY = """
import json, django
django.setup()
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment
from statusdesk.accounts.roles import Role
from statusdesk.accounts.services import ensure_user
setup_test_environment()
call_command("migrate", verbosity=0)
ensure_user("manager@example.com", role=Role.INCIDENT_MANAGER, password="correct-horse-battery")
client = Client()
plain = client.get("/manage/login/")
proxied = client.post(
    "/manage/login/",
    {"username": "manager@example.com", "password": "correct-horse-battery"},
    headers={"X-Forwarded-Proto": "https"},
)
print(json.dumps({
    "plain_hsts": plain.get("Strict-Transport-Security"),
    "status": proxied.status_code,
    "hsts": proxied.get("Strict-Transport-Security"),
    "session_secure": proxied.cookies["sessionid"]["secure"],
    "csrf_secure": plain.cookies["csrftoken"]["secure"],
}))
"""


def test_behind_a_tls_proxy_statusdesk_secure_turns_on_hsts_and_secure_cookies(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "STATUSDESK_SECURE": "1",
        "STATUSDESK_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "statusdesk.settings",
        "STATUSDESK_LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "-c", _BEHIND_A_TLS_PROXY],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == 302, "signed in over the proxy's HTTPS"
    assert result["hsts"] == "max-age=31536000"
    assert result["plain_hsts"] is None, "HSTS only on HTTPS answers"
    assert result["session_secure"] is True
    assert result["csrf_secure"] is True
