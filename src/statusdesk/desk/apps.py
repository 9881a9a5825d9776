from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import pre_save


class DeskConfig(AppConfig):
    name = "statusdesk.desk"
    label = "desk"
    verbose_name = "Incident Desk"

    def ready(self) -> None:
        from statusdesk.core.signals import demo_users_seeded
        from statusdesk.desk import events, reactions  # noqa: F401 (registers them)

        demo_users_seeded.connect(_demo_desk, dispatch_uid="desk.demo_desk")
        pre_save.connect(
            _account_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="desk.r7_accounts"
        )


def _account_saved(sender: object, instance: object, raw: bool = False, **kwargs: object) -> None:
    """R7 wherever an account is changed: a standing member's account is not deactivated when
    the desk would keep fewer than four active standing members (deleting one is refused by the
    membership's PROTECT, and by the admin with the same message)."""
    if raw:
        return  # loading a fixture
    from statusdesk.desk.services import refuse_closing_a_needed_account

    refuse_closing_a_needed_account(instance)  # type: ignore[arg-type]


def _demo_desk(sender: object, users: dict[object, str], **kwargs: object) -> None:
    """The demo's four desk members are the desk's standing members (R7)."""
    from statusdesk.accounts.roles import Role
    from statusdesk.desk.services import ensure_standing_members

    desk = [user for user, role in users.items() if role == Role.DESK_MEMBER.value]
    ensure_standing_members(desk, why="demo desk member")  # type: ignore[arg-type]
