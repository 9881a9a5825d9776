"""Account steps: create users with a role, issue and check API tokens."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from statusdesk.accounts.models import ApiToken, User, hash_token
from statusdesk.accounts.roles import Role, ensure_roles
from statusdesk.core.errors import NotFound


@transaction.atomic
def ensure_user(
    email: str, *, role: Role, full_name: str = "", password: str | None = None
) -> tuple[User, bool]:
    """Create the user with `role` if missing (idempotent); returns (user, created)."""
    ensure_roles()
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    created = user is None
    if user is None:
        if role is Role.ADMINISTRATOR:
            user = User.objects.create_superuser(email, password, full_name=full_name)
        else:
            user = User.objects.create_user(email, password, full_name=full_name)
    user.groups.add(Group.objects.get(name=role.value))
    return user, created


@transaction.atomic
def create_api_token(email: str, *, name: str = "") -> tuple[ApiToken, str]:
    """Issue a token for the user; returns the row and the secret, which is never stored."""
    user = User.objects.filter(email=email.strip().lower(), is_active=True).first()
    if user is None:
        raise NotFound(f"no active user with e-mail {email!r}", field="email")
    secret = ApiToken.new_secret()
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=hash_token(secret), key_prefix=secret[:12]
    )
    return token, secret


def user_for_token(secret: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    if not secret:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(secret.strip()), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
