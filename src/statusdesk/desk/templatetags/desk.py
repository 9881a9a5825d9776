"""Template tags of the desk, for pages of other apps (the incident page links its thread)."""

from __future__ import annotations

from typing import Any

from django import template

from statusdesk.desk import services
from statusdesk.incidents.models import Incident

register = template.Library()


@register.filter
def reads_thread(user: Any, incident: Incident) -> bool:
    """Whether `user` may read the incident's desk thread (members, its manager, its developer)."""
    return services.can_read_thread(user, incident)
