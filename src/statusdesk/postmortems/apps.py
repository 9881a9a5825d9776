from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "statusdesk.postmortems"
    label = "postmortems"
    verbose_name = "Postmortems"

    def ready(self) -> None:
        from statusdesk.postmortems import events  # noqa: F401 (declares the event kinds)
