from django.apps import AppConfig


class StatuspageConfig(AppConfig):
    name = "statusdesk.statuspage"
    label = "statuspage"
    verbose_name = "Status page"
