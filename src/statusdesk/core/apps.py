from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "statusdesk.core"
    label = "core"
    verbose_name = "statusdesk core"
