"""Bearer-token authentication, who-am-I, and the OpenAPI description."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.utils import timezone

from statusdesk.accounts.models import ApiToken, User
from statusdesk.accounts.services import create_api_token

from .support import ApiClient, assert_error, client_for, counts, report_body

PROTECTED = [
    ("get", "/me"),
    ("get", "/reports"),
    ("get", "/reports/1"),
    ("get", "/incidents"),
    ("get", "/incidents/1"),
    ("get", "/components"),
    ("post", "/reports"),
    ("post", "/reports/1/confirm"),
    ("post", "/reports/1/dismiss"),
    ("post", "/incidents/1/assign"),
    ("post", "/incidents/1/publish"),
    ("post", "/incidents/1/updates"),
    ("post", "/incidents/1/resolve"),
]


def _call(client: ApiClient, method: str, path: str) -> HttpResponse:
    return client.get(path) if method == "get" else client.post(path, report_body())


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_endpoint_answers_401_without_a_token(method: str, path: str) -> None:
    before = counts()
    response = _call(ApiClient(), method, path)
    body = assert_error(response, 401, field="Authorization", contains="Bearer")
    assert body["errors"][0]["message"] == body["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_endpoint_answers_401_with_an_unknown_token(method: str, path: str) -> None:
    response = _call(ApiClient("sdk_not-a-real-token"), method, path)
    assert_error(response, 401, field="Authorization")


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer ", "Token {secret}", "Basic {secret}", "{secret}", "Bearer x{secret}"],
)
def test_malformed_authorization_header_answers_401(manager: User, authorization: str) -> None:
    _, secret = create_api_token(manager.email)
    client = ApiClient(authorization=authorization.format(secret=secret))
    assert_error(client.get("/me"), 401, field="Authorization")


def test_a_revoked_token_answers_401(manager: User) -> None:
    token, secret = create_api_token(manager.email)
    assert ApiClient(secret).get("/me").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert_error(ApiClient(secret).get("/me"), 401, field="Authorization")


def test_the_token_of_a_deactivated_user_answers_401(manager: User) -> None:
    _, secret = create_api_token(manager.email)
    User.objects.filter(pk=manager.pk).update(is_active=False)
    assert_error(ApiClient(secret).get("/me"), 401, field="Authorization")


def test_bearer_scheme_is_case_insensitive(manager: User) -> None:
    _, secret = create_api_token(manager.email)
    assert ApiClient(authorization=f"bearer {secret}").get("/me").status_code == 200


def test_me_names_the_token_owner_and_roles(manager: User, as_manager: ApiClient) -> None:
    response = as_manager.get("/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": manager.pk,
        "email": "manager@example.com",
        "full_name": "Manager",
        "roles": ["Incident manager"],
    }


def test_me_for_a_reporter(as_reporter: ApiClient) -> None:
    body = as_reporter.get("/me").json()
    assert body["email"] == "reporter@example.com"
    assert body["roles"] == ["Reporter"]


def test_using_a_token_records_its_last_use(manager: User) -> None:
    token, secret = create_api_token(manager.email)
    assert token.last_used_at is None
    client_for(manager)  # another token does not count
    ApiClient(secret).get("/me")
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.django_db
def test_openapi_lists_every_endpoint_and_the_bearer_scheme() -> None:
    response = ApiClient().get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "statusdesk API"
    paths = spec["paths"]
    expected = {
        "/api/v1/me": {"get"},
        "/api/v1/reports": {"get", "post"},
        "/api/v1/reports/{report_id}": {"get"},
        "/api/v1/reports/{report_id}/confirm": {"post"},
        "/api/v1/reports/{report_id}/dismiss": {"post"},
        "/api/v1/incidents": {"get"},
        "/api/v1/incidents/{incident_id}": {"get"},
        "/api/v1/incidents/{incident_id}/assign": {"post"},
        "/api/v1/incidents/{incident_id}/publish": {"post"},
        "/api/v1/incidents/{incident_id}/updates": {"post"},
        "/api/v1/incidents/{incident_id}/resolve": {"post"},
        "/api/v1/components": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, paths[path].keys())
    schemes = spec["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= next(iter(schemes.values())).items()
    # Refusals are documented with the error shape.
    publish = paths["/api/v1/incidents/{incident_id}/publish"]["post"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(publish["responses"])
    error_ref = publish["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
    assert error_ref.endswith("/ErrorOut")
    assert set(spec["components"]["schemas"]["ErrorOut"]["properties"]) == {
        "detail",
        "field",
        "rule",
        "errors",
    }


@pytest.mark.django_db
def test_interactive_docs_are_served() -> None:
    response = ApiClient().client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
