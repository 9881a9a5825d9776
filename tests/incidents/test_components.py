"""Components (R6): administrators' changes are events; history names components by id, so a
rename keeps it; a component's status is derived from the open incidents only."""

from __future__ import annotations

import pytest

from statusdesk.core.errors import IllegalTransition, NotAllowed, RuleViolation
from statusdesk.core.models import Event
from statusdesk.incidents import components as component_services
from statusdesk.incidents import services
from statusdesk.incidents.events import ComponentEvent
from statusdesk.incidents.models import AffectedComponent, Component, ComponentStatus
from statusdesk.incidents.timeline import incident_timeline
from tests.factories import a_published_incident

pytestmark = pytest.mark.django_db


def _events(component: Component) -> list[Event]:
    return list(Event.objects.about(f"component:{component.pk}").order_by("id"))


def test_r6_seeded_components_are_added_with_an_event(components):
    added = Event.objects.filter(kind=ComponentEvent.ADDED)
    assert added.count() == 8
    platform = components[0]
    event = added.get(subject=f"component:{platform.pk}")
    assert event.actor is None  # statusdesk itself seeded it
    assert event.data["key"] == "platform" and event.data["name"] == "Platform"


def test_r6_administrator_adds_renames_reorders_describes_and_removes(admin_user, components):
    billing = component_services.add_component(
        actor=admin_user, name="Billing", description="Invoices"
    )
    assert billing.key == "billing" and billing.position == 9
    component_services.change_component(
        actor=admin_user, component=billing, name="Payments", position=0, description="Money"
    )
    billing.refresh_from_db()
    assert (billing.name, billing.position, billing.description) == ("Payments", 0, "Money")
    component_services.remove_component(actor=admin_user, component=billing.pk)
    assert not Component.objects.filter(pk=billing.pk).exists()
    kinds = [e.kind for e in Event.objects.about(f"component:{billing.pk}").order_by("id")]
    assert kinds == [ComponentEvent.ADDED, ComponentEvent.CHANGED, ComponentEvent.REMOVED]
    changed = Event.objects.get(kind=ComponentEvent.CHANGED)
    assert changed.actor == admin_user
    assert changed.data["changes"] == {
        "name": ["Billing", "Payments"],
        "position": [9, 0],
        "description": ["Invoices", "Money"],
    }


def test_r6_a_change_that_changes_nothing_records_nothing(admin_user, components):
    docs = components[2]
    before = len(_events(docs))
    component_services.change_component(actor=admin_user, component=docs, name="Docs")
    assert len(_events(docs)) == before


def test_r6_component_names_are_unique_whatever_their_case(admin_user, components):
    with pytest.raises(RuleViolation, match="exists already") as refused:
        component_services.add_component(actor=admin_user, name="platform")
    assert refused.value.field == "name" and refused.value.rule == "R6"
    with pytest.raises(RuleViolation, match="cannot be changed here"):
        component_services.change_component(
            actor=admin_user, component=components[0], status="major_outage"
        )


def test_r6_only_administrators_change_components(manager, components):
    with pytest.raises(NotAllowed):
        component_services.add_component(actor=manager, name="Billing")
    with pytest.raises(NotAllowed):
        component_services.change_component(actor=manager, component=components[0], name="X")


def test_r6_a_component_an_incident_named_is_kept(admin_user, manager, developer, components):
    a_published_incident(manager, developer, components)
    with pytest.raises(IllegalTransition, match="rename it instead"):
        component_services.remove_component(actor=admin_user, component=components[0])


def test_renaming_a_component_keeps_its_history_readable(
    admin_user, manager, developer, components
):
    incident = a_published_incident(manager, developer, components, severity="major_outage")
    platform = components[0]
    component_services.change_component(actor=admin_user, component=platform, name="Core")
    details = [e.detail for e in incident_timeline(incident)]
    assert "Core: operational → major outage" in details
    published = next(e for e in incident_timeline(incident) if e.kind == "incident.published")
    assert "Core, Web" in published.detail
    # The event itself never held the name.
    status_events = Event.objects.filter(kind=ComponentEvent.STATUS_CHANGED)
    assert all("name" not in str(e.data) for e in status_events)


def test_status_is_derived_from_the_active_rows_of_open_incidents(manager, developer, components):
    first = a_published_incident(manager, developer, components, severity="partial_outage")
    second = a_published_incident(manager, developer, components, severity="major_outage")
    platform = components[0]
    assert component_services.derived_statuses([platform.pk]) == {platform.pk: "major_outage"}
    services.resolve_incident(actor=manager, incident=second, message="Resolved.")
    # The resolved incident keeps what it gave, no longer active.
    row = AffectedComponent.objects.get(incident=second, component=platform)
    assert (row.status, row.active) == ("major_outage", False)
    platform.refresh_from_db()
    assert platform.status == ComponentStatus.PARTIAL_OUTAGE
    services.resolve_incident(actor=manager, incident=first, message="Resolved.")
    platform.refresh_from_db()
    assert platform.status == ComponentStatus.OPERATIONAL
    assert not AffectedComponent.objects.filter(active=True).exists()


def test_the_admin_changes_components_through_the_services(client, admin_user, components):
    client.force_login(admin_user)
    docs = components[2]
    response = client.post(
        f"/admin/incidents/component/{docs.pk}/change/",
        {"name": "Documentation", "code_name": "Docs", "description": "Guides", "position": 3},
    )
    assert response.status_code == 302
    changed = Event.objects.get(kind=ComponentEvent.CHANGED, subject=f"component:{docs.pk}")
    assert changed.actor == admin_user
    assert changed.data["changes"]["name"] == ["Docs", "Documentation"]
    # A name taken in another case is refused on the form, not with a server error.
    response = client.post(
        f"/admin/incidents/component/{docs.pk}/change/",
        {"name": "PLATFORM", "code_name": "Docs", "description": "", "position": 3},
    )
    assert response.status_code == 200
    assert "exists already" in response.content.decode()
