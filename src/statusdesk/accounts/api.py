"""API authentication (`Authorization: Bearer <token>`) and who-am-I."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from statusdesk.accounts.models import User
from statusdesk.accounts.roles import roles_of
from statusdesk.accounts.schemas import MeOut
from statusdesk.accounts.services import user_for_token
from statusdesk.core.schemas import error_responses


class BearerAuth(HttpBearer):
    """A statusdesk API token (`statusdesk token create EMAIL`), checked against its hash."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return user_for_token(token)


def current_user(request: HttpRequest) -> User:
    """The user the request's token belongs to (ninja puts it on `request.auth`)."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationError()
    return user


router = Router(tags=["accounts"])


@router.get("/me", response={200: MeOut, **error_responses(401)}, summary="Who the token is")
def me(request: HttpRequest) -> MeOut:
    user = current_user(request)
    return MeOut(id=user.pk, email=user.email, full_name=user.full_name, roles=roles_of(user))
