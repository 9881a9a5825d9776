"""Console forms: they parse and type the posted values, nothing more.

Every rule (required fields, R1, R3, R4, R5, R11 …) lives in `incidents/services.py`; a form only
turns text into the Python values a service expects. Fields are lenient on purpose: a value that
does not parse reaches the service as `None` (or as the raw text), so the service's message, with
its rule, is the one the user sees. Widgets carry HTML niceties (`required`, `maxlength`, `min`)
that help the browser, not the rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from statusdesk.core.errors import ProcessError
from statusdesk.incidents.limits import (
    DEFAULT_REMINDER_MINUTES,
    REMINDER_MAX_MINUTES,
    REMINDER_MIN_MINUTES,
    REPORTER_MAX,
    RESOLUTION_MAX_LINES,
    TITLE_MAX,
)
from statusdesk.incidents.models import (
    UPDATE_STATUSES,
    Component,
    ComponentStatus,
    Detection,
    Medium,
    Severity,
)


class LooseChoiceField(forms.ChoiceField):
    """A select or radio group whose value the service validates (with the rule behind it)."""

    def validate(self, value: Any) -> None:
        return None


class LooseMultipleChoiceField(forms.MultipleChoiceField):
    def validate(self, value: Any) -> None:
        return None


class LooseIntegerField(forms.CharField):
    """A whole number, or None when the text is empty or not a number (the service says why)."""

    widget = forms.NumberInput

    def to_python(self, value: Any) -> int | None:  # type: ignore[override]
        text = str(value if value is not None else "").strip()
        try:
            return int(text)
        except ValueError:
            return None


def _text(maxlength: int | None = None, **attrs: Any) -> forms.CharField:
    widget_attrs: dict[str, Any] = {"required": True, **attrs}
    if maxlength:
        widget_attrs["maxlength"] = maxlength
    return forms.CharField(required=False, strip=False, widget=forms.TextInput(widget_attrs))


def _area(rows: int = 4, **attrs: Any) -> forms.CharField:
    return forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea({"rows": rows, "required": True, **attrs}),
    )


class ConsoleForm(forms.Form):
    """Adds the service's errors (each with its rule) to the fields they name."""

    # Several forms share a page: element ids are prefixed (field names are not).
    id_prefix = "id"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)

    def add_process_error(self, error: ProcessError) -> None:
        for item in error.errors:
            field = item.get("field") or ""
            target = field if field in self.fields else None
            message = str(item.get("message") or error.message)
            rule = item.get("rule") or None
            self.add_error(target, ValidationError(message, code=rule or "invalid"))
            if target:
                self.fields[target].widget.attrs["aria-invalid"] = "true"


class ReportForm(ConsoleForm):
    id_prefix = "report"

    title = _text(TITLE_MAX, placeholder="Scanning jobs stay queued")
    description = _area(
        5, placeholder="What happened, since when, what you expected, how to reproduce it"
    )
    reporter = _text(REPORTER_MAX, placeholder="name or e-mail of who reported it")
    medium = LooseChoiceField(
        choices=[("", "Choose a medium…"), *Medium.choices],
        required=False,
        widget=forms.Select({"required": True}),
    )
    detection = LooseChoiceField(
        choices=Detection.choices, required=False, widget=forms.RadioSelect({"required": True})
    )
    users_affected = LooseIntegerField(
        required=False, widget=forms.NumberInput({"min": 0, "required": True, "step": 1})
    )
    could_affect_two_or_more = forms.BooleanField(required=False)

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "reporter": data["reporter"],
            "medium": data["medium"],
            "detection": data["detection"],
            "users_affected": data["users_affected"],
            "could_affect_two_or_more": data["could_affect_two_or_more"],
        }


class ConfirmForm(ConsoleForm):
    id_prefix = "confirm"

    issue_title = _text(TITLE_MAX)
    issue_description = _area(5)
    issue_url = forms.CharField(
        required=False,
        widget=forms.URLInput({"placeholder": "https://gitlab.com/…/issues/123"}),
    )

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "issue_title": data["issue_title"],
            "issue_description": data["issue_description"],
            "issue_url": data["issue_url"],
        }


class DismissForm(ConsoleForm):
    id_prefix = "dismiss"

    reason = _area(2, placeholder="Duplicate of R-12, affects one user only, not a fault…")


class AssignForm(ConsoleForm):
    id_prefix = "assign"

    developer = LooseChoiceField(required=False, widget=forms.Select({"required": True}))

    def __init__(self, *args: Any, developers: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["developer"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose a developer…")] + [
            (d.email, f"{d.display_name} · {d.email}" if d.full_name else d.email)
            for d in developers
        ]


def _component_label(component: Component) -> str:
    if component.code_name and component.code_name != component.name:
        return f"{component.name} ({component.code_name})"
    return component.name


class PublishForm(ConsoleForm):
    """R5: exactly the fields of the process document, with its defaults."""

    id_prefix = "publish"

    name = _text(TITLE_MAX, placeholder="Scanning delayed for some repositories")
    message = _area(3, placeholder="New scans wait in the queue; results arrive late.")
    workaround = _area(2, placeholder="Run the CLI scanner locally until the queue drains.")
    workaround_url = forms.CharField(
        required=False,
        widget=forms.URLInput({"required": True, "placeholder": "https://docs.example.com/…"}),
    )
    component_ids = LooseMultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    severity = LooseChoiceField(
        choices=[("", "Choose a severity…"), *Severity.choices],
        required=False,
        widget=forms.Select({"required": True}),
    )
    notify = forms.BooleanField(required=False, initial=True)
    reminders = forms.BooleanField(required=False, initial=True)
    reminder_interval_minutes = LooseIntegerField(
        required=False,
        initial=DEFAULT_REMINDER_MINUTES,
        widget=forms.NumberInput(
            {"min": REMINDER_MIN_MINUTES, "max": REMINDER_MAX_MINUTES, "step": 1}
        ),
    )

    def __init__(self, *args: Any, components: Iterable[Component] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.components = list(components)
        field = self.fields["component_ids"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(c.pk), _component_label(c)) for c in self.components]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "message": data["message"],
            "workaround": data["workaround"],
            "workaround_url": data["workaround_url"],
            "component_ids": data["component_ids"],
            "severity": data["severity"],
            "notify": data["notify"],
            "reminders": data["reminders"],
            "reminder_interval_minutes": data["reminder_interval_minutes"],
        }


COMPONENT_FIELD_PREFIX = "component_"


class UpdateForm(ConsoleForm):
    id_prefix = "update"

    status = LooseChoiceField(
        choices=[(s.value, s.label) for s in UPDATE_STATUSES],
        required=False,
        widget=forms.RadioSelect({"required": True}),
    )
    message = _area(3, placeholder="What changed since the last update")
    notify = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, components: Iterable[Component] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.components = list(components)
        for component in self.components:
            self.fields[f"{COMPONENT_FIELD_PREFIX}{component.pk}"] = LooseChoiceField(
                label=_component_label(component),
                required=False,
                choices=[("", "No change"), *ComponentStatus.choices],
            )
        self.affected_fields: list[forms.BoundField] = []
        self.other_fields: list[forms.BoundField] = []

    def group_components(self, affected: Iterable[int]) -> None:
        """The selects of the incident's components first; the others folded away."""
        affected_ids = set(affected)
        self.affected_fields, self.other_fields = [], []
        for component in self.components:
            bound = self[f"{COMPONENT_FIELD_PREFIX}{component.pk}"]
            bound.component = component  # type: ignore[attr-defined]
            chosen = component.pk in affected_ids or bool(self.data.get(bound.html_name))
            (self.affected_fields if chosen else self.other_fields).append(bound)

    def component_changes(self) -> dict[str, str]:
        changes: dict[str, str] = {}
        for component in self.components:
            value = self.cleaned_data.get(f"{COMPONENT_FIELD_PREFIX}{component.pk}")
            if value:
                changes[str(component.pk)] = str(value)
        return changes

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "status": data["status"],
            "message": data["message"],
            "notify": data["notify"],
            "component_statuses": self.component_changes(),
        }


class ResolveForm(ConsoleForm):
    id_prefix = "resolve"

    message = _area(
        RESOLUTION_MAX_LINES,
        placeholder="Scanning is resolved and works normally again.",
    )
    notify = forms.BooleanField(required=False, initial=True)

    def service_kwargs(self) -> dict[str, Any]:
        return {"message": self.cleaned_data["message"], "notify": self.cleaned_data["notify"]}
