"""A second app, installed only by the tests' settings: it proves that an app records events of
its own kinds and reacts to them after commit without any change to `statusdesk.core`."""

from django.apps import AppConfig


class NoticeboardConfig(AppConfig):
    name = "tests.noticeboard"
    label = "noticeboard"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tests.noticeboard import events, reactions  # noqa: F401 (kinds and reactions)
