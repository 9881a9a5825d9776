from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "statusdesk.desk"
    label = "desk"
    verbose_name = "Incident Desk"

    def ready(self) -> None:
        from statusdesk.core.signals import demo_users_seeded
        from statusdesk.desk import events, reactions  # noqa: F401 (registers them)

        demo_users_seeded.connect(_demo_desk, dispatch_uid="desk.demo_desk")


def _demo_desk(sender: object, users: dict[object, str], **kwargs: object) -> None:
    """The demo's four desk members are the desk's standing members (R7)."""
    from statusdesk.accounts.roles import Role
    from statusdesk.desk.services import ensure_standing_members

    desk = [user for user, role in users.items() if role == Role.DESK_MEMBER.value]
    ensure_standing_members(desk, why="demo desk member")  # type: ignore[arg-type]
