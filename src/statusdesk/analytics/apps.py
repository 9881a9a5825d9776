from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "statusdesk.analytics"
    label = "analytics"
    verbose_name = "Incident analytics"
