"""Components (R6): the default eight, administrators' changes, and the status each one shows.

A component's status is derived, never typed in: the most serious status that an open, published
incident gives it (major outage > partial outage > degraded performance > under maintenance >
operational), so a milder incident never hides a worse one and resolving one incident leaves the
others' marks. Every change of status, and every change an administrator makes (add, rename,
reorder, describe, remove), is an event about `component:<id>`: the public status page, its
uptime history and the audit trail read them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from statusdesk.accounts.models import User
from statusdesk.core.errors import IllegalTransition, NotAllowed, NotFound, Problems
from statusdesk.core.events import record
from statusdesk.incidents.events import ComponentEvent
from statusdesk.incidents.limits import (
    COMPONENT_DESCRIPTION_MAX,
    COMPONENT_KEY_MAX,
    COMPONENT_NAME_MAX,
)
from statusdesk.incidents.models import (
    AffectedComponent,
    Component,
    ComponentStatus,
    Incident,
    IncidentUpdate,
)

# R6: the components of the process document, in its order (key, name, code name, what it is).
DEFAULT_COMPONENTS: list[tuple[str, str, str, str]] = [
    ("platform", "Platform", "Integrates", "The Fluid Attacks application and its API."),
    (
        "web",
        "Web",
        "Airs",
        "The homepage and all information about Fluid Attacks and its products.",
    ),
    ("docs", "Docs", "Docs", "The documentation."),
    ("agent", "Agent", "Forces", "The client-side part of the DevSecOps agent."),
    (
        "cloning",
        "Cloning",
        "Melts",
        "Downloads the end users' code repositories and other utilities hackers require.",
    ),
    (
        "scanning",
        "Scanning",
        "Machine",
        "Scans source code, infrastructure and applications and reports security problems.",
    ),
    (
        "extensions",
        "Extensions",
        "Retrieves",
        "Visual Studio Code extension that points reported vulnerabilities to file and line.",
    ),
    ("mailing", "Mailing", "Mailing", "Sends notifications to users of Fluid Attacks products."),
]

# What an administrator may change, and in what words the audit trail names it.
EDITABLE_FIELDS = ("name", "code_name", "description", "position")

# From least to most serious: a component shows the most serious status any open incident gives it.
SERIOUSNESS: dict[str, int] = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED_PERFORMANCE: 2,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.MAJOR_OUTAGE: 4,
}


def worst(statuses: Iterable[str]) -> str:
    return max(
        statuses, key=lambda status: SERIOUSNESS[status], default=ComponentStatus.OPERATIONAL
    )


# --- status, derived from the open incidents ---------------------------------------------------


def derived_statuses(component_ids: Iterable[int]) -> dict[int, str]:
    """Each component's status from the incidents that affect it now: one indexed query over the
    active rows only (open, published incidents), whatever the size of the history."""
    ids = list(component_ids)
    statuses: dict[int, list[str]] = {pk: [] for pk in ids}
    # Every active row (as many as the open incidents give, never the history) from the partial
    # index alone: asked for some components by id, SQLite's planner chose the index on
    # component_id instead and read every row those components ever had (publishing took three
    # times as long at 50,000 incidents as at 1,000).
    active = AffectedComponent.objects.filter(active=True).order_by()
    for component_id, status in active.values_list("component_id", "status"):
        if component_id in statuses:
            statuses[component_id].append(status)
    return {pk: worst(given) for pk, given in statuses.items()}


def give_status(incident: Incident, component: Component, status: str) -> None:
    """`incident` gives `component` this status from now on (it affects it while it is open)."""
    AffectedComponent.objects.update_or_create(
        incident=incident, component=component, defaults={"status": status, "active": True}
    )


def derive_locked(components: Iterable[Component]) -> list[tuple[Component, str]]:
    """Lock the components (in id order, so two steps never deadlock) and derive the status each
    one should show now; call inside the step's transaction, after its AffectedComponent rows."""
    ids = sorted({c.pk for c in components})
    locked = list(Component.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    derived = derived_statuses(ids)
    return [(component, derived[component.pk]) for component in locked]


def apply_statuses(
    derived: Iterable[tuple[Component, str]],
    *,
    at: datetime,
    actor: User | None,
    incident: Incident,
    update: IncidentUpdate,
) -> None:
    """Give each locked component its derived status, with an event about it for each change
    (naming the step that caused it and whether that step notifies subscribers)."""
    for component, status in derived:
        if component.status == status:
            continue
        previous = component.status
        component.status = status
        component.status_changed_at = at
        component.save(update_fields=["status", "status_changed_at"])
        record(
            ComponentEvent.STATUS_CHANGED,
            subject=component,
            also=[incident],
            at=at,
            actor=actor,
            component_id=component.pk,
            incident_id=incident.pk,
            previous=previous,
            status=status,
            update_id=update.pk,
            notify=update.notify,
        )


# --- administrators' changes (R6 "editable by administrators") --------------------------------


def _require_admin(actor: User | None, permission: str, action: str) -> None:
    if actor is not None and not (actor.is_active and actor.has_perm(permission)):
        raise NotAllowed(f"your role does not allow you to {action}", rule="R6")


def name_problem(name: str, *, exclude_pk: int | None = None) -> str | None:
    """Why a component cannot take this name (names are unique, whatever their case)."""
    if not name:
        return "name is required"
    if len(name) > COMPONENT_NAME_MAX:
        return f"name must be at most {COMPONENT_NAME_MAX} characters"
    same = Component.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        return f"a component named {name!r} exists already"
    return None


def _clean(problems: Problems, fields: dict[str, Any], *, exclude_pk: int | None = None) -> None:
    if "name" in fields:
        fields["name"] = str(fields["name"] or "").strip()
        problem = name_problem(fields["name"], exclude_pk=exclude_pk)
        if problem:
            problems.add("name", problem, "R6")
    if "code_name" in fields:
        fields["code_name"] = str(fields["code_name"] or "").strip()
        if len(fields["code_name"]) > COMPONENT_NAME_MAX:
            problems.add(
                "code_name", f"code name must be at most {COMPONENT_NAME_MAX} characters", "R6"
            )
    if "description" in fields:
        fields["description"] = str(fields["description"] or "").strip()
        if len(fields["description"]) > COMPONENT_DESCRIPTION_MAX:
            problems.add(
                "description",
                f"description must be at most {COMPONENT_DESCRIPTION_MAX} characters",
                "R6",
            )
    if "position" in fields:
        position = fields["position"]
        if isinstance(position, bool) or not isinstance(position, int) or position < 0:
            problems.add("position", "position must be a whole number, 0 or more", "R6")


@transaction.atomic
def add_component(
    *,
    actor: User | None,
    name: str,
    key: str = "",
    code_name: str = "",
    description: str = "",
    position: int | None = None,
    at: datetime | None = None,
) -> Component:
    """Add a component to the status page (operational until an incident affects it). `at`
    back-dates the addition (the demo's history); the status page's uptime starts there."""
    _require_admin(actor, "incidents.add_component", "add components")
    fields: dict[str, Any] = {"name": name, "code_name": code_name, "description": description}
    if position is not None:
        fields["position"] = position
    problems = Problems()
    _clean(problems, fields)
    key = slugify(key or fields["name"])[:COMPONENT_KEY_MAX]
    if not key:
        problems.add("key", "key is required (letters, digits, hyphens)", "R6")
    elif Component.objects.filter(key=key).exists():
        problems.add("key", f"a component with key {key!r} exists already", "R6")
    problems.raise_if_any()
    if "position" not in fields:
        last = Component.objects.order_by("-position").values_list("position", flat=True).first()
        fields["position"] = (last or 0) + 1
    component = Component.objects.create(key=key, **fields)
    record(
        ComponentEvent.ADDED,
        subject=component,
        at=at or timezone.now(),
        actor=actor,
        component_id=component.pk,
        key=key,
        **fields,
    )
    return component


@transaction.atomic
def change_component(
    *, actor: User | None, component: Component | int, **changes: Any
) -> Component:
    """Rename, reorder or describe a component; its status is not editable (incidents set it)."""
    _require_admin(actor, "incidents.change_component", "change components")
    pk = component.pk if isinstance(component, Component) else component
    found = Component.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound(f"component {pk} does not exist", field="component")
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    problems = Problems()
    for field in unknown:
        problems.add(field, f"{field} cannot be changed here (only {', '.join(EDITABLE_FIELDS)})")
    fields = {k: v for k, v in changes.items() if k in EDITABLE_FIELDS}
    _clean(problems, fields, exclude_pk=found.pk)
    problems.raise_if_any()
    diff = {
        field: [getattr(found, field), value]
        for field, value in fields.items()
        if getattr(found, field) != value
    }
    if not diff:
        return found
    for field, (_, value) in diff.items():
        setattr(found, field, value)
    found.save(update_fields=list(diff))
    record(
        ComponentEvent.CHANGED,
        subject=found,
        at=timezone.now(),
        actor=actor,
        component_id=found.pk,
        changes=diff,
    )
    return found


def removal_problem(component: Component) -> str | None:
    """Why a component cannot be removed (an incident named it: its history must stay)."""
    if component.affected_by.exists():
        return (
            f"{component.name} is named by incidents; rename it instead of removing it, so "
            "that their history stays readable"
        )
    return None


@transaction.atomic
def remove_component(*, actor: User | None, component: Component | int) -> None:
    """Remove a component no incident ever affected (a typo, a component never used)."""
    _require_admin(actor, "incidents.delete_component", "remove components")
    pk = component.pk if isinstance(component, Component) else component
    found = Component.objects.select_for_update().filter(pk=pk).first()
    if found is None:
        raise NotFound(f"component {pk} does not exist", field="component")
    problem = removal_problem(found)
    if problem:
        raise IllegalTransition(problem, field="component", rule="R6")
    record(
        ComponentEvent.REMOVED,
        subject=found,
        at=timezone.now(),
        actor=actor,
        component_id=found.pk,
        key=found.key,
        name=found.name,
    )
    found.delete()


@transaction.atomic
def ensure_default_components(*, at: datetime | None = None) -> int:
    """R6: create the eight components of the process document if missing; returns how many.

    Components are recognised by their key, so one an administrator renamed is not added again,
    and a name an administrator took for another component is not taken twice."""
    created = 0
    for position, (key, name, code_name, description) in enumerate(DEFAULT_COMPONENTS, start=1):
        if Component.objects.filter(Q(key=key) | Q(name__iexact=name)).exists():
            continue
        add_component(
            actor=None,
            key=key,
            name=name,
            code_name=code_name,
            description=description,
            position=position,
            at=at,
        )
        created += 1
    return created
