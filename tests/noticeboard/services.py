from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from statusdesk.core.events import record
from tests.noticeboard.events import NoticeEvent
from tests.noticeboard.models import Notice


@transaction.atomic
def post_notice(text: str, *, actor: Any = None, broken: bool = False, **data: Any) -> Notice:
    """A step of the second app: its change and its event in one transaction."""
    notice = Notice.objects.create(text=text, broken=broken)
    record(
        NoticeEvent.POSTED,
        subject=notice,
        also=["noticeboard"],
        at=timezone.now(),
        actor=actor,
        notice_id=notice.pk,
        **data,
    )
    return notice
