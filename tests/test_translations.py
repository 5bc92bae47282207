"""Every text of the interface has its English translation, and the catalogue is sound."""

from __future__ import annotations

import re

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from engine.config import PROJECT_ROOT

WEBUI = PROJECT_ROOT / "webui"
CATALOGUE = WEBUI / "translations" / "en" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]


def _source_messages() -> dict[str, str]:
    """msgid → where it was first found, for every translatable text in webui/."""
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(WEBUI), METHODS, keywords=KEYWORDS, options_map={"**.html": {}}
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, f"webui/{filename}:{lineno}")
    return found


def _catalogue():
    with CATALOGUE.open("rb") as handle:
        return read_po(handle, locale="en")


def test_every_interface_text_has_an_english_translation():
    catalogue = _catalogue()
    missing = [
        f"{where}: {msgid!r}"
        for msgid, where in sorted(_source_messages().items(), key=lambda item: item[1])
        if not (catalogue.get(msgid) and _translated(catalogue.get(msgid)))
    ]
    assert not missing, "untranslated texts:\n" + "\n".join(missing)


def test_the_catalogue_has_no_fuzzy_or_stale_entries():
    catalogue = _catalogue()
    sources = _source_messages()
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    stale = [
        m.id
        for m in catalogue
        if m.id and (m.id[0] if isinstance(m.id, tuple) else m.id) not in sources
    ]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    assert not stale, f"entries no longer in the source: {stale}"


def test_translations_keep_their_placeholders():
    for message in _catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = _placeholders(ids[0])
        for string in strings:
            assert _placeholders(string) == wanted, (message.id, string)


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and not message.fuzzy


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)[sd]", text))
