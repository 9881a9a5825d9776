"""STATUSDESK_SMTP_URL: smtp://[user:password@]host:port[?starttls=1|ssl=1]."""

from __future__ import annotations

import pytest

from statusdesk.notifications.smtp_url import SmtpServer, parse_smtp_url


@pytest.mark.parametrize(
    ("url", "server"),
    [
        ("smtp://127.0.0.1:2525", SmtpServer("127.0.0.1", 2525, "", "", False, False)),
        ("smtp://mail.example.com", SmtpServer("mail.example.com", 25, "", "", False, False)),
        (
            "smtp://ana:p%40ss@mail.example.com:587?starttls=1",
            SmtpServer("mail.example.com", 587, "ana", "p@ss", True, False),
        ),
        ("smtp://mail.example.com?ssl=1", SmtpServer("mail.example.com", 465, "", "", False, True)),
        ("smtps://mail.example.com", SmtpServer("mail.example.com", 465, "", "", False, True)),
    ],
)
def test_an_smtp_url_names_its_server(url: str, server: SmtpServer) -> None:
    assert parse_smtp_url(url) == server


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://mail.example.com", "must look like smtp://"),
        ("smtp://", "must look like smtp://"),
        ("smtp://mail.example.com?tls=1", "unknown option(s) tls"),
        ("smtp://mail.example.com?ssl=1&starttls=1", "not both"),
        ("smtp://mail.example.com:99999", "STATUSDESK_SMTP_URL"),
    ],
)
def test_a_wrong_smtp_url_is_refused_naming_the_setting(url: str, words: str) -> None:
    with pytest.raises(ValueError, match="STATUSDESK_SMTP_URL") as refused:
        parse_smtp_url(url)
    assert words in str(refused.value)
