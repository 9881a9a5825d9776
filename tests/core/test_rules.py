"""The rules R1–R20 as one source: the module, docs/rules.md, the /rules/ page, the chips."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from statusdesk.accounts.models import User
from statusdesk.core import rules
from statusdesk.core.rules import RULES, Status, render_markdown

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "statusdesk"


def test_twenty_rules_numbered_in_order_with_stable_anchors() -> None:
    assert [rule.number for rule in RULES] == list(range(1, 21))
    assert [rule.anchor for rule in RULES] == [f"r{n}" for n in range(1, 21)]
    assert rules.get("R5") is RULES[4]
    assert rules.get("r5") is RULES[4]
    assert rules.get("R21") is None
    assert rules.get(None) is None


def test_every_rule_says_something_and_is_enforced_or_planned() -> None:
    for rule in RULES:
        assert rule.title and rule.says, rule.code
        assert rule.enforced or rule.planned, f"{rule.code} is neither enforced nor planned"
        assert rule.label == f"Rule {rule.code}: {rule.title}"


def test_the_desk_rules_are_enforced() -> None:
    for number in (7, 8, 9):
        assert RULES[number - 1].status is Status.ENFORCED, f"R{number}"


def test_what_is_left_is_marked_partial() -> None:
    """Rules with a part still to build say so (R2: the manager's duty ending with the
    postmortem; R3: reports by e-mail and monitoring webhooks)."""
    for number in (2, 3):
        assert RULES[number - 1].status is Status.PARTIAL, f"R{number}"
    for number in (5, 10, 11, 20):  # the public side is built
        assert RULES[number - 1].status is Status.ENFORCED, f"R{number}"


def test_the_postmortem_rules_are_enforced() -> None:
    for number in range(12, 20):
        assert RULES[number - 1].status is Status.ENFORCED, f"R{number}"


def test_docs_rules_md_is_up_to_date() -> None:
    """docs/rules.md is generated from statusdesk.core.rules: run `make docs` after editing it."""
    path = REPO / "docs" / "rules.md"
    assert path.read_text(encoding="utf-8") == render_markdown(), (
        "docs/rules.md is out of date: run `make docs`"
    )


def test_docs_rules_md_has_an_anchor_per_rule() -> None:
    text = render_markdown()
    for rule in RULES:
        assert f'## <a id="{rule.anchor}"></a>{rule.code} · {rule.title}' in text
        assert f"| [{rule.code}](#{rule.anchor}) | {rule.title} |" in text


def test_mentions_link_to_rules_but_code_spans_stay_code() -> None:
    text = render_markdown()
    assert "([R14](#r14))" in text
    assert '`rule: "R1"`' in text  # inside backticks: not turned into a link


def test_every_rule_code_the_code_raises_is_a_documented_rule() -> None:
    """A refusal's `rule` must lead somewhere: every "Rn" in the source is one of R1–R20."""
    found = set()
    for path in SRC.rglob("*.py"):
        if "migrations" in path.parts or path.name == "rules.py":
            continue
        found |= set(re.findall(r"""["'](R\d+)["']""", path.read_text(encoding="utf-8")))
    assert found, "expected the services to name rules"
    assert {code for code in found if rules.get(code) is None} == set()


def test_templates_draw_rule_chips_with_the_tag() -> None:
    """Every chip in a console template is a `{% rule_chip %}` (a link), not a bare span; the
    rules page itself is the only place a chip is not a link."""
    offenders = []
    for path in SRC.rglob("templates/**/*.html"):
        if path.name == "rules.html":
            continue
        if re.search(r"""class="rule[ "]""", path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


def test_docs_command_writes_and_checks(tmp_path: Path) -> None:
    output = tmp_path / "rules.md"
    with pytest.raises(CommandError, match="out of date"):
        call_command("docs", "--check", "--output", str(output))
    call_command("docs", "--output", str(output))
    assert output.read_text(encoding="utf-8") == render_markdown()
    call_command("docs", "--check", "--output", str(output))  # up to date: no error
    output.write_text("stale", encoding="utf-8")
    with pytest.raises(CommandError, match="make docs"):
        call_command("docs", "--check", "--output", str(output))


# --- the chip ----------------------------------------------------------------------------------


def _render(source: str, **context: object) -> str:
    return Template("{% load rules %}" + source).render(Context(context))


def test_rule_chip_links_to_the_rule_with_an_accessible_name() -> None:
    html = _render('{% rule_chip "R4" %}')
    assert html == (
        '<a class="rule" href="/rules/#r4" target="_blank" rel="noopener" '
        'aria-label="Rule R4: Issue and assignment" '
        'title="Rule R4: Issue and assignment (opens in a new tab)">R4</a>'
    )


def test_rule_chip_neutral_tone_and_variables() -> None:
    html = _render('{% rule_chip code tone="neutral" %}', code="R11")
    assert html.startswith('<a class="rule rule-neutral" href="/rules/#r11"')
    assert 'aria-label="Rule R11: Closure"' in html


def test_rule_chip_without_a_rule_draws_nothing_and_an_unknown_one_no_link() -> None:
    assert _render("{% rule_chip code %}", code=None) == ""
    assert _render("{% rule_chip code %}", code="") == ""
    assert _render('{% rule_chip "R99" %}') == '<span class="rule">R99</span>'


def test_rule_text_escapes_and_links() -> None:
    html = _render("{{ text|rule_text }}", text='See R4 and `<b>"R5"</b>` & more')
    assert html == (
        'See <a href="#r4">R4</a> and <code>&lt;b&gt;&quot;R5&quot;&lt;/b&gt;</code> &amp; more'
    )


# --- the page ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rules_page_is_public_and_lists_every_rule_at_its_anchor() -> None:
    response = Client().get("/rules/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Process rules</h1>" in html
    for rule in RULES:
        assert f'id="{rule.anchor}"' in html
        assert f'href="#{rule.anchor}"' in html
        assert rule.title in html
    assert "console.css" in html  # the console's look


@pytest.mark.django_db
def test_rules_page_says_what_is_planned() -> None:
    """A rule built in part (R3: reports by e-mail and monitoring webhooks are still to come)
    says what is planned beside what is enforced."""
    html = Client().get("/rules/").content.decode()
    section = html.split('id="r3"', 1)[1].split("</section>", 1)[0]
    assert "<h3>Planned</h3>" in section
    assert f'badge--rule-{Status.PARTIAL.value}">{Status.PARTIAL.label}' in section


@pytest.mark.django_db
def test_every_console_page_links_the_rules_in_its_footer(manager: User) -> None:
    client = Client()
    client.force_login(manager)
    html = client.get(reverse("dashboard")).content.decode()
    assert '<a href="/rules/">process rules</a>' in html


def test_openapi_description_points_to_the_rules() -> None:
    from statusdesk.api import api

    description = api.get_openapi_schema()["info"]["description"]
    assert "/rules/#rN" in description
    assert "{detail, field, rule, errors}" in description


TESTS = REPO / "tests"
RULE_TEST = re.compile(r"^def test_r(\d+)_", re.MULTILINE)


def _rule_tests() -> dict[Path, set[int]]:
    found: dict[Path, set[int]] = {}
    for path in TESTS.rglob("test_*.py"):
        numbers = {int(n) for n in RULE_TEST.findall(path.read_text(encoding="utf-8"))}
        if numbers:
            found[path.relative_to(REPO)] = numbers
    return found


def test_each_rule_is_tested_in_the_rule_tests_only() -> None:
    """A test named after a rule (`test_r5_…`) lives in a rule-test module (`test_rules*.py`):
    the API and console tests check how a refusal is shown (status, `rule` field, message), not
    the rule again."""
    elsewhere = sorted(
        str(path) for path in _rule_tests() if not path.name.startswith("test_rules")
    )
    assert elsewhere == []


def test_every_rule_statusdesk_enforces_has_rule_tests() -> None:
    tested = set().union(*_rule_tests().values())
    untested = [rule.code for rule in RULES if rule.enforced and rule.number not in tested]
    assert untested == []
