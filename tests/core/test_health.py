"""GET /healthz names the database and the queue; 503 when either does not answer."""

from __future__ import annotations

import os

import pytest
from django.db.utils import ConnectionHandler
from huey import RedisHuey, SqliteHuey

from statusdesk.core import health
from tests.conftest import missing

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("STATUSDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok" and body["database"]["vendor"] in {
        "sqlite",
        "postgresql",
    }
    assert body["queue"]["status"] == "ok"
    assert body["queue"]["backend"] in {"SqliteHuey", "RedisHuey"}
    assert response.headers["Cache-Control"].startswith("max-age=0")


def test_healthz_503_when_the_queue_is_down(client, monkeypatch):
    # A real Redis client pointed at a port where nothing listens.
    monkeypatch.setattr(
        "huey.contrib.djhuey.HUEY", RedisHuey("statusdesk-down", url="redis://127.0.0.1:1/0")
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["queue"]["status"] == "error" and body["queue"]["backend"] == "RedisHuey"
    assert body["queue"]["error"] == "ConnectionError"  # the kind, not the driver's message
    assert body["database"]["status"] == "ok"


def test_healthz_503_when_the_database_is_down(client, monkeypatch):
    # A real PostgreSQL driver connecting to a port where nothing listens.
    unreachable = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "HOST": "127.0.0.1",
                "PORT": "1",
                "NAME": "statusdesk",
                "USER": "nobody",
                "OPTIONS": {"connect_timeout": 2},
            }
        }
    )
    monkeypatch.setattr(health, "connections", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"]["status"] == "error"
    assert body["database"]["vendor"] == "postgresql"
    assert body["database"]["error"] == "OperationalError"
    assert "127.0.0.1" not in response.content.decode()
    assert body["queue"]["status"] == "ok"


def test_queue_health_on_sqlite_storage(tmp_path):
    queue = SqliteHuey("statusdesk-test", filename=str(tmp_path / "huey.sqlite3"))
    assert health.queue_health(queue) == {"status": "ok", "backend": "SqliteHuey", "pending": 0}


def test_queue_health_on_redis():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:
        missing(f"Redis unreachable at {REDIS_URL}: {exc}")
    queue = RedisHuey("statusdesk-health-test", url=REDIS_URL)
    assert health.queue_health(queue)["status"] == "ok"
