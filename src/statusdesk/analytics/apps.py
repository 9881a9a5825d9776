from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "statusdesk.analytics"
    label = "analytics"
    verbose_name = "Incident analytics"

    def ready(self) -> None:
        from statusdesk.analytics import reactions  # noqa: F401  (registers the reaction)
