"""The second app's reaction: copy each posted notice into an Echo row.

A notice posted with `hold_until` (a file path) makes the reaction write `<path>.started` and wait
until that file exists (at most a minute): the tests kill the worker while it waits."""

from __future__ import annotations

import os
import time
from pathlib import Path

from statusdesk.core.models import Event, ReactionRun
from statusdesk.core.reactions import reaction
from tests.noticeboard.events import NoticeEvent
from tests.noticeboard.models import Echo, Notice

COPY = "noticeboard.copy"


@reaction(COPY, kinds=[NoticeEvent.POSTED], when=lambda event: not event.data.get("quiet"))
def copy_notice(event: Event) -> None:
    notice = Notice.objects.get(pk=event.data["notice_id"])
    if notice.broken:
        raise RuntimeError("the notice is broken (a test asked for it)")
    Echo.objects.create(event_id=event.pk, reaction=COPY, text=notice.text, pid=os.getpid())
    hold = event.data.get("hold_until")
    if hold:
        Path(f"{hold}.started").write_text(str(os.getpid()))
        deadline = time.monotonic() + 60
        while not Path(hold).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    run = ReactionRun.objects.get(event=event, reaction=COPY)
    if run.attempts < event.data.get("fail_times", 0):
        raise RuntimeError("the notice board is down (a test asked for it)")
