"""R16's worded durations on the public postmortem, in the reader's language: the number and unit
are R16's (core/time.describe_duration), the words the language's, with its plural forms and its
decimal mark."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from statusdesk.core.time import describe_duration
from statusdesk.postmortems.templatetags.postmortem_public import worded_duration

MINUTE, HOUR, DAY, MONTH = 60, 3600, 86400, 30 * 86400


@pytest.mark.parametrize(
    ("seconds", "english", "spanish"),
    [
        (MINUTE, "1 minute", "1 minuto"),
        (45 * MINUTE, "45 minutes", "45 minutos"),
        (0, "0 minutes", "0 minutos"),
        (HOUR, "1 hour", "1 hora"),
        (3.5 * HOUR, "3.5 hours", "3,5 horas"),
        (4.25 * HOUR, "4.3 hours", "4,3 horas"),
        (1.5 * HOUR, "1.5 hours", "1,5 horas"),
        (DAY, "1 day", "1 día"),
        (2 * DAY, "2 days", "2 días"),
        (MONTH, "1 month", "1 mes"),
        (2.5 * MONTH, "2.5 months", "2,5 meses"),
        (59.97 * MINUTE, "1 hour", "1 hora"),  # rounds up to the next unit's threshold
    ],
)
def test_worded_in_english_and_spanish(seconds: float, english: str, spanish: str) -> None:
    with translation.override("en"):
        assert worded_duration(seconds) == english
    with translation.override("es"):
        assert worded_duration(seconds) == spanish


@given(st.floats(min_value=0, max_value=400 * DAY, allow_nan=False))
def test_english_is_r16s_wording_and_spanish_says_the_same_number(seconds: float) -> None:
    english = describe_duration(timedelta(seconds=seconds))
    with translation.override("en"):
        assert worded_duration(seconds) == english
    amount = english.split(" ")[0]
    with translation.override("es"):
        spanish = worded_duration(seconds)
    assert spanish.split(" ")[0] == amount.replace(".", ",")
    singular = spanish.split(" ")[1] in ("minuto", "hora", "día", "mes")
    assert singular == (amount == "1")
