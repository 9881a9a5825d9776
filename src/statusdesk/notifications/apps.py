from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "statusdesk.notifications"
    label = "notifications"
    verbose_name = "Subscribers and notifications"

    def ready(self) -> None:
        from statusdesk.notifications import events, reactions  # noqa: F401 (registers them)
