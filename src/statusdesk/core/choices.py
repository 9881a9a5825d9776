"""How a refused choice is worded, once for the services, the API's schemas and the console:
the labels for people, then (when a program sent something else) what it sent and the values."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def shown(value: Any, limit: int = 40) -> str:
    """A refused value as a message quotes it: repr, cut short."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def in_words(labels: Iterable[Any]) -> str:
    """ "E-mail to the help address, Issue, … or Other"."""
    words = [str(label) for label in labels]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def choice_problem(
    choices: Iterable[tuple[str, Any]], value: Any, *, empty_is_missing: bool = True
) -> str | None:
    """What is wrong with `value` as one of `choices` (value, label), without the field's name
    ("is required: choose …", "must be one of …; got 'x' (the values are …)"), or None."""
    pairs = [(str(v), label) for v, label in choices]
    values = [v for v, _ in pairs]
    if value in (None, "") and empty_is_missing:
        return f"is required: choose {in_words(label for _, label in pairs)}"
    if value in values:
        return None
    return (
        f"must be one of {in_words(label for _, label in pairs)}; got {shown(value)} "
        f"(the values are {', '.join(values)})"
    )
