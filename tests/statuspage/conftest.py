"""A status page with a few months of history (tests/factories.py)."""

from __future__ import annotations

import pytest

from statusdesk.accounts.models import User
from statusdesk.incidents.models import Component, Incident
from tests.factories import a_status_page_history


@pytest.fixture
def history(manager: User, developer: User, components: list[Component]) -> dict[str, Incident]:
    return a_status_page_history(manager, developer, components)
