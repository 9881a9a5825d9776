from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "statusdesk.backups"
    label = "backups"
    verbose_name = "statusdesk backups"
