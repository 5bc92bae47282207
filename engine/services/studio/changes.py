"""What changed in a process file, element by element: the model of a change, and the
diffs of forms (field by field), the policy (table by table) and message templates (runs of
lines). Diagrams and decision tables are :mod:`engine.services.studio.xml_changes`."""

from __future__ import annotations

import difflib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Detail:
    """One aspect of an element that differs: ``aspect`` says what (name, timer, cell…)."""

    aspect: str
    label: str | None
    before: str | None
    after: str | None


@dataclass(frozen=True)
class ElementChange:
    change: str  # added, removed, changed
    element_id: str
    name: str | None
    type: str  # the element's tag (userTask, rule…), or field, table
    details: tuple[Detail, ...] = ()


@dataclass(frozen=True)
class FileChange:
    name: str
    kind: str
    change: str  # added, removed, changed
    elements: tuple[ElementChange, ...] = ()
    layout_changed: bool = False  # diagram positions moved (not listed element by element)
    outdated: bool = False  # the draft was made from an older version, whose file differs


def json_text(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def form_changes(before: str | None, after: str | None) -> tuple[list[ElementChange], bool]:
    old, new = _form_parts(before), _form_parts(after)
    changes = []
    old_header, new_header = old.pop("", {}), new.pop("", {})
    header = _dict_details(old_header, new_header)
    if header and before is not None and after is not None:
        changes.append(
            ElementChange("changed", "", _label(new_header.get("title")), "form", header)
        )
    old_order, new_order = list(old), list(new)
    for key in [*old_order, *(k for k in new_order if k not in old)]:
        was, now = old.get(key), new.get(key)
        if was is None or now is None:
            field_def = now if now is not None else was
            change = "added" if was is None else "removed"
            changes.append(ElementChange(change, key, _label(field_def.get("label")), "field"))
            continue
        details = _dict_details(was, now)
        if key in old_order and key in new_order:
            before_position = [k for k in old_order if k in new].index(key)
            after_position = [k for k in new_order if k in old].index(key)
            if before_position != after_position:
                details += (
                    Detail("position", None, str(before_position + 1), str(after_position + 1)),
                )
        if details:
            changes.append(
                ElementChange("changed", key, _label(now.get("label")), "field", details)
            )
    return changes, False


def _form_parts(text: str | None) -> dict[str, dict]:
    """The form's own keys (title, description…) under "", then each field by key, in order."""
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return {"": {"(text)": text}}
    if not isinstance(data, dict):
        return {"": {"(text)": text}}
    parts = {"": {k: v for k, v in data.items() if k != "fields"}}
    for index, field_def in enumerate(data.get("fields") or []):
        if isinstance(field_def, dict):
            parts[str(field_def.get("key") or f"#{index + 1}")] = field_def
    return parts


def _dict_details(old: Mapping, new: Mapping) -> tuple[Detail, ...]:
    return tuple(
        Detail(
            "property",
            key,
            None if key not in old else json_text(old[key]),
            None if key not in new else json_text(new[key]),
        )
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key) or (key in old) != (key in new)
    )


def _label(texts) -> str | None:
    if isinstance(texts, dict):
        return texts.get("fr") or next(iter(texts.values()), None)
    return texts if isinstance(texts, str) else None


def policy_changes(before: str | None, after: str | None) -> tuple[list[ElementChange], bool]:
    old, new = _policy_tables(before), _policy_tables(after)
    changes = []
    for table in sorted(old.keys() | new.keys()):
        was, now = old.get(table), new.get(table)
        if was == now:
            continue
        if was is None or now is None:
            values = now if now is not None else was
            details = tuple(
                Detail("value", key, None if was is None else v, v if was is None else None)
                for key, v in sorted(values.items())
            )
            change = "added" if was is None else "removed"
            changes.append(ElementChange(change, table, None, "table", details))
            continue
        details = tuple(
            Detail("value", key, was.get(key), now.get(key))
            for key in sorted(was.keys() | now.keys())
            if was.get(key) != now.get(key)
        )
        changes.append(ElementChange("changed", table, None, "table", details))
    return changes, False


def _policy_tables(text: str | None) -> dict[str, dict[str, str]]:
    """The policy's values grouped by table: {"deadlines.answer": {"preset": '"psd2-answer"'}}."""
    if text is None:
        return {}
    try:
        values = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {"(file)": {"(text)": text}}
    tables: dict[str, dict[str, str]] = {}

    def walk(prefix: str, node: Mapping) -> None:
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else key
            if isinstance(value, Mapping):
                walk(path, value)
            else:
                tables.setdefault(prefix or "(top level)", {})[key] = json_text(value)

    walk("", values)
    return tables


def message_changes(before: str | None, after: str | None) -> tuple[list[ElementChange], bool]:
    """A text file (a message template) by runs of lines: "lines 3-5" changed from… to…."""
    old, new = (before or "").splitlines(), (after or "").splitlines()
    changes = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        lines = f"{j1 + 1}-{max(j2, j1 + 1)}" if tag != "delete" else f"{i1 + 1}-{i2}"
        change = {"insert": "added", "delete": "removed"}.get(tag, "changed")
        detail = Detail("text", None, "\n".join(old[i1:i2]) or None, "\n".join(new[j1:j2]) or None)
        changes.append(ElementChange(change, lines, None, "lines", (detail,)))
    return changes, False
