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
    permissions themselves are created by Django when the app that declares them is migrated."""
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        wanted = []
        for dotted in sorted(perms):
            app_label, codename = dotted.split(".")
            perm = (
                Permission.objects.using(using)
                .filter(content_type__app_label=app_label, codename=codename)
                .first()
            )
            if perm is None:
                raise RuntimeError(
                    f"permission {dotted} does not exist: run `statusdesk migrate` first"
                )
            wanted.append(perm)
        group.permissions.add(*wanted)


def roles_of(user: object) -> list[str]:
    groups = getattr(user, "groups", None)
    if groups is None:
        return []
    return sorted(g.name for g in groups.all())
