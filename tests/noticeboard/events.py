from django.db import models

from statusdesk.core.events import declare_kinds


class NoticeEvent(models.TextChoices):
    POSTED = "notice.posted", "Notice posted"
    WITHDRAWN = "notice.withdrawn", "Notice withdrawn"


declare_kinds(NoticeEvent)
