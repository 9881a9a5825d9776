from django.apps import AppConfig


class StatuspageConfig(AppConfig):
    name = "statusdesk.statuspage"
    label = "statuspage"
    verbose_name = "Public status page"

    def ready(self) -> None:
        from statusdesk.statuspage import reactions  # noqa: F401 (registers the rebuild)
