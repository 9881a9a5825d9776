"""The errors a process step raises. Views and the API turn them into 4xx answers.

Every error names the field (or the part of the request) it is about and, where a process rule is
behind it, the rule (R1–R20, explained in docs/rules.md and at /rules/ in the console), so the
person who made the request knows what to fix.
"""

from __future__ import annotations


class ProcessError(Exception):
    """Base class: a request the process refuses. Never a server fault."""

    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        rule: str | None = None,
        errors: list[dict[str, str | None]] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        self.rule = rule
        # Every problem found, when a step checks several fields at once (forms show them all).
        self.errors = errors or [self.as_dict()]

    def as_dict(self) -> dict[str, str | None]:
        return {"field": self.field, "rule": self.rule, "message": self.message}

    def __str__(self) -> str:
        return self.message


class RuleViolation(ProcessError):
    """Input that breaks a process rule or is malformed (HTTP 422)."""

    status_code = 422


class NotAllowed(ProcessError):
    """The actor's role does not allow this step (HTTP 403)."""

    status_code = 403


class NotFound(ProcessError):
    """An id that names nothing (HTTP 404)."""

    status_code = 404


class IllegalTransition(ProcessError):
    """The step is not possible in the incident's current state (HTTP 409)."""

    status_code = 409


class Problems:
    """Collects every problem with a request, then raises them together as one RuleViolation."""

    def __init__(self) -> None:
        self.items: list[dict[str, str | None]] = []

    def add(self, field: str, message: str, rule: str | None = None) -> None:
        self.items.append({"field": field, "rule": rule, "message": message})

    def has(self, field: str) -> bool:
        return any(item["field"] == field for item in self.items)

    def raise_if_any(self) -> None:
        if self.items:
            first = self.items[0]
            raise RuleViolation(
                str(first["message"]), field=first["field"], rule=first["rule"], errors=self.items
            )
