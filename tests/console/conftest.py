"""Fixtures for the console tests: a signed-in client per role (states: tests/conftest.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from statusdesk.accounts.models import User


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager_client(manager: User) -> Client:
    return _client(manager)


@pytest.fixture
def developer_client(developer: User) -> Client:
    return _client(developer)


@pytest.fixture
def reporter_client(reporter: User) -> Client:
    return _client(reporter)


@pytest.fixture
def desk_client(desk_member: User) -> Client:
    return _client(desk_member)
