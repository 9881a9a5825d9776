"""The roles of the process document as Django groups with permissions.

| role              | may                                                                      |
|-------------------|--------------------------------------------------------------------------|
| Administrator     | everything (is also a superuser)                                         |
| Incident manager  | file and triage reports, confirm, assign, publish, update, resolve       |
| Developer         | file reports, see every report and incident                              |
| Desk member       | file reports, see every report and incident                              |
| Reporter          | file reports and follow their own                                        |
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import Group, Permission


class Role(StrEnum):
    ADMINISTRATOR = "Administrator"
    INCIDENT_MANAGER = "Incident manager"
    DEVELOPER = "Developer"
    DESK_MEMBER = "Desk member"
    REPORTER = "Reporter"


# Permissions are declared on incidents.Incident (Meta.permissions) and incidents.Report.
REPORT_PROBLEM = "incidents.report_problem"
VIEW_ALL_REPORTS = "incidents.view_all_reports"
VIEW_INCIDENTS = "incidents.view_incidents"
MANAGE_INCIDENTS = "incidents.manage_incidents"
BACKFILL = "incidents.backfill_history"

ROLE_PERMISSIONS: dict[Role, set[str]] = {
    Role.ADMINISTRATOR: {
        REPORT_PROBLEM,
        VIEW_ALL_REPORTS,
        VIEW_INCIDENTS,
        MANAGE_INCIDENTS,
        BACKFILL,
    },
    Role.INCIDENT_MANAGER: {
        REPORT_PROBLEM,
        VIEW_ALL_REPORTS,
        VIEW_INCIDENTS,
        MANAGE_INCIDENTS,
        BACKFILL,
    },
    Role.DEVELOPER: {REPORT_PROBLEM, VIEW_ALL_REPORTS, VIEW_INCIDENTS},
    Role.DESK_MEMBER: {REPORT_PROBLEM, VIEW_ALL_REPORTS, VIEW_INCIDENTS},
    Role.REPORTER: {REPORT_PROBLEM},
}


def ensure_roles(using: str = "default") -> None:
    """Create the role groups and give each the permissions of its role (idempotent).

    Only missing permissions are added: what an administrator granted in the admin stays. The
    permissions themselves are created by Django when the app that declares them is migrated.
    Three queries when everything is in place (it runs for every user created)."""
    wanted = {dotted for perms in ROLE_PERMISSIONS.values() for dotted in perms}
    found: dict[str, int] = {}
    for pk, app_label, codename in (
        Permission.objects.using(using)
        .filter(
            content_type__app_label__in={dotted.split(".")[0] for dotted in wanted},
            codename__in={dotted.split(".")[1] for dotted in wanted},
        )
        .values_list("pk", "content_type__app_label", "codename")
    ):
        found[f"{app_label}.{codename}"] = pk
    absent = sorted(wanted - found.keys())
    if absent:
        raise RuntimeError(f"permission {absent[0]} does not exist: run `statusdesk migrate` first")
    groups = {
        group.name: group.pk
        for group in Group.objects.using(using).filter(name__in=[r.value for r in ROLE_PERMISSIONS])
    }
    for role in ROLE_PERMISSIONS:
        if role.value not in groups:
            groups[role.value] = Group.objects.using(using).get_or_create(name=role.value)[0].pk
    through = Group.permissions.through
    held = set(
        through.objects.using(using)
        .filter(group_id__in=groups.values())
        .values_list("group_id", "permission_id")
    )
    owed = [
        through(group_id=groups[role.value], permission_id=found[dotted])
        for role, perms in ROLE_PERMISSIONS.items()
        for dotted in sorted(perms)
        if (groups[role.value], found[dotted]) not in held
    ]
    if owed:
        through.objects.using(using).bulk_create(owed, ignore_conflicts=True)


def roles_of(user: object) -> list[str]:
    groups = getattr(user, "groups", None)
    if groups is None:
        return []
    return sorted(g.name for g in groups.all())
