from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "statusdesk.incidents"
    label = "incidents"
    verbose_name = "Reports and incidents"
