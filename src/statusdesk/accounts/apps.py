from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "statusdesk.accounts"
    label = "accounts"
    verbose_name = "Users and roles"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from statusdesk.accounts.roles import ensure_roles

        def _roles_after_migrate(sender: AppConfig, **kwargs: object) -> None:
            if sender.label == "incidents":
                ensure_roles(using=str(kwargs.get("using", "default")))

        post_migrate.connect(_roles_after_migrate, dispatch_uid="statusdesk.ensure_roles")
