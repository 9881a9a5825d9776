"""Field types of the API's request bodies and query strings, checked by the schema itself so that
OpenAPI says exactly what the server accepts: text with a length limit, one of a set of choices,
a date-time written as an ISO 8601 string, and query strings that hold only the parameters an
endpoint takes.

Each refusal carries the field's process rule (R3, R5, ...), where it has one, in the error's
context; the API's validation handler (statusdesk.api) words the message and names the rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

import pydantic
from django.db.models import Choices
from django.http import HttpRequest
from ninja.params.models import Query as NinjaQuery
from ninja.params.models import QueryModel
from ninja.types import DictStrAny
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from statusdesk.core.choices import choice_problem, in_words, shown
from statusdesk.core.paging import CURSOR_MAX, DEFAULT_LIMIT, MAX_LIMIT

# The error types these raise (the validation handler words them).
TOO_LONG = "statusdesk_too_long"
NOT_A_CHOICE = "statusdesk_choice"
NOT_A_DATETIME = "statusdesk_datetime"


@dataclass(frozen=True)
class Limit:
    """At most `max_length` characters (OpenAPI maxLength), under process rule `rule`."""

    max_length: int
    rule: str | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["maxLength"] = self.max_length
        return json_schema

    def _check(self, value: str) -> str:
        if len(value) > self.max_length:
            raise PydanticCustomError(
                TOO_LONG,
                "must be at most {max_length} characters",
                {"max_length": self.max_length, "rule": self.rule},
            )
        return value


@dataclass(frozen=True)
class OneOf:
    """One of `choices` (value → label; OpenAPI enum), under process rule `rule`."""

    choices: tuple[tuple[str, str], ...]
    rule: str | None = None
    # A body field sent empty is missing ("is required: choose …"); a filter sent empty is not.
    empty_is_missing: bool = True

    @classmethod
    def of(
        cls,
        choices: type[Choices] | Iterable[tuple[str, str]],
        rule: str | None = None,
        *,
        empty_is_missing: bool = True,
    ) -> OneOf:
        pairs = choices.choices if isinstance(choices, type) else choices
        return cls(
            tuple((str(value), str(label)) for value, label in pairs), rule, empty_is_missing
        )

    @property
    def values(self) -> list[str]:
        return [value for value, _ in self.choices]

    @property
    def words(self) -> str:
        """The labels, for people: "E-mail to the help address, Issue, … or Other"."""
        return in_words(label for _, label in self.choices)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["enum"] = self.values
        return json_schema

    def _check(self, value: str) -> str:
        # Worded as the services word a choice (core/choices.py): one voice for the API and the
        # console.
        problem = choice_problem(self.choices, value, empty_is_missing=self.empty_is_missing)
        if problem:
            raise PydanticCustomError(
                NOT_A_CHOICE, "{problem}", {"problem": problem, "rule": self.rule}
            )
        return value


# RFC 3339 / ISO 8601: a full date, a time and a zone ("Z" or an offset). Anything else, a bare
# number of seconds included, is refused before pydantic parses it.
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})", re.ASCII
)


def datetime_string(value: Any) -> Any:
    """Before a date-time is parsed: only an ISO 8601 string with a time zone will do."""
    if value is None:
        return value
    if not isinstance(value, str) or not _DATETIME.fullmatch(value):
        raise PydanticCustomError(
            NOT_A_DATETIME,
            "must be an ISO 8601 date-time string with a time zone, such as "
            "2024-03-01T10:00:00Z or 2024-03-01T05:00:00-05:00; got {got}",
            {"got": shown(value), "rule": None},
        )
    return value


class _KnownQueryModel(QueryModel):
    """ninja's query parameters, refusing a parameter the endpoint does not take (a typo such as
    ?stauts=open would otherwise list everything), as request bodies refuse unknown fields."""

    @classmethod
    def get_request_data(
        cls, request: HttpRequest, api: Any, path_params: DictStrAny
    ) -> DictStrAny | None:
        data = super().get_request_data(request, api, path_params) or {}
        known = getattr(cls, "__ninja_flatten_map__", {})
        unknown = [name for name in data if name not in known]
        if unknown:
            raise pydantic.ValidationError.from_exception_data(
                cls.__name__,
                [
                    {"type": "extra_forbidden", "loc": (name,), "input": data[name]}
                    for name in unknown
                ],
            )
        return data


class Query(NinjaQuery):  # type: ignore[misc]  # named so: OpenAPI places it "in": "query"
    """A query parameter, of an endpoint that takes no other (use it for all of them)."""

    _model = _KnownQueryModel


# Every API list is read a page at a time: `limit` rows (default 50, at most 200) after `cursor`
# (core/paging.py). One declaration of both, for every app's lists.
PageLimit = Annotated[
    int,
    Query(
        DEFAULT_LIMIT,
        description=f"How many items a page holds: {DEFAULT_LIMIT} unless asked, at most "
        f"{MAX_LIMIT} (more answers 422).",
        ge=1,
        le=MAX_LIMIT,
    ),
]
PageCursor = Annotated[
    str | None,
    Query(
        None,
        description="Where the page starts: the `next_cursor` of the previous page; leave it out "
        "for the first page.",
        max_length=CURSOR_MAX,
    ),
]
