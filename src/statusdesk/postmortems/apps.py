from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "statusdesk.postmortems"
    label = "postmortems"
    verbose_name = "Postmortems"

    def ready(self) -> None:
        from statusdesk.notifications.reactions import notify_on
        from statusdesk.postmortems.events import PostmortemEvent

        # Subscribers hear of a published postmortem (R20) through the notification pipeline.
        notify_on([PostmortemEvent.PUBLISHED])
