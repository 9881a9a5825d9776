"""Failed sign-ins are throttled per account and per client address, through the real sign-in page:
after the limit the page says how long to wait (429), the wait ends (no lock-out for good), and a
successful sign-in clears the failures. A proxy's header names the client only when configured."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from statusdesk.accounts.models import User
from tests.conftest import PASSWORD

LIMIT = settings.AXES_FAILURE_LIMIT


def sign_in(email: str, password: str, *, address: str = "203.0.113.7", **headers: str) -> Any:
    client = Client(REMOTE_ADDR=address)
    response = client.post(
        reverse("login"), {"username": email, "password": password}, headers=headers
    )
    response.signed_in = "_auth_user_id" in client.session
    return response


def fail(email: str, times: int, **kwargs: Any) -> Any:
    """Sign in with a wrong password `times` times; the failure that reaches the limit already
    answers with the wait."""
    response = None
    for _ in range(times):
        response = sign_in(email, "wrong password", **kwargs)
        assert not response.signed_in
        if response.status_code == 200:
            assert b"Wrong e-mail or password" in response.content
        else:
            assert_cooling_off(response)
    return response


def assert_cooling_off(response: Any, minutes: int | None = None) -> None:
    assert response.status_code == 429
    assert not response.signed_in
    page = response.content.decode()
    assert "Too many failed sign-ins" in page
    wait = settings.AXES_COOLOFF_TIME // timedelta(minutes=1) if minutes is None else minutes
    assert f"try again in {wait} minutes" in page
    assert 'name="username"' in page, "the sign-in form is still there"


def test_the_defaults_are_five_failures_and_fifteen_minutes() -> None:
    assert LIMIT == 5
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME


def test_an_account_that_failed_too_often_waits_even_with_the_right_password(
    manager: User,
) -> None:
    assert fail(manager.email, LIMIT - 1).status_code == 200
    assert sign_in(manager.email, PASSWORD).signed_in, "below the limit the right password works"
    assert_cooling_off(fail(manager.email, LIMIT))
    assert_cooling_off(sign_in(manager.email, PASSWORD))


def test_failures_for_an_account_count_from_any_address(manager: User) -> None:
    for i in range(LIMIT):
        fail(manager.email, 1, address=f"198.51.100.{i + 1}")
    assert_cooling_off(sign_in(manager.email, PASSWORD, address="192.0.2.200"))


def test_failures_from_an_address_count_for_any_account(manager: User, developer: User) -> None:
    for i in range(LIMIT):
        fail(f"nobody{i}@example.com", 1, address="198.51.100.9")
    assert_cooling_off(sign_in(developer.email, PASSWORD, address="198.51.100.9"))
    # Another address is not held back: the limit is per address, and no account failed.
    assert sign_in(developer.email, PASSWORD, address="198.51.100.10").signed_in


def test_the_wait_shown_is_what_is_left_of_the_cool_off(manager: User) -> None:
    fail(manager.email, LIMIT)
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=10)
    )
    assert_cooling_off(sign_in(manager.email, PASSWORD), minutes=5)


def test_the_cool_off_ends_so_the_real_user_is_never_locked_out_for_good(manager: User) -> None:
    fail(manager.email, LIMIT)
    assert_cooling_off(sign_in(manager.email, PASSWORD))
    # Tries while cooling off do not extend the wait.
    assert_cooling_off(sign_in(manager.email, "wrong password"))
    # The cool-off period passes (the failures are moved back in time, as waiting would).
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME
    )
    assert sign_in(manager.email, PASSWORD).signed_in


def test_a_successful_sign_in_clears_the_failures(manager: User) -> None:
    fail(manager.email, LIMIT - 1)
    assert sign_in(manager.email, PASSWORD).signed_in
    fail(manager.email, LIMIT - 1)
    assert sign_in(manager.email, PASSWORD).signed_in


def test_a_forwarded_address_is_ignored_unless_a_proxy_header_is_configured(
    manager: User, developer: User
) -> None:
    assert settings.STATUSDESK_CLIENT_IP_HEADER == ""
    # A client cannot escape its address's limit by writing a header.
    for i in range(LIMIT):
        fail(f"nobody{i}@example.com", 1, address="198.51.100.9", X_Forwarded_For=f"10.0.0.{i}")
    response = sign_in(
        developer.email, PASSWORD, address="198.51.100.9", X_Forwarded_For="10.9.9.9"
    )
    assert_cooling_off(response)


def test_behind_a_trusted_proxy_its_header_names_the_client(
    manager: User, developer: User, settings: Any
) -> None:
    settings.STATUSDESK_CLIENT_IP_HEADER = "X-Forwarded-For"
    proxy = "10.0.0.2"
    # The proxy appends the address it saw; what the client wrote before it does not count.
    for i in range(LIMIT):
        fail(
            f"nobody{i}@example.com",
            1,
            address=proxy,
            X_Forwarded_For=f"192.0.2.{i}, 198.51.100.9",
        )
    assert AccessAttempt.objects.filter(ip_address="198.51.100.9").count() == LIMIT
    response = sign_in(developer.email, PASSWORD, address=proxy, X_Forwarded_For="198.51.100.9")
    assert_cooling_off(response)
    # Other clients behind the same proxy are not held back.
    assert sign_in(
        developer.email, PASSWORD, address=proxy, X_Forwarded_For="198.51.100.10"
    ).signed_in


def test_a_proxy_header_that_is_not_an_address_falls_back_to_the_connection(
    manager: User, settings: Any
) -> None:
    settings.STATUSDESK_CLIENT_IP_HEADER = "X-Forwarded-For"
    fail("nobody@example.com", 1, address="198.51.100.20", X_Forwarded_For="not-an-address")
    assert AccessAttempt.objects.get().ip_address == "198.51.100.20"


def test_a_wrong_password_below_the_limit_just_says_so(manager: User) -> None:
    response = fail(manager.email, LIMIT - 1)
    assert response.status_code == 200
    assert b"Too many failed sign-ins" not in response.content
