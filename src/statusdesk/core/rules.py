"""The process rules R1–R20: what each says and how statusdesk enforces it, written once.

This module is the one source of the rules. The console shows it at /rules/ (each rule at
/rules/#r1 … /rules/#r20, where every rule chip links), the API's `rule` field names its rules,
and `statusdesk docs` (`make docs`) renders it into docs/rules.md; a test fails when that file is
out of date. Edit the rules here, never in docs/rules.md.

Texts are plain sentences; `backticks` mark code and a mention such as R4 becomes a link to that
rule. No Django import: the docs command and its test read this without a database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    ENFORCED = "enforced"
    PARTIAL = "partial"
    PLANNED = "planned"

    @property
    def label(self) -> str:
        return {"enforced": "Enforced", "partial": "Partly built", "planned": "Planned"}[self]


@dataclass(frozen=True)
class Rule:
    number: int
    title: str
    # What the process says, in our words.
    says: str
    # How statusdesk enforces it today: the step, the answer, what the console shows.
    enforced: tuple[str, ...] = ()
    # What is not built yet.
    planned: tuple[str, ...] = ()

    @property
    def code(self) -> str:
        return f"R{self.number}"

    @property
    def anchor(self) -> str:
        return f"r{self.number}"

    @property
    def label(self) -> str:
        """The accessible name of a chip: 'Rule R5: Publication'."""
        return f"Rule {self.code}: {self.title}"

    @property
    def status(self) -> Status:
        if not self.enforced:
            return Status.PLANNED
        return Status.PARTIAL if self.planned else Status.ENFORCED


RULES: tuple[Rule, ...] = (
    Rule(
        1,
        "Incident threshold",
        "A reported problem (a malfunction, a slowdown, an interruption or an error in a product "
        "or one of its components) becomes an incident only when it has affected, or could "
        "affect, at least two users, whether those users reported it or not. Internal users, "
        "such as team members and hackers, count like customers.",
        enforced=(
            "Every report records how many users are affected so far (`users_affected`) and "
            "whether it could affect two or more (`could_affect_two_or_more`).",
            "Confirming a report below the threshold is refused: `confirm_incident` answers "
            'HTTP 422 with `rule: "R1"` on `users_affected`. The console\'s triage page shows '
            "the check before the manager tries.",
            "A report below the threshold is still filed and stays a report; the manager "
            "dismisses it with a reason.",
        ),
    ),
    Rule(
        2,
        "Roles",
        "The Incident Manager creates and runs an incident from its detection until its "
        "postmortem is published. One assigned developer is accountable for resolving it: they "
        "work on it with top priority, keep the Incident Desk informed of progress and obstacles, "
        "and give the manager what the root cause and the postmortem need. The Incident Desk is "
        "a group of people who support that developer.",
        enforced=(
            "Roles are groups: Administrator, Incident manager, Developer, Desk member and "
            "Reporter. Only incident managers and administrators confirm, dismiss, assign, "
            "publish, update and resolve. Each service checks the role itself, so the console, "
            'the API and the CLI agree: a refused step answers HTTP 403 with `rule: "R2"` (an '
            "error page in the console).",
            "Whoever confirms a report becomes the incident's manager.",
            "An incident has at most one accountable developer at a time; handing over "
            "replaces them, and the incident's history keeps who it was before.",
        ),
        planned=(
            "The end of the manager's duty at the postmortem's publication comes with "
            "postmortems (R12).",
        ),
    ),
    Rule(
        3,
        "Detection record",
        "Detection is the moment someone, inside or outside the company, notices the problem "
        "and reports it. Reports usually arrive by e-mail to the help address, but also through "
        "an issue, an internal chat, a direct e-mail or any other channel. The record must say "
        "who reported it, through which medium, when, and whether it was found by the team "
        "(proactive) or by a customer (reactive): the postmortem needs all of it (R14).",
        enforced=(
            "`report_problem` requires who reported the problem (`reporter`), the medium "
            "(`email`, `issue`, `chat`, `direct_email` or `other`), the detection (`proactive` "
            "or `reactive`) and the number of users affected, and records the time. Missing or "
            'unknown values answer HTTP 422 with `rule: "R3"`, every problem listed at once.',
            "The report keeps, apart from who reported the problem, the statusdesk user who "
            "filed it. The incident shows its detection record on its page and in the API.",
        ),
        planned=(
            "Reports by e-mail and from monitoring webhooks; today they come in through the "
            "console's form and the API.",
        ),
    ),
    Rule(
        4,
        "Issue and assignment",
        "Each incident has an issue that describes the problem in detail. The help area "
        "usually writes it, but any employee or an external user may. The Incident Manager "
        "assigns a developer to resolve it.",
        enforced=(
            "Confirming a report opens its issue: `confirm_incident` requires a title and a "
            "description; a link to an external tracker is optional and must be an http(s) "
            'address. Problems answer HTTP 422 with `rule: "R4"`.',
            "`assign_developer` accepts only an active user with the Developer role (HTTP 422, "
            '`rule: "R4"`); assigning the developer already assigned answers HTTP 409.',
            "Publishing before a developer is assigned is refused with HTTP 409 and "
            '`rule: "R4"`: the process publishes after the assignment (R5).',
        ),
    ),
    Rule(
        5,
        "Publication",
        "Once a developer is assigned, the Incident Manager promptly publishes the incident "
        "with: a name that says clearly and briefly what is wrong; the status, always "
        "Identified at publication; a message saying what is affected and how; a workaround, "
        "with a link to its instructions in the documentation; the affected components, "
        "ticked in a list (R6); a severity (major outage, partial outage, degraded performance "
        "or operational); 'notify subscribers', left ticked; and long-running incident "
        "reminders, left ticked, every hour. Publishing shows the incident on the public status "
        "page at once and notifies the subscribers.",
        enforced=(
            "`publish_incident` requires the name, the message, the workaround with a valid "
            "http(s) documentation link, at least one known component and one of the four "
            "severities, and always sets the status to `identified`. Problems answer HTTP 422 "
            'with `rule: "R5"`; publishing twice answers HTTP 409.',
            "'Notify subscribers' and reminders are on unless the manager turns them off; "
            "reminders come every 60 minutes unless another interval is chosen (5 to 1,440 "
            "minutes).",
            "The affected components take the severity as their status.",
            "Updates need a published incident: posting one before publication answers "
            'HTTP 409 with `rule: "R5"`.',
            "With 'notify subscribers' ticked, the publication and each update are sent to every "
            "confirmed subscriber whose components it affects (e-mail, signed webhook, chat "
            "channels), exactly once each, retried when a receiver fails; the incident page "
            "counts them per update (queued, sent, retrying, failed).",
            "The publication shows on the public status page (`/`), in the Statuspage-compatible "
            "`/api/v2/` files, the feeds and the Incidents Page within about a second of its "
            "commit: name, status, severity, affected components, message and workaround with "
            "its documentation link.",
        ),
    ),
    Rule(
        6,
        "Components",
        "The components a publication can mark as affected are the eight of the process: "
        "Platform (Integrates), the application and its API; Web (Airs), the homepage and "
        "everything about the company and its products; Docs (Docs), the documentation; Agent "
        "(Forces), the client-side part of the DevSecOps agent; Cloning (Melts), which downloads "
        "the end users' code repositories and other utilities the hackers need; Scanning "
        "(Machine), which scans source code, infrastructure and applications for "
        "vulnerabilities; Extensions (Retrieves), the Visual Studio Code extension that points "
        "reported vulnerabilities to their file and line; and Mailing, which sends "
        "notifications to users.",
        enforced=(
            "`ensure_default_components` creates the eight, in this order, each recognised by "
            "a fixed key (`platform`, `web`, …), so a component an administrator renamed is not "
            "added again; `statusdesk seed-demo` (run by `make run`) calls it.",
            "Administrators add, rename, reorder, describe and remove components in the admin "
            "(`/admin/`); each change is an event in the log, with who made it. A component an "
            "incident named cannot be removed (rename it instead), and history names components "
            "by id, so a rename keeps it readable.",
            "A component's status is read-only in the admin: it is derived from the open "
            "incidents that affect it (the most serious status any of them gives), with an event "
            "for every change.",
            "An unknown component id in a publication or an update answers HTTP 422 with "
            '`rule: "R6"`.',
        ),
    ),
    Rule(
        7,
        "Incident Desk size",
        "The Incident Desk is an internal chat group of at least four people who know the "
        "business well. Its purpose is to support the developer who resolves an incident.",
        enforced=(
            "Membership is its own record: standing (an administrator adds and removes them on "
            "the console's members page, `/manage/desk/members/`, in the API or in the admin, "
            "saying why) or temporary (the assigned developer, R8), with when and why; each "
            "joining and leaving is an event.",
            'Removing a standing member is refused (HTTP 409 with `rule: "R7"`, an error on the '
            "page and in the admin) when it would leave the desk with fewer than four active "
            "standing members; only administrators change the desk (403 otherwise).",
            "Deactivating the account of a standing member is refused for the same reason, "
            "wherever the account is saved (the admin shows why: add another standing member "
            "first); deleting a standing member's account is refused too.",
            "`statusdesk seed-demo` makes its four desk members the standing members.",
        ),
    ),
    Rule(
        8,
        "Desk kickoff",
        "When a developer is assigned, the Incident Manager adds them to the desk and posts "
        "there a description of the problem, who the accountable developer is, the issue's "
        "address and the incident's address. That post starts the incident's discussion "
        "thread. From then on the developer gives the incident all their working time and "
        "promptly reports mitigations, solutions, obstacles and any other news in it.",
        enforced=(
            "Once the assignment is committed, the developer joins the desk as a temporary member "
            "(a standing member stays standing) and the kickoff post starts the incident's "
            "thread: the issue's description, the accountable developer, the Incident Manager, "
            "the issue's address and the incident's address, both absolute links (the "
            "incident's from `STATUSDESK_PUBLIC_URL`). The issue's address is its tracker link; "
            "without one the post says 'no issue link yet' (the issue itself is on the incident's "
            "page).",
            "Reassigning writes a handover post and swaps the temporary member.",
            "Only desk members, the incident's manager and its assigned developer read and write "
            "the thread; for anyone else the thread does not exist (404).",
        ),
    ),
    Rule(
        9,
        "Desk release",
        "When the incident is resolved, the Incident Manager removes the developer from the "
        "Incident Desk.",
        enforced=(
            "Once the resolution is committed, the thread gets the resolution and a closing "
            "post, the developer leaves the desk (unless they are one of its standing members), "
            "and the thread stays readable but read-only (posting answers 409 with "
            '`rule: "R9"`).',
        ),
    ),
    Rule(
        10,
        "Follow-up",
        "The Incident Manager stays in touch with the developer, follows the progress, keeps "
        "the desk informed and helps when obstacles come up. While an incident lasts, the "
        "manager keeps reporting its status (in the desk, in answer to the status page's "
        "reminders, or with incident updates), and a brief update goes on the status page "
        "every hour.",
        enforced=(
            "Publishing with reminders on sets when the next update is due (the chosen interval "
            "after publication); every update moves it on, and the resolution clears it. This "
            "due time is kept apart from the reminders' own clock, so a reminder that goes out "
            "never hides a missed update.",
            "A missed update is visible: the incident page shows 'Update overdue' and the "
            "dashboard counts the incidents whose update is overdue.",
            "`post_update` posts an update (investigating, identified or monitoring) with a "
            "message and, when needed, new statuses for components.",
            "Every minute the worker claims the due reminders with a compare-and-set on the "
            "incident's `next_reminder_at`: exactly one reminder per missed interval, even with "
            "two workers or after a restart. The reminder e-mails the Incident Manager, posts in "
            "the desk thread and shows a banner in the console; after two missed intervals it "
            "goes to the whole desk. Posting an update resets the clock.",
            "A worker that was down for several intervals sends one catch-up reminder, not one "
            "per interval: it says how many intervals were missed, is escalated at once when two "
            "or more were, and the next reminder is at the next interval boundary.",
            "The incident page shows the update cadence: the average and longest time between "
            "its public updates.",
            "Each update shows on the public status page and on the incident's public page, "
            "newest first.",
        ),
    ),
    Rule(
        11,
        "Closure",
        "Once the problem is solved, the Incident Manager sets the incident to Resolved with a "
        "concise message of two lines saying that it is resolved and that the affected "
        "component works normally again. Saving it publishes the new state on the status page, "
        "notifies the subscribers and unlocks the postmortem.",
        enforced=(
            "`resolve_incident` takes a message of at most two non-empty lines of at most 280 "
            "characters each (blank lines are dropped); otherwise it answers HTTP 422 with "
            '`rule: "R11"`.',
            "Only a published, open incident can be resolved (HTTP 409 otherwise, with "
            '`rule: "R11"` before publication); a resolved incident cannot be updated or '
            "resolved again.",
            "The affected components return to operational, unless another open incident "
            "still affects them.",
            "With 'notify subscribers' ticked, the resolution is sent to the subscribers like "
            "every update (R5).",
            "The resolution shows on the public status page (the incident moves to the "
            "incidents resolved in the last 7 days, its components back to operational) and "
            "unlocks the postmortem (R12).",
        ),
    ),
    Rule(
        12,
        "Postmortem after resolution",
        "Every incident gets a public postmortem. It is written once the incident is resolved, "
        "and published within the incident. The Incident Manager writes and publishes it, "
        "after investigating with the developer who resolved the incident and anyone else who "
        "can help. It is written for a general audience: clear, brief and without jargon.",
        enforced=(
            "`write_postmortem`, `draft_postmortem` and `publish_postmortem` refuse an incident "
            'that is not resolved (HTTP 409, `rule: "R12"`); the console shows no "Write '
            'postmortem" before the resolution.',
            "Only incident managers and administrators write and publish it (HTTP 403, "
            '`rule: "R12"`); each incident has one postmortem, published once, and publishing '
            "records a `postmortem.published` event that puts it on the public incident page.",
            "The editor shows a readability score and flags jargon from an editable list "
            "(`STATUSDESK_JARGON`), as advice that never blocks.",
        ),
    ),
    Rule(
        13,
        "Postmortem sections",
        "A postmortem has exactly four sections: Impact, Cause, Solution and Conclusion.",
        enforced=(
            "A postmortem has the fields `impact`, `cause`, `solution` and `conclusion` "
            "(Markdown, rendered sanitised); a draft may leave some empty, publishing needs "
            'all four (HTTP 422, `rule: "R13"`, naming each empty section).',
        ),
    ),
    Rule(
        14,
        "Impact",
        "The Impact section says how users were affected and how many; gives the incident's "
        "timeline, with times in UTC-5 written `yy-mm-dd hh:mm`, starting at the date of the "
        "merge request that caused it; says whether the problem was discovered proactively "
        "(by the team) or reactively (by a customer); gives the time to detect, the time to fix "
        "and the time to recover (R15, R16); says who reported it and through which medium; "
        "and refers to the issue opened to resolve it.",
        enforced=(
            "Times are stored in UTC and shown everywhere in the display zone, UTC-5 unless "
            "`STATUSDESK_DISPLAY_TZ` says otherwise, written `yy-mm-dd hh:mm`.",
            "The parts the Impact section reads are recorded from the start: the detection "
            "record (R3), the issue (R4) and the time of every step.",
            "`draft_postmortem` drafts the Impact section from the Event log and the "
            "incident's fields: users affected, a timeline table (`yy-mm-dd hh:mm` in the "
            "display zone) from the causing merge request through the report, the "
            "publication, every update and the resolution, the detection, TTD, TTF, TTR, the "
            "reporter and medium, and the issue. The manager edits it afterwards.",
        ),
    ),
    Rule(
        15,
        "Time to detect, fix and recover",
        "The time to detect (TTD) runs from the moment the failure reached production (the "
        "date of the merge request that caused it) to the moment it was reported through a "
        "support channel. The time to fix (TTF) runs from that report to the resolution. The "
        "time to recover (TTR) runs from reaching production to the resolution: the whole "
        "impact.",
        enforced=(
            "The report time (R3) and the resolution time (R11) are recorded; a manager may "
            "back-fill them for a past incident, never in the future and never out of order.",
            "The manager enters `cause_merged_at`, when the causing merge request was merged "
            "(statusdesk cannot ask the forge); it must carry a time zone and come before the "
            'report (HTTP 422, `rule: "R15"`). TTD, TTF and TTR are computed from it, the '
            "report and the resolution; without it only TTF is known and the draft says so.",
        ),
    ),
    Rule(
        16,
        "Duration wording",
        "An elapsed time is written in minutes when under one hour, in hours from one hour up "
        "to a day, and in days from one day up to a month, with at most one decimal, for "
        "example 'Time to detect was 3.5 hours'.",
        enforced=(
            "`describe_duration` writes every elapsed time the console shows this way. Where "
            "the process is silent it goes on in months of 30 days beyond one month, writes a "
            "value that would round up to the next unit's threshold in that unit (never "
            "'60 minutes'), and uses the singular for exactly one ('1 hour').",
            "The drafted Impact writes 'Time to detect was …', 'Time to fix was …' and "
            "'Time to recover was …' with it; values are rounded half up on their decimal "
            "value (4.25 hours is '4.3 hours').",
        ),
    ),
    Rule(
        17,
        "Cause and solution links",
        "The Cause section explains the root cause, found with the developer and other people "
        "who know (the 5 Whys technique helps). If a merge request introduced the cause, the "
        "section links that merge request, never the commit. The Solution section explains "
        "how the incident was remediated and, when code changed, links the merge request that "
        "fixed it.",
        enforced=(
            "`cause_merge_request_url` and `fix_merge_request_url` accept a GitLab "
            "`…/-/merge_requests/N` or GitHub `…/pull/N` address; a commit address is refused "
            'saying to link the merge request instead (HTTP 422, `rule: "R17"`).',
            "The Cause carries a structured 5 Whys: up to five why/because pairs.",
        ),
    ),
    Rule(
        18,
        "Conclusion",
        "The Conclusion records the lessons learned: which parts of the architecture let the "
        "problem reach production, what the developer did to remediate the root cause, and one "
        "taxonomy term or a taxonomy tree (R19).",
        enforced=('Publishing needs a taxonomy term or tree (HTTP 422, `rule: "R18"`).',),
    ),
    Rule(
        19,
        "Taxonomy",
        "Taxonomy terms are tags that say briefly and systematically why a problem reached "
        "production. The process defines fifteen: COMMUNICATION_FAILURE, DATA_QUALITY, "
        "FAILED_LINTER, FAILED_MIGRATION, IMPOSSIBLE_TO_TEST, INCOMPLETE_PERSPECTIVE, "
        "INFRASTRUCTURE_ERROR, LACK_OF_TRACEABILITY, MISSING_ALERT, MISSING_TEST, NO_SPECIFIED, "
        "ROTATION_FAILURE, THIRD_PARTY_CHANGE, THIRD_PARTY_ERROR and UNHANDLED_EXCEPTION. "
        "When a chain of connected failures caused the incident, a taxonomy tree is used: "
        "`PRINCIPAL < PRIMARY < SECONDARY < …`, read as 'the failure occurred due to … which "
        "was caused by … which was in turn caused by …', for example "
        "`DATA_QUALITY < FAILED_MIGRATION`.",
        enforced=(
            "The fifteen terms are seeded with the document's definitions; administrators add "
            "terms and retire them (a retired term stays valid in the postmortems that use it).",
            "A taxonomy is parsed as `TERM < TERM < …`: every part a known term, no repeats, no "
            'empty part (HTTP 422, `rule: "R19"`, naming each problem).',
        ),
    ),
    Rule(
        20,
        "Transparency",
        "To keep everyone who depends on the products informed, a public Incidents Page lists "
        "the incidents and their published postmortems.",
        enforced=(
            "`/incidents` lists every published incident, grouped by month, 25 a page, "
            "filterable by component and severity; `/incidents/<id>` shows its updates, affected "
            "components and, once published, its postmortem. The status page at `/` shows the "
            "open incidents and those resolved in the last 7 days.",
            "Only published data ever appears on the public pages, the `/api/v2/` files and the "
            "feeds: never a report, an unpublished incident, the issue or who worked on it.",
        ),
    ),
)

_BY_CODE = {rule.code: rule for rule in RULES}

# A mention of a rule in running text: R4, R12 (not R200, not part of a word).
MENTION = re.compile(r"\bR([1-9]\d?)\b")
_CODE_SPAN = re.compile(r"(`[^`]*`)")


def get(code: str | None) -> Rule | None:
    """The rule named by an error's `rule` field ('R5'), or None."""
    return _BY_CODE.get((code or "").strip().upper())


def split_code(text: str) -> list[tuple[bool, str]]:
    """The text as (is_code, part) pieces: code spans (without backticks) and plain text."""
    pieces: list[tuple[bool, str]] = []
    for part in _CODE_SPAN.split(text):
        if not part:
            continue
        if part.startswith("`") and part.endswith("`") and len(part) >= 2:
            pieces.append((True, part[1:-1]))
        else:
            pieces.append((False, part))
    return pieces


# --- docs/rules.md ------------------------------------------------------------------------------


def _markdown_inline(text: str) -> str:
    out = []
    for is_code, part in split_code(text):
        if is_code:
            out.append(f"`{part}`")
        else:
            out.append(
                MENTION.sub(
                    lambda m: f"[{m.group(0)}](#r{m.group(1)})" if get(m.group(0)) else m.group(0),
                    part,
                )
            )
    return "".join(out)


def render_markdown() -> str:
    """docs/rules.md, exactly (a test compares the file with this)."""
    lines = [
        "<!-- Generated from src/statusdesk/core/rules.py by `make docs` (`statusdesk docs`).",
        "     Edit the rules there; a test fails when this file is out of date. -->",
        "",
        "# The process rules",
        "",
        "statusdesk runs one written incident process. Its rules are numbered R1 to R20. Every "
        "refusal that a rule is behind names it: the API's error body carries it in its `rule` "
        'field (`"rule": "R5"`), and the console shows it as a chip that links to the same text '
        "at `/rules/#r5` in the running application. Tests are named after the rule they check "
        "(`test_r5_…`).",
        "",
        "Each rule below says what the process asks, how statusdesk enforces it today, and what "
        "is planned and not built yet (the public status page, notifications, the Incident Desk, "
        "reminders and postmortems).",
        "",
        "| rule | title | today |",
        "|---|---|---|",
    ]
    for rule in RULES:
        lines.append(f"| [{rule.code}](#{rule.anchor}) | {rule.title} | {rule.status.label} |")
    for rule in RULES:
        lines += ["", f'## <a id="{rule.anchor}"></a>{rule.code} · {rule.title}', ""]
        lines += [f"*{rule.status.label}.* {_markdown_inline(rule.says)}", ""]
        if rule.enforced:
            lines += ["How statusdesk enforces it:", ""]
            lines += [f"- {_markdown_inline(item)}" for item in rule.enforced]
            lines.append("")
        if rule.planned:
            lines += ["Planned:" if rule.enforced else "Not built yet (planned):", ""]
            lines += [f"- {_markdown_inline(item)}" for item in rule.planned]
            lines.append("")
        lines.pop()  # no blank line before the next heading's own
    return "\n".join(lines) + "\n"
