"""R12–R19: the postmortem's rules, through the real services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from statusdesk.accounts.models import User
from statusdesk.core.errors import IllegalTransition, NotAllowed, RuleViolation
from statusdesk.core.markdown import render_markdown
from statusdesk.core.models import Event
from statusdesk.core.time import describe_duration
from statusdesk.incidents.models import Component, Incident
from statusdesk.postmortems import services
from statusdesk.postmortems.models import TaxonomyTerm
from tests.factories import (
    a_backfilled_resolved_incident,
    a_postmortem,
    a_published_incident,
    a_published_postmortem,
    postmortem_fields,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def backfilled(manager: User, developer: User, components: list[Component]) -> Incident:
    """Causing merge request 3.5 hours before the report (set by a_postmortem), resolution 45
    minutes after the report."""
    return a_backfilled_resolved_incident(
        manager, developer, components, reported_hours_ago=6, resolved_after=timedelta(minutes=45)
    )


# --- R12 lock and ownership -------------------------------------------------------------------


def test_r12_no_postmortem_before_resolution(
    manager: User, developer: User, components: list[Component]
) -> None:
    incident = a_published_incident(manager, developer, components)
    with pytest.raises(IllegalTransition, match="not resolved") as refused:
        services.write_postmortem(actor=manager, incident=incident, impact="x")
    assert refused.value.rule == "R12"
    with pytest.raises(IllegalTransition):
        services.draft_postmortem(actor=manager, incident=incident)
    assert not services.can_write_postmortem(manager, incident)


def test_r12_only_the_incident_manager_writes_and_publishes(
    developer: User, desk_member: User, manager: User, backfilled: Incident
) -> None:
    for user in (developer, desk_member):
        with pytest.raises(NotAllowed) as refused:
            services.write_postmortem(actor=user, incident=backfilled, impact="x")
        assert refused.value.rule == "R12"
    a_postmortem(manager, backfilled)
    with pytest.raises(NotAllowed):
        services.publish_postmortem(actor=developer, incident=backfilled)


def test_r12_one_postmortem_per_incident_published_once(
    manager: User, backfilled: Incident
) -> None:
    first = a_postmortem(manager, backfilled)
    second = a_postmortem(manager, backfilled, cause="Another wording.")
    assert first.pk == second.pk
    services.publish_postmortem(actor=manager, incident=backfilled)
    with pytest.raises(IllegalTransition, match="already published"):
        services.publish_postmortem(actor=manager, incident=backfilled)


def test_r12_publishing_records_an_event(manager: User, backfilled: Incident) -> None:
    postmortem = a_published_postmortem(manager, backfilled)
    event = Event.objects.get(kind="postmortem.published")
    assert event.subject == f"incident:{backfilled.pk}"
    assert event.data["postmortem_id"] == postmortem.pk
    assert len(event.data["term_ids"]) == 2
    assert postmortem.is_published


# --- R13 sections -----------------------------------------------------------------------------


@pytest.mark.parametrize("section", ["impact", "cause", "solution", "conclusion"])
def test_r13_publishing_needs_all_four_sections(
    manager: User, backfilled: Incident, section: str
) -> None:
    a_postmortem(manager, backfilled)
    services.write_postmortem(actor=manager, incident=backfilled, **{section: "   "})
    with pytest.raises(RuleViolation) as refused:
        services.publish_postmortem(actor=manager, incident=backfilled)
    assert refused.value.field == section
    assert refused.value.rule == "R13"
    assert not Event.objects.filter(kind="postmortem.published").exists()


def test_r13_sections_are_markdown_rendered_safely() -> None:
    html = render_markdown("**bold** <script>alert(1)</script> [x](javascript:alert(1))")
    assert "<strong>bold</strong>" in html
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert (
        '<a href="https://ok.example/" rel="noopener noreferrer nofollow">ok</a>'
        in render_markdown("[ok](https://ok.example/)")
    )


# --- R14 impact, R15 times, R16 wording -------------------------------------------------------


def test_r15_r16_backfilled_incident_times(manager: User, backfilled: Incident) -> None:
    a_postmortem(manager, backfilled)
    draft = services.draft_postmortem(actor=manager, incident=backfilled)
    assert draft.times.sentences() == [
        "Time to detect was 3.5 hours",
        "Time to fix was 45 minutes",
        "Time to recover was 4.3 hours",
    ]
    assert draft.times.as_dict()["ttr"] == {"seconds": 15300, "worded": "4.3 hours"}


def test_r14_impact_draft_has_every_element(manager: User, backfilled: Incident) -> None:
    postmortem = a_postmortem(manager, backfilled)
    impact = services.draft_postmortem(actor=manager, incident=backfilled).impact
    assert "Users affected: 3 users" in impact
    assert "| Time (UTC-5) | What happened |" in impact
    assert "discovered reactively, by a customer" in impact
    assert "Time to detect was 3.5 hours." in impact
    assert "Time to fix was 45 minutes." in impact
    assert "Time to recover was 4.3 hours." in impact
    assert "reported by customer@client.example through e-mail to the help address" in impact
    assert "https://gitlab.example.com/product/-/issues/42" in impact
    rows = [line for line in impact.splitlines() if line.startswith("| ") and "Time (" not in line]
    # merge request, report, publication, one update, resolution: in order, UTC-5 yy-mm-dd hh:mm
    assert len(rows) == 5
    merged = postmortem.cause_merged_at
    assert merged is not None
    stamp = (merged - timedelta(hours=5)).strftime("%y-%m-%d %H:%M")
    assert rows[0].startswith(f"| {stamp} | The change that caused the incident")
    assert "Reported through" in rows[1]
    assert "Published on the status page" in rows[2]
    assert rows[4].startswith(f"| {(backfilled.resolved_at - timedelta(hours=5)):%y-%m-%d %H:%M}")
    assert "Resolved" in rows[4]


def test_r14_draft_without_the_merge_request_says_what_is_missing(
    manager: User, backfilled: Incident
) -> None:
    draft = services.draft_postmortem(actor=manager, incident=backfilled)
    assert draft.times.ttd is None and draft.times.ttr is None
    assert "Time to fix was 45 minutes." in draft.impact
    assert "Enter the date the causing merge request was merged" in draft.impact


def test_r15_merge_request_cannot_be_merged_after_the_report(
    manager: User, backfilled: Incident
) -> None:
    with pytest.raises(RuleViolation) as refused:
        a_postmortem(
            manager, backfilled, cause_merged_at=backfilled.report.reported_at + timedelta(1)
        )
    assert refused.value.field == "cause_merged_at"
    with pytest.raises(RuleViolation, match="time zone"):
        a_postmortem(manager, backfilled, cause_merged_at=timezone.now().replace(tzinfo=None))


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (4 * 3600 + 15 * 60, "4.3 hours"),  # 4.25 hours
        (4 * 3600 + 21 * 60, "4.4 hours"),  # 4.35 hours
        (4 * 3600 + 9 * 60, "4.2 hours"),  # 4.15 hours
        (15, "0.3 minutes"),  # 0.25 minutes
        (59 * 60 + 57, "1 hour"),  # 59.95 minutes
        (59 * 60 + 56, "59.9 minutes"),
        (23 * 3600 + 57 * 60, "1 day"),  # 23.95 hours
        (29 * 86400 + int(0.95 * 86400), "1 month"),  # 29.95 days
        (3600, "1 hour"),
        (86400, "1 day"),
        (60, "1 minute"),
        (2 * 60, "2 minutes"),
    ],
)
def test_r16_rounding_half_up_and_unit_thresholds(seconds: float, words: str) -> None:
    assert describe_duration(seconds) == words


_UNIT = {"minute": 60, "hour": 3600, "day": 86400, "month": 30 * 86400}
_NEXT = {"minute": 60, "hour": 24, "day": 30}


@given(st.integers(min_value=0, max_value=5 * 365 * 86400))
def test_r16_wording_is_close_to_the_value_and_in_the_right_unit(seconds: int) -> None:
    amount, unit = describe_duration(seconds).split(" ")
    singular = unit.removesuffix("s")
    assert (amount == "1") == (unit == singular)
    value = float(amount)
    assert "." not in amount or len(amount.split(".")[1]) == 1
    # at most half a tenth of the unit away from the value (half up)
    assert abs(value * _UNIT[singular] - seconds) <= 0.05 * _UNIT[singular] + 1e-6
    if singular in _NEXT:
        assert value < _NEXT[singular]
    # the smallest unit whose rounded value stays below its next threshold
    order = list(_UNIT)
    for smaller in order[: order.index(singular)]:
        assert seconds / _UNIT[smaller] >= _NEXT[smaller] - 0.05


@given(st.integers(min_value=0, max_value=10**4), st.sampled_from(list(_UNIT)))
def test_r16_tenths_round_half_up(tenths_times_two: int, unit: str) -> None:
    # a value exactly halfway between two tenths rounds up
    value = (2 * tenths_times_two + 1) / 20  # x.x5
    seconds = (2 * tenths_times_two + 1) * _UNIT[unit] // 20  # exact: every unit divides by 20
    if unit in _NEXT and value >= _NEXT[unit] - 0.05:
        return  # written in the next unit (the other test checks that)
    if unit != "minute" and value < 1:
        return  # written in the smaller unit
    words = describe_duration(seconds)
    expected = (2 * tenths_times_two + 2) // 2 / 10
    amount = words.split(" ")[0]
    assert float(amount) == pytest.approx(expected)


# --- R17 merge request links ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://gitlab.com/group/project/-/merge_requests/12",
        "https://gitlab.example.com/a/b/c/-/merge_requests/3/",
        "https://github.com/owner/repo/pull/9",
    ],
)
def test_r17_merge_request_addresses_are_accepted(url: str) -> None:
    assert services.merge_request_problem(url) is None


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://gitlab.com/group/project/-/commit/0a1b2c3d4e5f", "commit address"),
        ("https://github.com/owner/repo/commit/0a1b2c3d4e5f6a7b", "commit address"),
        ("https://github.com/owner/repo/pull/9/commits/0a1b2c3d", "commit address"),
        ("https://github.com/owner/repo/issues/9", "merge request address"),
        ("ftp://github.com/owner/repo/pull/9", "http(s)"),
        ("not a url", "http(s)"),
    ],
)
def test_r17_other_addresses_are_refused_with_the_reason(url: str, says: str) -> None:
    problem = services.merge_request_problem(url)
    assert problem is not None and says in problem


def test_r17_postmortem_refuses_a_commit_link(manager: User, backfilled: Incident) -> None:
    with pytest.raises(RuleViolation) as refused:
        a_postmortem(
            manager,
            backfilled,
            fix_merge_request_url="https://github.com/owner/repo/commit/0a1b2c3d4e5f6a7b",
        )
    assert refused.value.field == "fix_merge_request_url"
    assert refused.value.rule == "R17"
    assert "never the commit" in refused.value.message


def test_r17_five_whys_up_to_five_pairs(manager: User, backfilled: Incident) -> None:
    pair = {"why": "Why?", "because": "Because."}
    assert len(a_postmortem(manager, backfilled, five_whys=[pair] * 5).five_whys) == 5
    with pytest.raises(RuleViolation, match="at most 5"):
        a_postmortem(manager, backfilled, five_whys=[pair] * 6)
    with pytest.raises(RuleViolation, match="both a why and a because"):
        a_postmortem(manager, backfilled, five_whys=[{"why": "Why?", "because": ""}])


# --- R18 conclusion, R19 taxonomy -------------------------------------------------------------


def test_r18_publishing_needs_a_taxonomy(manager: User, backfilled: Incident) -> None:
    a_postmortem(manager, backfilled, taxonomy="")
    with pytest.raises(RuleViolation) as refused:
        services.publish_postmortem(actor=manager, incident=backfilled)
    assert refused.value.field == "taxonomy" and refused.value.rule == "R18"


def test_r19_the_fifteen_terms_are_seeded_with_definitions() -> None:
    terms = dict(TaxonomyTerm.objects.values_list("name", "definition"))
    assert len(terms) == 15
    assert terms["NO_SPECIFIED"].startswith("Refers to an error that, regarding its nature")
    assert all(definition for definition in terms.values())


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("MISSING_TEST", ["MISSING_TEST"]),
        ("DATA_QUALITY < FAILED_MIGRATION", ["DATA_QUALITY", "FAILED_MIGRATION"]),
        (
            "data_quality<failed_migration<missing_test",
            ["DATA_QUALITY", "FAILED_MIGRATION", "MISSING_TEST"],
        ),
    ],
)
def test_r19_valid_trees(text: str, names: list[str]) -> None:
    assert [t.name for t in services.parse_taxonomy(text)] == names


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "taxonomy is required"),
        ("SLOW_DISK", "not a known taxonomy term"),
        ("DATA_QUALITY < DATA_QUALITY", "appears twice"),
        ("DATA_QUALITY <", "is empty"),
        ("< DATA_QUALITY", "is empty"),
        ("DATA_QUALITY << MISSING_TEST", "is empty"),
    ],
)
def test_r19_invalid_trees(text: str, says: str) -> None:
    with pytest.raises(RuleViolation, match=says) as refused:
        services.parse_taxonomy(text)
    assert refused.value.rule == "R19"


def test_r19_retired_terms_stay_in_old_postmortems(
    admin_user: User, manager: User, backfilled: Incident
) -> None:
    a_postmortem(manager, backfilled, taxonomy="MISSING_TEST")
    services.retire_taxonomy_term(actor=admin_user, name="MISSING_TEST")
    # the old postmortem keeps it and can still be saved and published
    a_postmortem(manager, backfilled, cause="Reworded.", taxonomy="MISSING_TEST")
    services.publish_postmortem(actor=manager, incident=backfilled)
    with pytest.raises(RuleViolation, match="not a known"):
        services.parse_taxonomy("MISSING_TEST")


def test_r19_administrators_add_terms(admin_user: User, manager: User) -> None:
    term = services.add_taxonomy_term(
        actor=admin_user, name="slow_rollout", definition="A rollout that took too long."
    )
    assert term.name == "SLOW_ROLLOUT"
    assert services.parse_taxonomy("SLOW_ROLLOUT < MISSING_TEST")[0] == term
    with pytest.raises(NotAllowed):
        services.add_taxonomy_term(actor=manager, name="OTHER", definition="x")
    with pytest.raises(RuleViolation, match="capitals"):
        services.add_taxonomy_term(actor=admin_user, name="not a term!", definition="x")
    with pytest.raises(RuleViolation, match="exists already"):
        services.add_taxonomy_term(actor=admin_user, name="MISSING_TEST", definition="x")


def test_r19_postmortem_names_every_problem(manager: User, backfilled: Incident) -> None:
    with pytest.raises(RuleViolation) as refused:
        services.write_postmortem(
            actor=manager,
            incident=backfilled,
            **postmortem_fields(taxonomy="SLOW_DISK < DATA_QUALITY < DATA_QUALITY"),
        )
    messages = [item["message"] for item in refused.value.errors]
    assert any("SLOW_DISK" in m for m in messages)
    assert any("twice" in m for m in messages)


def test_r14_the_drafted_impact_follows_the_merge_date_until_edited(
    manager: User, backfilled: Incident
) -> None:
    drafted = services.draft_postmortem(actor=manager, incident=backfilled).impact
    merged = backfilled.report.reported_at - timedelta(hours=3, minutes=30)
    postmortem = services.write_postmortem(
        actor=manager,
        incident=backfilled,
        impact=drafted.replace("\n", "\r\n"),  # as a browser posts a textarea
        cause_merged_at=merged,
    )
    assert "Time to detect was 3.5 hours." in postmortem.impact
    edited = postmortem.impact + "\n\nWe are sorry."
    services.write_postmortem(actor=manager, incident=backfilled, impact=edited)
    again = services.write_postmortem(
        actor=manager, incident=backfilled, cause_merged_at=merged - timedelta(hours=1)
    )
    assert again.impact == edited  # the manager's words are never replaced
