"""Reactions through real processes: a `statusdesk shell` commits a step, `statusdesk worker`
consumers run its reaction from the real queue (SQLite under the var dir, or Redis), and are
killed with SIGKILL in the middle. Whatever dies, each reaction ends up run exactly once.

On the PostgreSQL pass of `make test` the site's database is PostgreSQL; otherwise a SQLite file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import Site, a_site, wait_for

pytestmark = [pytest.mark.django_db, pytest.mark.processes]

POST = (
    "from tests.noticeboard.services import post_notice; "
    "print(post_notice({text!r}, hold_until={hold!r}).pk)"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, django_db_blocker: object) -> Iterator[Site]:
    with django_db_blocker.unblock(), a_site(tmp_path_factory.mktemp("site")) as site:  # type: ignore[attr-defined]
        yield site


def _event_of(site: Site, notice_id: int) -> int:
    return int(site.value("SELECT id FROM core_event WHERE subject = ?", f"notice:{notice_id}"))


def _echoes(site: Site, event_id: int) -> int:
    return int(site.value("SELECT COUNT(*) FROM noticeboard_echo WHERE event_id = ?", event_id))


def _handled(site: Site, event_id: int) -> bool:
    return bool(
        site.value(
            "SELECT handled_at IS NOT NULL FROM core_reactionrun WHERE event_id = ?", event_id
        )
    )


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def queue(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    if request.param == "redis-queue":
        return "redis", request.getfixturevalue("redis_url")
    return "sqlite", None


def test_killing_the_worker_between_commit_and_reaction_still_ends_with_one_reaction(
    site: Site, queue: tuple[str, str | None], tmp_path: Path
) -> None:
    env = site.queue("kill-" + queue[0], queue[1])
    first = site.start_worker("worker-1", **env)
    hold = tmp_path / "hold"
    # The step commits in its own process; its reaction is queued after the commit.
    notice = int(site.python(POST.format(text="Kill me", hold=str(hold)), **env).strip())
    event = _event_of(site, notice)
    # The worker took the task and is inside the reaction (its write not yet committed)...
    wait_for(lambda: Path(f"{hold}.started").exists(), what="the reaction to start")
    # ...when it dies.
    site.kill(first)
    assert _echoes(site, event) == 0
    assert not _handled(site, event)
    # The queued task died with the worker; a new worker's start-up sweep finds the owed run.
    hold.write_text("go")
    second = site.start_worker("worker-2", **env)
    wait_for(lambda: _handled(site, event), what="the reaction to be handled after the restart")
    site.stop(second)
    assert _echoes(site, event) == 1, site.log("worker-2")
    # And nothing runs it again.
    assert "ran 0 reaction(s)" in site.cli("reactions", "sweep", **env)
    assert _echoes(site, event) == 1


def test_a_step_committed_while_the_queue_is_down_is_run_once_when_a_worker_starts(
    site: Site, redis_url: str, tmp_path: Path
) -> None:
    env = site.queue("redis-down", redis_url)
    # Nothing listens on port 9: queueing fails after the commit, and the step still succeeds.
    down = {**env, "REDIS_URL": "redis://127.0.0.1:9/0"}
    code = POST.format(text="Queue is down", hold="")
    notice = int(site.python(code, **down).strip().splitlines()[-1])
    event = _event_of(site, notice)
    assert not _handled(site, event)
    worker = site.start_worker("worker-redis-down", **env)
    wait_for(lambda: _handled(site, event), what="the sweep to run the unqueued reaction")
    site.stop(worker)
    assert _echoes(site, event) == 1


def test_two_workers_starting_together_run_each_owed_reaction_once(
    site: Site, queue: tuple[str, str | None]
) -> None:
    env = site.queue("race-" + queue[0], queue[1])
    # Twenty steps commit with no worker running (their tasks wait in the queue)...
    code = (
        "from tests.noticeboard.services import post_notice\n"
        "print(*[post_notice(f'notice {i}').pk for i in range(20)])"
    )
    notices = [int(pk) for pk in site.python(code, **env).split()]
    events = [_event_of(site, pk) for pk in notices]
    # ...then two consumers start at once: both sweep at start-up and both read the queue.
    workers = [site.start_worker(f"racer-{i}", **env) for i in range(2)]
    wait_for(
        lambda: all(_handled(site, event) for event in events),
        timeout=60,
        what="every reaction to be handled",
    )
    for worker in workers:
        site.stop(worker)
    assert [_echoes(site, event) for event in events] == [1] * 20
