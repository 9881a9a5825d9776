"""axe-core in the browser tests: inject the vendored engine into a page, run it, and describe what
it found so that a failing test says which page, which rule, which element and why.

The engine is `tests/e2e/vendor/axe.min.js` (version and checksum in vendor/README.md). It is
injected with Playwright into contexts opened with `bypass_csp=True`, so a Content-Security-Policy
on the console never stops the check (the console itself never loads it).
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path
from typing import Any

VENDOR = Path(__file__).with_name("vendor")
AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"

# What the console must never have; moderate and minor findings are reported, not failed.
BLOCKING = ("critical", "serious")

# WCAG 2.1 A/AA and axe's best practices (landmarks, headings, …).
RUN_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


@cache
def axe_source() -> str:
    data = (VENDOR / "axe.min.js").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == AXE_SHA256, f"vendor/axe.min.js is not axe-core {AXE_VERSION} ({digest})"
    return data.decode()


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Every violation axe finds on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
        version = page.evaluate("window.axe.version")
        assert version == AXE_VERSION, version
    result = page.evaluate(
        "async (options) => await window.axe.run(document, options)", RUN_OPTIONS
    )
    return list(result["violations"])


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v.get("impact") in BLOCKING]


def describe(where: str, violations: list[dict[str, Any]], *, nodes: int = 4) -> str:
    """One block per violation: rule, impact, what it means, and the first few elements with
    axe's own explanation (for color-contrast: the two colours and the ratio found)."""
    lines = []
    for violation in violations:
        count = len(violation["nodes"])
        lines.append(
            f"[{where}] {violation['id']} ({violation['impact']}, {count} element"
            f"{'s' if count != 1 else ''}): {violation['help']}"
        )
        for node in violation["nodes"][:nodes]:
            target = " ".join(str(t) for t in node.get("target", []))
            summary = re.sub(r"\s+", " ", node.get("failureSummary") or "").strip()
            summary = summary.replace("Fix any of the following: ", "")
            summary = summary.replace("Fix all of the following: ", "")
            lines.append(f"    {target}: {summary}")
        if count > nodes:
            lines.append(f"    … and {count - nodes} more")
    return "\n".join(lines)
