"""Fixtures for the API tests: a client per role (each with its own API token)."""

from __future__ import annotations

import pytest

from statusdesk.accounts.models import User

from .support import ApiClient, client_for


@pytest.fixture
def as_admin(admin_user: User) -> ApiClient:
    return client_for(admin_user)


@pytest.fixture
def as_manager(manager: User) -> ApiClient:
    return client_for(manager)


@pytest.fixture
def as_developer(developer: User) -> ApiClient:
    return client_for(developer)


@pytest.fixture
def as_desk_member(desk_member: User) -> ApiClient:
    return client_for(desk_member)


@pytest.fixture
def as_reporter(reporter: User) -> ApiClient:
    return client_for(reporter)
