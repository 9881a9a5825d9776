"""`statusdesk check` as an operator runs it: a real `statusdesk` process against a site of its own
(tests.processes.Site), with a real worker, Redis and an SMTP server (aiosmtpd) on 127.0.0.1.

A good production configuration passes with exit status 0; a bad one fails with 1 and names each
problem with its fix, and never prints a secret."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from statusdesk.core import readiness
from tests.notifications.receivers import SmtpSink, free_port
from tests.processes import Site, a_site, wait_for

pytestmark = [pytest.mark.django_db, pytest.mark.processes]

STRONG_KEY = secrets.token_urlsafe(50)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, django_db_blocker: object) -> Iterator[Site]:
    with django_db_blocker.unblock(), a_site(tmp_path_factory.mktemp("site")) as site:  # type: ignore[attr-defined]
        yield site


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def production(site: Site, redis_url: str, smtp_url: str) -> dict[str, str | None]:
    """The environment of a production site (PostgreSQL on the PostgreSQL run), all of it right."""
    return {
        **site.queue("check", redis_url),
        "STATUSDESK_SECRET_KEY": STRONG_KEY,
        "STATUSDESK_ALLOWED_HOSTS": "status.example.com,127.0.0.1",
        "STATUSDESK_PUBLIC_URL": "https://status.example.com",
        "STATUSDESK_SECURE": "1",
        "STATUSDESK_CSRF_TRUSTED_ORIGINS": "https://status.example.com",
        "STATUSDESK_SMTP_URL": smtp_url,
        "STATUSDESK_FROM_EMAIL": "status@example.com",
        "STATUSDESK_DEBUG": None,
        # The test run sets it (tests/conftest.py); Django's deployment checks refuse it.
        "DJANGO_ALLOW_ASYNC_UNSAFE": None,
    }


def findings(output: str) -> dict[str, list[str]]:
    """Each check's lines (level and message, then its fix) from the printed report."""
    found: dict[str, list[str]] = {}
    name = ""
    for line in output.splitlines():
        level = line.split("  ", 1)[0].strip()
        if level in readiness.LEVELS:
            name = line.split("  ", 1)[1].split(":", 1)[0].strip()
            found.setdefault(name, []).append(line)
        elif line.startswith(" ") and name:
            found[name].append(line)
    return found


def levels(output: str) -> dict[str, set[str]]:
    return {
        name: {line.split()[0] for line in lines if line.split()[0] in readiness.LEVELS}
        for name, lines in findings(output).items()
    }


def test_a_good_production_configuration_passes(
    site: Site, redis_url: str, smtp_server: SmtpSink
) -> None:
    env = production(site, redis_url, smtp_server.url)
    site.cli("prepare", "-v", "0", **env)
    worker = site.start_worker("check-worker", **env)
    try:
        wait_for(
            lambda: site.value("SELECT COUNT(*) FROM core_workerheartbeat"),
            timeout=60,
            what="the worker's first heartbeat",
        )
        done = site.run("check", **env)
    finally:
        site.stop(worker)
    assert done.returncode == 0, done.stdout + done.stderr
    got = levels(done.stdout)
    expected = {
        "django",
        "secret-key",
        "debug",
        "allowed-hosts",
        "public-url",
        "tls",
        "database",
        "migrations",
        "profile",
        "redis",
        "smtp",
        "static-files",
        "worker",
        "reactions",
    }
    assert set(got) == expected, done.stdout
    if connection.vendor == "postgresql":
        # PostgreSQL and Redis: the production profile, every finding OK.
        assert all(found == {"OK"} for found in got.values()), done.stdout
    else:
        # SQLite is one machine: the profile says so, as a warning, and nothing else does.
        assert got.pop("profile") == {"WARNING"}, done.stdout
        assert all(found == {"OK"} for found in got.values()), done.stdout
    assert "0 error(s)" in done.stdout
    assert STRONG_KEY not in done.stdout + done.stderr


def test_a_bad_configuration_fails_naming_each_problem_and_its_fix(site: Site) -> None:
    dead_db, dead_redis, dead_smtp = free_port(), free_port(), free_port()
    env = {
        "STATUSDESK_SECRET_KEY": "aaaaaaaaaaaa",
        "STATUSDESK_ALLOWED_HOSTS": "",
        "STATUSDESK_PUBLIC_URL": "http://status.example.com",
        "STATUSDESK_SECURE": "1",
        "STATUSDESK_CSRF_TRUSTED_ORIGINS": "http://status.example.com",
        "STATUSDESK_DEBUG": "1",
        "DATABASE_URL": f"postgres://statusdesk:db-s3cret@127.0.0.1:{dead_db}/statusdesk",
        "REDIS_URL": f"redis://:redis-s3cret@127.0.0.1:{dead_redis}/0",
        "STATUSDESK_SMTP_URL": f"smtp://mailer:smtp-s3cret@127.0.0.1:{dead_smtp}",
    }
    done = site.run("check", "--timeout", "2", **env)
    assert done.returncode == 1, done.stdout + done.stderr
    got = findings(done.stdout)
    report = done.stdout

    def error(name: str, *words: str) -> None:
        lines = "\n".join(got.get(name, []))
        assert "ERROR" in lines, f"{name} is not an error:\n{report}"
        for word in words:
            assert word in lines, f"{name} does not say {word!r}:\n{report}"

    error("secret-key", "12 characters long", "1 different characters", "STATUSDESK_SECRET_KEY")
    error("debug", "STATUSDESK_DEBUG")
    error("allowed-hosts", "empty", "STATUSDESK_ALLOWED_HOSTS")
    error("public-url", "not in STATUSDESK_ALLOWED_HOSTS", "not https://")
    error("tls", "http://status.example.com", "STATUSDESK_CSRF_TRUSTED_ORIGINS")
    error("database", f"127.0.0.1:{dead_db}", "does not answer", "DATABASE_URL", "pg_isready")
    error("redis", f"127.0.0.1:{dead_redis}", "does not answer", "REDIS_URL")
    error("smtp", f"127.0.0.1:{dead_smtp}", "does not answer", "STATUSDESK_SMTP_URL")
    # What needs the database is not checked, and says why.
    assert "not checked: the database does not answer" in "\n".join(got["worker"])
    assert "not checked: the database does not answer" in "\n".join(got["reactions"])
    for name in ("secret-key", "debug", "allowed-hosts", "database", "redis", "smtp"):
        assert name in done.stderr  # the closing line names every failing check
    for secret in ("aaaaaaaaaaaa", "db-s3cret", "redis-s3cret", "smtp-s3cret"):
        assert secret not in done.stdout + done.stderr


def test_no_worker_and_a_stuck_backlog_fail(
    site: Site, redis_url: str, smtp_server: SmtpSink, tmp_path: Path
) -> None:
    """A good configuration whose workers stopped long ago: the last heartbeat is an hour old and
    reactions wait (one for an hour) or failed for good."""
    env = production(site, redis_url, smtp_server.url)
    site.cli("prepare", "-v", "0", **env)
    site.python(
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from statusdesk.core.models import Event, ReactionRun, WorkerHeartbeat\n"
        "WorkerHeartbeat.objects.all().delete()\n"
        "an_hour_ago = timezone.now() - timedelta(hours=1)\n"
        "WorkerHeartbeat.objects.create(worker='gone:1', started_at=an_hour_ago, "
        "beat_at=an_hour_ago)\n"
        "event = Event.objects.create(kind='test.stuck', subject='stuck', at=an_hour_ago)\n"
        "ReactionRun.objects.create(event=event, reaction='test.waits', created_at=an_hour_ago, "
        "due_at=an_hour_ago)\n"
        "ReactionRun.objects.create(event=event, reaction='test.failed', created_at=an_hour_ago, "
        "due_at=an_hour_ago, failed_at=an_hour_ago, attempts=8)\n",
        **env,
    )
    try:
        done = site.run("check", **env)
    finally:
        site.python(
            "from statusdesk.core.models import Event, ReactionRun, WorkerHeartbeat\n"
            "WorkerHeartbeat.objects.filter(worker='gone:1').delete()\n"
            "ReactionRun.objects.filter(event__kind='test.stuck').delete()\n"
            "Event.objects.filter(kind='test.stuck')._raw_delete('default')\n",
            **env,
        )
    assert done.returncode == 1, done.stdout + done.stderr
    got = findings(done.stdout)
    worker = "\n".join(got["worker"])
    assert "ERROR" in worker and "gone:1" in worker and "statusdesk worker" in worker
    backlog = "\n".join(got["reactions"])
    assert "1 reaction(s) failed" in backlog and "statusdesk reactions retry" in backlog
    assert "1 reaction(s) pending, the oldest for 36" in backlog
    assert levels(done.stdout)["secret-key"] == {"OK"}
    assert "worker, reactions" in done.stderr


def test_fail_level_warning_fails_on_a_warning(site: Site) -> None:
    """No SMTP server: e-mails stay in files, a warning, which --fail-level WARNING counts."""
    env = {
        "STATUSDESK_SMTP_URL": None,
        "STATUSDESK_SECRET_KEY": STRONG_KEY,
        "STATUSDESK_ALLOWED_HOSTS": "status.example.com",
        "STATUSDESK_PUBLIC_URL": "https://status.example.com",
        "STATUSDESK_SECURE": "1",
        "DJANGO_ALLOW_ASYNC_UNSAFE": None,
    }
    only_smtp = [f"--skip={name}" for name in readiness.CHECKS if name != "smtp"]
    passing = site.run("check", *only_smtp, **env)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert levels(passing.stdout)["smtp"] == {"WARNING"}
    failing = site.run("check", "--fail-level", "WARNING", *only_smtp, **env)
    assert failing.returncode == 1
    assert "smtp" in failing.stderr


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("x" * 60, "made of 1 different characters"),
        ("short-but-varied-9", "18 characters long"),
        ("django-insecure-" + secrets.token_urlsafe(50), "Django's insecure development key"),
    ],
)
def test_a_weak_secret_key_is_an_error(key: str, problem: str, settings: object) -> None:
    settings.SECRET_KEY = key  # type: ignore[attr-defined]
    context = readiness.Context(readiness.Limits(), {"STATUSDESK_SECRET_KEY": key})
    [finding] = readiness.secret_key(context)
    assert finding.level == readiness.ERROR
    assert problem in finding.message
    assert key not in finding.message + finding.fix


def test_a_worker_heartbeat_is_stamped_once_per_process(db: None) -> None:
    from statusdesk.core import heartbeat
    from statusdesk.core.models import WorkerHeartbeat

    heartbeat.beat()
    heartbeat.beat()
    [row] = WorkerHeartbeat.objects.all()
    assert row.worker == heartbeat.this_worker()
    assert heartbeat.newest() == row


def test_pending_migrations_are_an_error_until_prepare(
    tmp_path: Path, django_db_blocker: object
) -> None:
    """A database nothing has migrated yet: an error naming `statusdesk prepare`; what reads the
    tables is not checked. After `statusdesk prepare`, the migrations are OK."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        fresh = Site(tmp_path)
    try:
        skip = ["--skip=django", "--skip=smtp", "--skip=static-files", "--skip=redis"]
        before = fresh.run("check", *skip)
        assert before.returncode == 1
        got = findings(before.stdout)
        migrations = "\n".join(got["migrations"])
        assert "ERROR" in migrations and "not applied: contenttypes.0001_initial" in migrations
        assert "statusdesk prepare" in migrations
        assert "not checked: migrations are pending" in "\n".join(got["worker"])
        fresh.cli("prepare", "--no-static", "-v", "0")
        after = fresh.run("check", *skip)
        assert levels(after.stdout)["migrations"] == {"OK"}, after.stdout
    finally:
        with django_db_blocker.unblock():  # type: ignore[attr-defined]
            fresh.close()
