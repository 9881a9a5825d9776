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
from django.contrib.contenttypes.models import ContentType


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

    Only missing permissions are added: what an administrator granted in the admin stays."""
    from statusdesk.incidents.models import Incident, Report

    content_types = ContentType.objects.db_manager(using).get_for_models(Report, Incident)
    by_codename = {
        codename: content_type
        for model, content_type in content_types.items()
        for codename, _ in model._meta.permissions
    }
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=role.value)
        wanted = []
        for dotted in sorted(perms):
            codename = dotted.split(".")[1]
            perm, _ = Permission.objects.using(using).get_or_create(
                codename=codename,
                content_type=by_codename[codename],
                defaults={"name": codename.replace("_", " ")},
            )
            wanted.append(perm)
        group.permissions.add(*wanted)


def roles_of(user: object) -> list[str]:
    groups = getattr(user, "groups", None)
    if groups is None:
        return []
    return sorted(g.name for g in groups.all())
