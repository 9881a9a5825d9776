"""Who may read the analytics: incident managers and administrators (issue: analytics)."""

from __future__ import annotations

from statusdesk.accounts.models import User
from statusdesk.accounts.roles import MANAGE_INCIDENTS
from statusdesk.core.errors import NotAllowed


def require_analytics_reader(user: User) -> None:
    if not user.is_active or not user.has_perm(MANAGE_INCIDENTS):
        raise NotAllowed("only incident managers and administrators see the analytics")
