"""The live thread: /ws/desk/incidents/<id>/?since=<message id>.

The same access rule as the console and the API (services.can_read_thread), checked when the
socket opens and again before each delivery, so a released developer stops receiving. On connect
the client gets every message after `since` (what it missed while disconnected), then each new
one as it is posted: pushed, when the channel layer's group nudge ("thread N has news", sent after
each post commits, live.py) arrives. A slow safety look at the database catches a nudge that was
lost (a Redis hiccup; on the in-memory layer, a post the worker wrote in another process).
Messages are JSON: {"type": "message", "id", "kind", "html"} where html is the rendered list item
the console shows."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.template.loader import render_to_string

from statusdesk.desk import services
from statusdesk.desk.live import group_name
from statusdesk.desk.models import Message
from statusdesk.incidents.models import Incident

# The safety look at the database, for a lost nudge only: news is pushed. On the in-memory layer
# (the default: one process) the worker's posts (kickoff, step posts, reminders) cannot nudge the
# web process at all, so it looks more often there; with Redis every process reaches every socket.
SAFETY_POLL_SECONDS = 30.0
IN_MEMORY_POLL_SECONDS = 5.0
# Close codes: the thread is not yours (or does not exist); a bad `since`.
NOT_YOURS = 4404
BAD_REQUEST = 4400


def safety_poll_seconds(layer: Any) -> float:
    from channels.layers import InMemoryChannelLayer

    if isinstance(layer, InMemoryChannelLayer):
        return IN_MEMORY_POLL_SECONDS
    return SAFETY_POLL_SECONDS


class ThreadConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    incident_id: int
    last_id: int
    watcher: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.incident_id = int(self.scope["url_route"]["kwargs"]["incident_id"])
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        raw = (query.get("since") or ["0"])[0]
        if not raw.isdigit() or len(raw) > 18:
            await self.accept()
            await self.send_json({"type": "error", "message": "since must be a message id"})
            await self.close(code=BAD_REQUEST)
            return
        self.last_id = int(raw)
        if not await self._may_read():
            await self.close(code=NOT_YOURS)
            return
        await self.channel_layer.group_add(group_name(self.incident_id), self.channel_name)
        await self.accept()
        await self._deliver()
        self.watcher = asyncio.ensure_future(self._watch())

    async def disconnect(self, code: int) -> None:
        if self.watcher is not None:
            self.watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.watcher
        with contextlib.suppress(Exception):
            await self.channel_layer.group_discard(group_name(self.incident_id), self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # Posting goes through HTTP (the console form, the API); the socket only listens.
        await self.send_json({"type": "error", "message": "post with the form or the API"})

    async def thread_news(self, event: dict[str, Any]) -> None:
        await self._deliver()

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(safety_poll_seconds(self.channel_layer))
            await self._deliver()

    async def _deliver(self) -> None:
        if not await self._may_read():
            await self.close(code=NOT_YOURS)
            return
        for item in await self._news():
            self.last_id = max(self.last_id, item["id"])
            await self.send_json(item)

    @database_sync_to_async
    def _may_read(self) -> bool:
        incident = Incident.objects.filter(pk=self.incident_id).first()
        return incident is not None and services.can_read_thread(self.scope.get("user"), incident)

    @database_sync_to_async
    def _news(self) -> list[dict[str, Any]]:
        found = (
            Message.objects.filter(thread__incident_id=self.incident_id, pk__gt=self.last_id)
            .select_related("author")
            .order_by("id")[:200]
        )
        return [
            {
                "type": "message",
                "id": m.pk,
                "kind": m.kind,
                "html": render_to_string("desk/_message.html", {"message": m}),
            }
            for m in found
        ]
