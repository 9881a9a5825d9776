"""The postmortem editor's form: it parses and types the posted values; the rules (R12–R19) are
the services'. A merge date that does not parse reaches the service as its text's problem."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings

from statusdesk.incidents.forms import ConsoleForm
from statusdesk.postmortems.models import Postmortem
from statusdesk.postmortems.services import SECTIONS, WHYS_MAX


def _area(rows: int, **attrs: Any) -> forms.CharField:
    return forms.CharField(
        required=False, strip=False, widget=forms.Textarea({"rows": rows, **attrs})
    )


def _line(**attrs: Any) -> forms.CharField:
    return forms.CharField(required=False, widget=forms.TextInput(attrs))


class PostmortemForm(ConsoleForm):
    id_prefix = "pm"

    impact = _area(14, **{"data-preview": "impact"})
    cause = _area(8, **{"data-preview": "cause"})
    cause_merge_request_url = _line(
        placeholder="https://gitlab.example.com/group/project/-/merge_requests/123", type="url"
    )
    cause_merged_at = forms.CharField(
        required=False, widget=forms.DateTimeInput({"type": "datetime-local"})
    )
    solution = _area(6, **{"data-preview": "solution"})
    fix_merge_request_url = _line(
        placeholder="https://github.com/owner/project/pull/45", type="url"
    )
    conclusion = _area(6, **{"data-preview": "conclusion"})
    taxonomy = _line(placeholder="DATA_QUALITY < FAILED_MIGRATION", autocomplete="off")

    def __init__(self, *args: Any, preview_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if preview_url:  # live preview (htmx): the sections are posted as they are typed
            for section in SECTIONS:
                self.fields[section].widget.attrs.update(
                    {
                        "hx-post": preview_url,
                        "hx-trigger": "input changed delay:500ms",
                        "hx-target": "#preview",
                        "hx-swap": "innerHTML",
                        "hx-sync": "#preview:queue last",
                    }
                )
        for number in range(1, WHYS_MAX + 1):
            self.fields[f"why_{number}"] = _line()
            self.fields[f"because_{number}"] = _line()

    @classmethod
    def initial_for(cls, postmortem: Postmortem | None, drafted_impact: str) -> dict[str, Any]:
        if postmortem is None:
            return {"impact": drafted_impact}
        initial: dict[str, Any] = {
            name: getattr(postmortem, name)
            for name in (*SECTIONS, "cause_merge_request_url", "fix_merge_request_url", "taxonomy")
        }
        if postmortem.cause_merged_at:
            local = postmortem.cause_merged_at.astimezone(settings.DISPLAY_ZONE)
            initial["cause_merged_at"] = local.strftime("%Y-%m-%dT%H:%M")
        for number, pair in enumerate(postmortem.five_whys, start=1):
            initial[f"why_{number}"] = pair["why"]
            initial[f"because_{number}"] = pair["because"]
        return initial

    def whys(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"why_{number}"], self[f"because_{number}"]) for number in range(1, WHYS_MAX + 1)
        ]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields: dict[str, Any] = {
            name: data[name]
            for name in (*SECTIONS, "cause_merge_request_url", "fix_merge_request_url", "taxonomy")
        }
        pairs = []
        for number in range(1, WHYS_MAX + 1):
            why, because = data[f"why_{number}"].strip(), data[f"because_{number}"].strip()
            if why or because:
                pairs.append({"why": why, "because": because})
        fields["five_whys"] = pairs
        fields["cause_merged_at"] = self._merged_at(data["cause_merged_at"])
        return fields

    def _merged_at(self, text: str) -> datetime | None:
        """A date and time in the display zone (the browser's datetime-local), or ISO 8601
        with an offset. Text that does not parse is refused by the service, naming R15."""
        text = (text or "").strip()
        if not text:
            return None
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            from statusdesk.core.errors import RuleViolation

            raise RuleViolation(
                "cause_merged_at must be a date and time, such as 2026-11-02 14:30",
                field="cause_merged_at",
                rule="R15",
            ) from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=settings.DISPLAY_ZONE)
        return value
