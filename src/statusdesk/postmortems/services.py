"""The postmortem's rules (R12–R19), written once: who writes it and when, its four sections, the
drafted Impact with TTD/TTF/TTR, the merge request links, the taxonomy, and its publication.

Views and the API parse a request and call one function here; nothing else checks these rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.accounts.roles import MANAGE_INCIDENTS, Role
from statusdesk.core.errors import IllegalTransition, NotAllowed, NotFound, Problems
from statusdesk.core.events import record
from statusdesk.core.models import Event
from statusdesk.core.time import (
    describe_duration,
    display_zone_name,
    effective_time,
    format_timeline,
)
from statusdesk.incidents.events import IncidentEvent
from statusdesk.incidents.models import Detection, Incident, IncidentUpdate, Medium
from statusdesk.postmortems.events import PostmortemEvent
from statusdesk.postmortems.models import (
    URL_MAX,
    FollowUpAction,
    Postmortem,
    PostmortemTerm,
    TaxonomyTerm,
)

SECTIONS = ("impact", "cause", "solution", "conclusion")  # R13, in this order
SECTION_TITLES = {
    "impact": "Impact",
    "cause": "Cause",
    "solution": "Solution",
    "conclusion": "Conclusion",
}
SECTION_MAX = 20_000
WHYS_MAX = 5
WHY_MAX = 1000
TREE_SEPARATOR = "<"
TERM_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*$")

# --- lock and ownership (R12) -----------------------------------------------------------------


def _require_manager(actor: User, action: str) -> None:
    if not actor.is_active or not actor.has_perm(MANAGE_INCIDENTS):
        raise NotAllowed(
            f"your role does not allow you to {action}: the Incident Manager writes and "
            "publishes the postmortem",
            rule="R12",
        )


def _incident(incident: Incident | int, *, lock: bool = False) -> Incident:
    if isinstance(incident, Incident):
        incident = incident.pk
    query = Incident.objects.select_for_update() if lock else Incident.objects.all()
    found = query.select_related("report", "issue").filter(pk=incident).first()
    if found is None:
        raise NotFound(f"incident INC-{incident} does not exist", field="incident_id")
    return found


def postmortem_refusal(actor: User, incident: Incident) -> NotAllowed | IllegalTransition | None:
    """R12: why `actor` may not write the postmortem of `incident` now, or None."""
    if not actor.is_active or not actor.has_perm(MANAGE_INCIDENTS):
        return NotAllowed(
            "your role does not allow you to write postmortems: the Incident Manager writes "
            "and publishes the postmortem",
            rule="R12",
        )
    if not incident.is_resolved:
        return IllegalTransition(
            f"incident INC-{incident.pk} is not resolved: the postmortem is written once the "
            "incident is resolved",
            field="status",
            rule="R12",
        )
    return None


def can_write_postmortem(actor: User, incident: Incident) -> bool:
    return postmortem_refusal(actor, incident) is None


# --- merge request addresses (R17) ------------------------------------------------------------

_GITLAB_MR = re.compile(r"^/.+/-/merge_requests/\d+/?$")
_GITHUB_PR = re.compile(r"^/[^/]+/[^/]+/pull/\d+/?$")
_COMMIT = re.compile(r"/(-/)?commits?/[0-9a-fA-F]{7,40}/?$")


def merge_request_problem(url: str) -> str | None:
    """R17: why `url` is not the address of a merge (or pull) request, or None when it is."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "must be an http(s) address of a merge request"
    path = parts.path
    if _COMMIT.search(path) or "/commit/" in path:
        return (
            "is a commit address: link the merge request that contains it (GitLab "
            "`/-/merge_requests/N`, GitHub `/pull/N`), never the commit, so readers see the "
            "whole change and its review"
        )
    if _GITLAB_MR.match(path) or _GITHUB_PR.match(path):
        return None
    return "must be a merge request address: GitLab `…/-/merge_requests/N` or GitHub `…/pull/N`"


# --- taxonomy (R19) ---------------------------------------------------------------------------


def parse_taxonomy(
    text: str, *, known: dict[str, TaxonomyTerm] | None = None
) -> list[TaxonomyTerm]:
    """R19: a term or a tree `PRINCIPAL < PRIMARY < …`, every part a known term, no repeats.
    Retired terms are not offered for new postmortems but stay valid in postmortems that have
    them (the caller passes them in `known`). Raises RuleViolation naming every problem."""
    problems = Problems()
    names = [part.strip() for part in text.split(TREE_SEPARATOR)]
    if not text.strip():
        problems.add(
            "taxonomy", "taxonomy is required: one term or a tree `PRINCIPAL < PRIMARY < …`", "R19"
        )
        problems.raise_if_any()
    if known is None:
        known = {t.name: t for t in TaxonomyTerm.objects.filter(retired=False)}
    terms: list[TaxonomyTerm] = []
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name:
            problems.add(
                "taxonomy",
                f"taxonomy part {position} is empty: write terms separated by ' < ', with no "
                "separator at the start, the end or twice in a row",
                "R19",
            )
            continue
        upper = name.upper()
        if upper in seen:
            problems.add("taxonomy", f"taxonomy term {upper} appears twice in the tree", "R19")
            continue
        seen.add(upper)
        term = known.get(upper)
        if term is None:
            problems.add(
                "taxonomy",
                f"{name!r} is not a known taxonomy term (see GET /api/v1/taxonomy)",
                "R19",
            )
            continue
        terms.append(term)
    problems.raise_if_any()
    return terms


def taxonomy_text(terms: list[TaxonomyTerm]) -> str:
    return f" {TREE_SEPARATOR} ".join(term.name for term in terms)


def is_administrator(user: User) -> bool:
    """Administrators keep the taxonomy (DESIGN: users, roles, components, taxonomy)."""
    return user.is_active and (
        user.is_superuser or user.groups.filter(name=Role.ADMINISTRATOR).exists()
    )


@transaction.atomic
def add_taxonomy_term(*, actor: User, name: str, definition: str) -> TaxonomyTerm:
    """Administrators add terms (R19): UPPER_SNAKE_CASE, unique, with a definition."""
    if not is_administrator(actor):
        raise NotAllowed("only administrators add taxonomy terms", rule="R19")
    problems = Problems()
    name = name.strip().upper()
    if not TERM_PATTERN.match(name):
        problems.add(
            "name", "a term is written in capitals with underscores, like MISSING_TEST", "R19"
        )
    elif TaxonomyTerm.objects.filter(name=name).exists():
        problems.add(
            "name",
            f"the term {name} exists already (retired terms can be brought back instead)",
            "R19",
        )
    if not definition.strip():
        problems.add("definition", "a term needs its definition", "R19")
    problems.raise_if_any()
    return TaxonomyTerm.objects.create(name=name, definition=definition.strip())


@transaction.atomic
def retire_taxonomy_term(*, actor: User, name: str, retired: bool = True) -> TaxonomyTerm:
    """Retiring hides a term from new postmortems; postmortems that use it keep it."""
    if not is_administrator(actor):
        raise NotAllowed("only administrators retire taxonomy terms", rule="R19")
    term = TaxonomyTerm.objects.filter(name=name.strip().upper()).first()
    if term is None:
        raise NotFound(f"there is no taxonomy term {name!r}", field="name")
    term.retired = retired
    term.save(update_fields=["retired"])
    return term


# --- times (R15, R16) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Times:
    """R15: TTD = reported − reached production; TTF = resolved − reported; TTR = resolved −
    reached production. None when a moment it needs is unknown (no causing merge request)."""

    ttd: timedelta | None
    ttf: timedelta | None
    ttr: timedelta | None

    @staticmethod
    def words(span: timedelta | None) -> str | None:
        return describe_duration(span) if span is not None else None

    def sentences(self) -> list[str]:
        """R16: 'Time to detect was 3.5 hours', … for each time that is known."""
        out = []
        for label, span in (("detect", self.ttd), ("fix", self.ttf), ("recover", self.ttr)):
            if span is not None:
                out.append(f"Time to {label} was {describe_duration(span)}")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            name: {
                "seconds": int(span.total_seconds()) if span is not None else None,
                "worded": self.words(span),
            }
            for name, span in (("ttd", self.ttd), ("ttf", self.ttf), ("ttr", self.ttr))
        }


def incident_times(incident: Incident, cause_merged_at: datetime | None) -> Times:
    reported = incident.report.reported_at
    resolved = incident.resolved_at
    ttf = resolved - reported if resolved else None
    if cause_merged_at is None:
        return Times(ttd=None, ttf=ttf, ttr=None)
    ttd = reported - cause_merged_at
    ttr = resolved - cause_merged_at if resolved else None
    return Times(ttd=ttd, ttf=ttf, ttr=ttr)


# --- the drafted Impact (R14) -----------------------------------------------------------------


@dataclass(frozen=True)
class TimelineRow:
    at: datetime
    what: str

    @property
    def stamp(self) -> str:
        return format_timeline(self.at)


def timeline(incident: Incident, cause_merged_at: datetime | None) -> list[TimelineRow]:
    """R14: from the causing merge request through report, publication, every update and the
    resolution, read from the Event log (the public texts from their updates)."""
    rows: list[TimelineRow] = []
    if cause_merged_at is not None:
        rows.append(
            TimelineRow(
                cause_merged_at,
                "The change that caused the incident reached "
                "production (its merge request was merged)",
            )
        )
    kinds = [
        IncidentEvent.REPORT_FILED,
        IncidentEvent.INCIDENT_PUBLISHED,
        IncidentEvent.INCIDENT_UPDATED,
        IncidentEvent.INCIDENT_RESOLVED,
    ]
    events = list(
        Event.objects.about(f"incident:{incident.pk}", f"report:{incident.report_id}")
        .filter(kind__in=kinds)
        .order_by("at", "pk")
    )
    update_ids = [e.data.get("update_id") for e in events if e.data.get("update_id")]
    updates = {u.pk: u for u in IncidentUpdate.objects.filter(pk__in=update_ids)}
    for event in events:
        update = updates.get(event.data.get("update_id"))
        message = _one_line(update.message) if update else ""
        if event.kind == IncidentEvent.REPORT_FILED:
            medium = Medium(incident.report.medium).label.lower()
            what = f"Reported through {medium}"
        elif event.kind == IncidentEvent.INCIDENT_PUBLISHED:
            what = f"Published on the status page: {message}"
        elif event.kind == IncidentEvent.INCIDENT_UPDATED:
            status = update.get_status_display() if update else "Update"
            what = f"{status}: {message}"
        else:
            what = f"Resolved: {message}"
        rows.append(TimelineRow(event.at, what.rstrip(": ")))
    rows.sort(key=lambda row: row.at)
    return rows


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def draft_impact(incident: Incident, cause_merged_at: datetime | None) -> str:
    """R14: the Impact section in the document's form, as Markdown the manager edits."""
    report = incident.report
    users = report.users_affected
    affected = "1 user" if users == 1 else f"{users} users"
    if report.could_affect_two_or_more:
        affected += " (and it could affect more)"
    lines = [
        f"{incident.message or incident.title}",
        "",
        f"Users affected: {affected}.",
        "",
        f"| Time ({display_zone_name()}) | What happened |",
        "|---|---|",
    ]
    lines += [f"| {row.stamp} | {row.what} |" for row in timeline(incident, cause_merged_at)]
    detection = (
        "proactively, by the team"
        if report.detection == Detection.PROACTIVE
        else "reactively, by a customer"
    )
    times = incident_times(incident, cause_merged_at)
    lines += ["", f"The incident was discovered {detection}."]
    if times.ttd is not None:
        lines.append(f"Time to detect was {describe_duration(times.ttd)}.")
    if times.ttf is not None:
        lines.append(f"Time to fix was {describe_duration(times.ttf)}.")
    medium = Medium(report.medium).label.lower()
    lines.append(f"It was reported by {report.reporter} through {medium}.")
    if times.ttr is not None:
        lines.append(f"Time to recover was {describe_duration(times.ttr)}.")
    # The issue is referred to (R14) by its number and tracker link, never by its internal
    # title or description: the postmortem is public.
    issue = incident.issue
    reference = f"[INC-{incident.pk}]({issue.url})" if issue.url else f"INC-{incident.pk}"
    lines.append(f"Issue: {reference}.")
    if cause_merged_at is None:
        lines.append("")
        lines.append(
            "(Enter the date the causing merge request was merged to complete the "
            "timeline, the time to detect and the time to recover.)"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Draft:
    impact: str
    times: Times
    timeline: list[TimelineRow]


def draft_postmortem(*, actor: User, incident: Incident | int) -> Draft:
    """R14–R16: the drafted Impact and the times, from the Event log and the incident's fields."""
    found = _incident(incident)
    refused = postmortem_refusal(actor, found)
    if refused is not None:
        raise refused
    existing = Postmortem.objects.filter(incident=found).first()
    merged = existing.cause_merged_at if existing else None
    return Draft(
        impact=draft_impact(found, merged),
        times=incident_times(found, merged),
        timeline=timeline(found, merged),
    )


# --- writing and publishing (R12, R13, R17, R18) ----------------------------------------------


def _five_whys(problems: Problems, value: Any) -> list[dict[str, str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add("five_whys", "five_whys must be a list of {why, because} pairs", "R17")
        return []
    if len(value) > WHYS_MAX:
        problems.add("five_whys", f"the 5 Whys have at most {WHYS_MAX} pairs", "R17")
    out = []
    for index, pair in enumerate(value[:WHYS_MAX]):
        field = f"five_whys[{index}]"
        if not isinstance(pair, dict) or set(pair) - {"why", "because"}:
            problems.add(field, f"{field} must be an object with 'why' and 'because'", "R17")
            continue
        why = str(pair.get("why") or "").strip()
        because = str(pair.get("because") or "").strip()
        if not why or not because:
            problems.add(field, f"{field} needs both a why and a because", "R17")
        elif len(why) > WHY_MAX or len(because) > WHY_MAX:
            problems.add(field, f"{field}: each answer has at most {WHY_MAX} characters", "R17")
        else:
            out.append({"why": why, "because": because})
    return out


def _known_terms(postmortem: Postmortem | None) -> dict[str, TaxonomyTerm]:
    """Active terms, plus the retired ones this postmortem already has (old postmortems keep
    working when a term is retired)."""
    known = {t.name: t for t in TaxonomyTerm.objects.filter(retired=False)}
    if postmortem is not None and postmortem.pk:
        known.update({t.name: t for t in postmortem.terms.all()})
    return known


_EDITABLE = (
    "impact",
    "cause",
    "five_whys",
    "cause_merge_request_url",
    "cause_merged_at",
    "solution",
    "fix_merge_request_url",
    "conclusion",
    "taxonomy",
)


@transaction.atomic
def write_postmortem(*, actor: User, incident: Incident | int, **fields: Any) -> Postmortem:
    """R12, R13, R17, R19: create or change the postmortem of a resolved incident. Only the
    fields given change; sections may stay empty while it is a draft (publishing needs them)."""
    _require_manager(actor, "write postmortems")
    found = _incident(incident, lock=True)
    refused = postmortem_refusal(actor, found)
    if refused is not None:
        raise refused
    unknown = set(fields) - set(_EDITABLE)
    if unknown:
        raise ValueError(f"unknown postmortem fields: {sorted(unknown)}")
    postmortem = Postmortem.objects.filter(incident=found).first()
    now = timezone.now()
    created = postmortem is None
    if postmortem is None:
        postmortem = Postmortem(incident=found, author=actor, created_at=now, updated_at=now)
    problems = Problems()
    previous_merged_at = postmortem.cause_merged_at
    before = _public_fields(postmortem)
    for section in SECTIONS:
        if section in fields:
            text = str(fields[section] or "").replace("\r\n", "\n").strip()
            if len(text) > SECTION_MAX:
                problems.add(section, f"{section} has at most {SECTION_MAX} characters", "R13")
            setattr(postmortem, section, text)
    if "five_whys" in fields:
        postmortem.five_whys = _five_whys(problems, fields["five_whys"])
    for field in ("cause_merge_request_url", "fix_merge_request_url"):
        if field in fields:
            url = str(fields[field] or "").strip()
            if url:
                problem = merge_request_problem(url)
                if problem:
                    problems.add(field, f"{field} {problem}", "R17")
                elif len(url) > 500:
                    problems.add(field, f"{field} has at most 500 characters", "R17")
            setattr(postmortem, field, url)
    if "cause_merged_at" in fields:
        merged = fields["cause_merged_at"]
        if merged is None:
            postmortem.cause_merged_at = None
        else:
            try:
                merged = effective_time(merged, field="cause_merged_at")
            except Exception as exc:  # RuleViolation: naive, future, before 1970
                problems.add("cause_merged_at", str(exc), "R15")
            else:
                if merged > found.report.reported_at:
                    problems.add(
                        "cause_merged_at",
                        f"cause_merged_at ({format_timeline(merged)}) cannot be after the "
                        f"report ({format_timeline(found.report.reported_at)}): the failure "
                        "reached production before anyone could report it",
                        "R15",
                    )
                else:
                    postmortem.cause_merged_at = merged
    terms: list[TaxonomyTerm] | None = None
    if "taxonomy" in fields:
        text = str(fields["taxonomy"] or "").strip()
        if text:
            try:
                terms = parse_taxonomy(text, known=_known_terms(postmortem))
            except Exception as exc:
                for item in getattr(
                    exc, "errors", [{"field": "taxonomy", "rule": "R19", "message": str(exc)}]
                ):
                    problems.add(str(item["field"]), str(item["message"]), item["rule"])
        else:
            terms = []
    problems.raise_if_any()
    # The drafted Impact follows the merge date until the manager edits it: an Impact that is
    # still the draft of the previous date is drafted again with the new one (R14).
    if postmortem.cause_merged_at != previous_merged_at and postmortem.impact.strip() in (
        "",
        draft_impact(found, previous_merged_at).strip(),
    ):
        postmortem.impact = draft_impact(found, postmortem.cause_merged_at)
    if terms is not None:
        postmortem.taxonomy = taxonomy_text(terms)
    postmortem.updated_at = now
    postmortem.save()
    if terms is not None:
        PostmortemTerm.objects.filter(postmortem=postmortem).delete()
        PostmortemTerm.objects.bulk_create(
            PostmortemTerm(postmortem=postmortem, term=term, position=position)
            for position, term in enumerate(terms)
        )
    after = _public_fields(postmortem)
    changed = [name for name in _EDITABLE if before.get(name) != after.get(name)]
    if created or changed:
        # Every save is an event: a draft's (postmortem.written), or a change to the published
        # text (postmortem.revised), which rebuilds the public pages and says "revised <date>".
        revised = postmortem.is_published
        if revised:
            postmortem.revised_at = now
            postmortem.save(update_fields=["revised_at"])
        record(
            PostmortemEvent.REVISED if revised else PostmortemEvent.WRITTEN,
            subject=found,
            also=[postmortem],
            at=now,
            actor=actor,
            postmortem_id=postmortem.pk,
            fields=changed,
            term_ids=list(postmortem.parts.values_list("term_id", flat=True)),
            cause_merged_at=(
                postmortem.cause_merged_at.isoformat() if postmortem.cause_merged_at else None
            ),
        )
    return postmortem


def _public_fields(postmortem: Postmortem) -> dict[str, Any]:
    """What a reader of the postmortem sees, to tell which fields a save changed."""
    return {name: getattr(postmortem, name) for name in _EDITABLE}


def publication_problems(postmortem: Postmortem) -> Problems:
    """R13, R17, R18: what a postmortem lacks before it can be published."""
    problems = Problems()
    for section in SECTIONS:
        if not getattr(postmortem, section).strip():
            problems.add(
                section,
                f"the {SECTION_TITLES[section]} section is empty: a "
                "postmortem has all four sections",
                "R13",
            )
    if not postmortem.taxonomy:
        problems.add("taxonomy", "the Conclusion needs a taxonomy term or tree", "R18")
    if postmortem.cause_merge_request_url and postmortem.cause_merged_at is None:
        problems.add(
            "cause_merged_at",
            "enter when the causing merge request was merged: "
            "the timeline and the time to detect start there",
            "R14",
        )
    return problems


@transaction.atomic
def publish_postmortem(*, actor: User, incident: Incident | int, notify: bool = True) -> Postmortem:
    """R12: the Incident Manager publishes the postmortem within the incident; it shows on the
    public incident page and the Incidents Page (R20) after commit."""
    _require_manager(actor, "publish postmortems")
    found = _incident(incident, lock=True)
    refused = postmortem_refusal(actor, found)
    if refused is not None:
        raise refused
    postmortem = Postmortem.objects.filter(incident=found).first()
    if postmortem is None:
        raise IllegalTransition(
            f"incident INC-{found.pk} has no postmortem yet: write it before publishing",
            field="postmortem",
            rule="R12",
        )
    if postmortem.is_published:
        raise IllegalTransition("the postmortem is already published", field="status", rule="R12")
    publication_problems(postmortem).raise_if_any()
    now = timezone.now()
    postmortem.published_at = now
    postmortem.save(update_fields=["published_at"])
    parts = list(postmortem.parts.select_related("term"))
    record(
        PostmortemEvent.PUBLISHED,
        subject=found,
        also=[postmortem],
        at=now,
        actor=actor,
        postmortem_id=postmortem.pk,
        term_ids=[part.term_id for part in parts],
        notify=notify,
    )
    return postmortem


# --- reading: Markdown, readability, jargon ---------------------------------------------------

# Words a general audience may not know (advice only; administrators edit the list in settings).
DEFAULT_JARGON = (
    "api",
    "backend",
    "cache",
    "cluster",
    "commit",
    "cron",
    "deploy",
    "dns",
    "endpoint",
    "failover",
    "kubernetes",
    "latency",
    "migration",
    "null",
    "pipeline",
    "pod",
    "regex",
    "rollback",
    "runtime",
    "schema",
    "stack trace",
    "timeout",
    "throughput",
    "webhook",
)


def jargon_list() -> tuple[str, ...]:
    from django.conf import settings

    return tuple(getattr(settings, "STATUSDESK_JARGON", DEFAULT_JARGON))


@dataclass(frozen=True)
class Advice:
    score: float | None  # Flesch reading ease, higher is easier; None for no text
    level: str
    jargon: list[str]


def readability(text: str) -> Advice:
    """Plain-language advice for a general audience: never a blocker."""
    import textstat

    plain = re.sub(r"[|#*_`>\[\]()-]", " ", text or "")
    words = [w for w in plain.split() if w]
    found = []
    lowered = f" {' '.join(words).lower()} "
    for word in jargon_list():
        if re.search(rf"\b{re.escape(word.lower())}s?\b", lowered):
            found.append(word)
    if len(words) < 3:
        return Advice(score=None, level="too short to score", jargon=found)
    score = round(float(textstat.flesch_reading_ease(plain)), 1)
    level = "easy" if score >= 60 else "fairly hard" if score >= 30 else "hard"
    return Advice(score=score, level=level, jargon=found)


def as_markdown(postmortem: Postmortem) -> str:
    """The postmortem as one Markdown document (export)."""
    incident = postmortem.incident
    out = [f"# Postmortem: {incident.title} (INC-{incident.pk})", ""]
    for section in SECTIONS:
        out += [f"## {SECTION_TITLES[section]}", "", getattr(postmortem, section).strip(), ""]
        if section == "cause":
            if postmortem.five_whys:
                out += ["### 5 Whys", ""]
                for number, pair in enumerate(postmortem.five_whys, start=1):
                    out.append(f"{number}. Why? {pair['why']} Because {pair['because']}")
                out.append("")
            if postmortem.cause_merge_request_url:
                out += [f"Merge request that caused it: {postmortem.cause_merge_request_url}", ""]
        if section == "solution" and postmortem.fix_merge_request_url:
            out += [f"Merge request that fixed it: {postmortem.fix_merge_request_url}", ""]
        if section == "conclusion" and postmortem.taxonomy:
            out += [f"Taxonomy: `{postmortem.taxonomy}`", ""]
    return "\n".join(out).rstrip() + "\n"


def postmortem_of(incident: Incident | int) -> Postmortem | None:
    return (
        Postmortem.objects.filter(incident=incident)
        .select_related("incident", "incident__report", "incident__issue")
        .first()
    )


# --- follow-up actions ------------------------------------------------------------------------

ACTION_MAX = 500


@transaction.atomic
def add_follow_up_action(
    *, actor: User, incident: Incident | int, description: str, owner: str, due_on: Any
) -> FollowUpAction:
    """An action item of the Conclusion: what, who (an active user's e-mail) and by when."""
    _require_manager(actor, "add follow-up actions")
    found = _incident(incident, lock=True)
    refused = postmortem_refusal(actor, found)
    if refused is not None:
        raise refused
    postmortem = Postmortem.objects.filter(incident=found).first()
    if postmortem is None:
        raise IllegalTransition(
            "write the postmortem before adding follow-up actions", field="postmortem"
        )
    problems = Problems()
    description = (description or "").strip()
    if not description:
        problems.add("description", "say what is to be done")
    elif len(description) > ACTION_MAX:
        problems.add("description", f"description has at most {ACTION_MAX} characters")
    owner_user = User.objects.filter(email__iexact=(owner or "").strip(), is_active=True).first()
    if owner_user is None:
        problems.add("owner", "the owner must be the e-mail of an active user")
    if not isinstance(due_on, date) or isinstance(due_on, datetime):
        problems.add("due_on", "due_on must be a date (YYYY-MM-DD)")
    problems.raise_if_any()
    assert owner_user is not None
    return FollowUpAction.objects.create(
        postmortem=postmortem,
        description=description,
        owner=owner_user,
        due_on=due_on,
        created_at=timezone.now(),
    )


def may_mark_action_done(actor: User, action: FollowUpAction) -> bool:
    """Who may mark a follow-up action done: its owner, the Incident Manager of its incident, or
    an administrator."""
    if not actor.is_active:
        return False
    if action.owner_id == actor.pk:
        return True
    if action.postmortem.incident.manager_id == actor.pk:
        return True
    return is_administrator(actor)


@transaction.atomic
def close_follow_up_action(
    *, actor: User, action: FollowUpAction | int, merge_request_url: str = ""
) -> FollowUpAction:
    """Done: by its owner, the incident's Incident Manager or an administrator, with the merge
    request that closed it when code changed (a merge request address, never a commit: R17)."""
    pk = action.pk if isinstance(action, FollowUpAction) else action
    found = (
        FollowUpAction.objects.select_for_update(of=("self",))
        .select_related("postmortem__incident")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound(f"follow-up action {pk} does not exist", field="action_id")
    if not may_mark_action_done(actor, found):
        raise NotAllowed(
            "only the action's owner, the incident's Incident Manager or an administrator may "
            "mark it done"
        )
    if found.is_done:
        raise IllegalTransition("this follow-up action is already done", field="status")
    url = (merge_request_url or "").strip()
    problems = Problems()
    if len(url) > URL_MAX:
        problems.add("merge_request_url", f"merge_request_url has at most {URL_MAX} characters")
    elif url:
        problem = merge_request_problem(url)
        if problem:
            problems.add("merge_request_url", f"merge_request_url {problem}", "R17")
    problems.raise_if_any()
    found.closing_merge_request_url = url
    found.done_at = timezone.now()
    found.save(update_fields=["closing_merge_request_url", "done_at"])
    return found
