"""The Spanish translation ships compiled and complete: the committed .mo is what msgfmt makes of
the committed .po (so nobody forgot `statusdesk compilemessages`), and every message is translated.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from django.conf import settings

from tests.conftest import require_program

LOCALE = Path(settings.LOCALE_PATHS[0])
PO = LOCALE / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_the_locale_lives_inside_the_package() -> None:
    import statusdesk

    assert LOCALE.is_relative_to(Path(statusdesk.__file__).parent)
    assert PO.exists() and MO.exists()


def test_the_compiled_spanish_catalogue_is_up_to_date(tmp_path: Path) -> None:
    require_program("msgfmt", "gettext's msgfmt")
    fresh = tmp_path / "django.mo"
    # What `django-admin compilemessages` runs.
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(PO)], check=True)
    assert fresh.read_bytes() == MO.read_bytes(), (
        "django.mo is stale: run `cd src/statusdesk && django-admin compilemessages`"
    )


def test_every_spanish_message_is_translated() -> None:
    text = PO.read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]  # the first one is the header
    assert len(entries) > 50
    for entry in entries:
        assert "#, fuzzy" not in entry, entry
        strings = re.findall(r'^msgstr(?:\[\d\])? "(.*)"((?:\n".*")*)', entry, re.M)
        assert strings, entry
        for first, rest in strings:
            assert first or rest, f"untranslated: {entry}"


def _catalogue() -> dict[str, bool]:
    """msgid -> translated, from the committed .po."""
    out = {}
    for entry in PO.read_text(encoding="utf-8").split("\n\n")[1:]:
        found = re.search(r'^msgid "(.*)"((?:\n".*")*)', entry, re.M)
        if found:
            msgid = found.group(1) + "".join(re.findall(r'"(.*)"', found.group(2)))
            out[msgid] = "#, fuzzy" not in entry
    return out


def test_every_text_of_the_public_templates_is_in_the_catalogue() -> None:
    """The catalogue is collected again whenever a public template changes (`make messages`): a
    text added to a page (the published postmortem's headings, "revised", its times) without it
    would show in English on a Spanish page, while every entry of a stale catalogue is
    translated."""
    root = Path(settings.LOCALE_PATHS[0]).parent
    templates = [
        *sorted((root / "statuspage" / "templates").rglob("*.html")),
        *sorted((root / "notifications" / "templates" / "notifications").glob("*.html")),
    ]
    catalogue = _catalogue()
    texts = set()
    for template in templates:
        for _quote, text in re.findall(
            r"\{% translate ([\"'])(.*?)\1[^%]*%\}", template.read_text(encoding="utf-8")
        ):
            texts.add(text)
    assert {"Impact", "Cause", "Solution", "Conclusion", "revised", "Time to recover"} <= texts
    missing = sorted(t for t in texts if not catalogue.get(t))
    assert not missing, f"not in the Spanish catalogue (run `make messages`): {missing}"


def test_the_package_ships_the_catalogue() -> None:
    """An installed statusdesk (a wheel) carries locale/ like its templates and static files."""
    import tomllib

    root = Path(__file__).resolve().parents[2]
    data = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = data["tool"]["setuptools"]["package-data"]["statusdesk"]
    assert any(p.startswith("locale/") for p in patterns), patterns
