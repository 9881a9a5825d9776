from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from statusdesk.accounts.models import ApiToken, hash_token
from statusdesk.accounts.services import create_api_token, user_for_token

pytestmark = pytest.mark.django_db


def test_token_create_prints_the_token_once_and_stores_only_its_hash(manager):
    out, err = io.StringIO(), io.StringIO()
    call_command("token", "create", "manager@example.com", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    assert secret.startswith("sdk_") and len(secret) > 40
    token = ApiToken.objects.get()
    assert token.key_hash == hash_token(secret) and secret not in token.key_hash
    assert "shown once" in err.getvalue()
    assert user_for_token(secret) == manager
    assert token.key_prefix == secret[:12]


def test_token_for_unknown_user_is_a_clear_error(db):
    with pytest.raises(CommandError, match="no active user"):
        call_command("token", "create", "ghost@example.com")


def test_revoked_or_wrong_token_finds_nobody(manager):
    from django.utils import timezone

    token, secret = create_api_token(manager.email)
    assert user_for_token(secret + "x") is None
    assert user_for_token("") is None
    token.revoked_at = timezone.now()
    token.save()
    assert user_for_token(secret) is None


def test_token_of_a_deactivated_user_finds_nobody(manager):
    _, secret = create_api_token(manager.email)
    manager.is_active = False
    manager.save()
    assert user_for_token(secret) is None


def test_roles_keep_what_an_administrator_granted(db):
    from django.contrib.auth.models import Group, Permission

    from statusdesk.accounts.roles import Role, ensure_roles

    ensure_roles()
    desk = Group.objects.get(name=Role.DESK_MEMBER.value)
    extra = Permission.objects.get(codename="view_component")
    desk.permissions.add(extra)
    ensure_roles()
    assert desk.permissions.filter(pk=extra.pk).exists()
    assert desk.permissions.filter(codename="view_incidents").exists()


def test_roles_get_back_a_permission_of_their_role_and_a_deleted_group(db):
    from django.contrib.auth.models import Group

    from statusdesk.accounts.roles import ROLE_PERMISSIONS, Role, ensure_roles

    ensure_roles()
    manager = Group.objects.get(name=Role.INCIDENT_MANAGER.value)
    manager.permissions.remove(*manager.permissions.filter(codename="manage_incidents"))
    Group.objects.filter(name=Role.REPORTER.value).delete()
    ensure_roles()
    for role, perms in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role.value)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert held == perms, role
