from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "statusdesk.incidents"
    label = "incidents"
    verbose_name = "Reports and incidents"

    def ready(self) -> None:
        from statusdesk.incidents import events  # noqa: F401 (declares the event kinds)
