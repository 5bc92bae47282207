"""Reading a form file: JSON with the line of every value, checked key by key so that every
problem of a file is reported at once, in words a process owner understands."""

from __future__ import annotations

import difflib
import json
import json.decoder
import json.scanner
import keyword
import math
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from engine.config import LANGUAGES
from engine.forms.definitions import (
    DEFAULT_CURRENCY,
    FIELD_TYPES,
    RESERVED_KEYS,
    Choice,
    FormDefinition,
    FormDefinitionError,
    FormField,
    FormProblem,
)
from engine.forms.values import (
    CENT,
    CURRENCY_RE,
    flatten_messages,
    is_empty,
    parse_date,
    show_value,
)
from engine.problems import Wording


class _JsonObject(dict[str, Any]):
    """A decoded JSON object remembering where it and each of its values start."""

    line: int | None = None
    key_lines: dict[str, int]
    duplicates: list[tuple[str, int]]


def _decode_json_with_lines(text: str) -> Any:
    """``json.loads`` whose objects are :class:`_JsonObject` carrying line numbers.

    Uses the pure-Python scanner with a wrapped ``parse_object`` that records the
    position of each value (``JSONObject`` calls ``scan_once`` once per value, in order).
    """
    line_starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def line_of(pos: int) -> int:
        return bisect_right(line_starts, pos)

    def parse_object(
        s_and_end: tuple[str, int],
        strict: bool,
        scan_once: Callable[[str, int], tuple[Any, int]],
        object_hook: Any,
        object_pairs_hook: Any,
        memo: dict[str, str] | None = None,
    ) -> tuple[_JsonObject, int]:
        positions: list[int] = []

        def scan_and_record(string: str, idx: int) -> tuple[Any, int]:
            positions.append(idx)
            return scan_once(string, idx)

        pairs, end = json.decoder.JSONObject(
            s_and_end, strict, scan_and_record, None, lambda p: p, memo
        )
        obj = _JsonObject()
        obj.line = line_of(s_and_end[1] - 1)
        obj.key_lines = {}
        obj.duplicates = []
        for (key, value), pos in zip(pairs, positions, strict=True):
            if key in obj:
                obj.duplicates.append((key, line_of(pos)))
            obj[key] = value
            obj.key_lines[key] = line_of(pos)
        return obj, end

    decoder = json.JSONDecoder()
    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder.decode(text)


_TOP_KEYS = ("title", "description", "fields")


_COMMON_KEYS = ("key", "type", "label", "help", "required", "default", "readonly")


_TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "text": ("min_length", "max_length", "pattern"),
    "long_text": ("min_length", "max_length", "pattern"),
    "choice": ("choices",),
    "multi_choice": ("choices", "min_items", "max_items"),
    "yes_no": (),
    "number": ("min", "max", "integer"),
    "money": ("min", "max", "currency"),
    "date": ("min", "max"),
    "file": ("multiple", "max_files"),
}


def _line(obj: Any, key: str | None = None) -> int | None:
    if isinstance(obj, _JsonObject):
        if key is not None and key in obj.key_lines:
            return obj.key_lines[key]
        return obj.line
    return None


def _suggest(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return Wording("form_hint_close", close=close[0]) if close else ""


def _as_said(message: Wording) -> Wording:
    return message


def _in_choice(number: int) -> Callable[[Wording], Wording]:
    """Problems of the choice ``number`` (from 1) say which choice they are about."""
    return lambda message: Wording("form_in_choice", choice=number, problem=message)


class _DefinitionParser:
    """Checks one definition, collecting every problem before giving up."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[FormProblem] = []

    def problem(
        self, obj: Any, key: str | None, fld: str | None, code: str, /, **params: Any
    ) -> None:
        self.said(_line(obj, key), fld, Wording(code, **params))

    def said(self, line: int | None, fld: str | None, message: Wording) -> None:
        self.problems.append(FormProblem(self.file, line, fld, message))

    # -- generic value checks; each returns the value or None after reporting

    def check_duplicates(
        self, obj: Any, fld: str | None, where: Callable[[Wording], Wording] = _as_said
    ) -> None:
        if isinstance(obj, _JsonObject):
            for key, line in obj.duplicates:
                self.said(line, fld, where(Wording("form_key_twice", key=key)))

    def check_unknown_keys(
        self,
        obj: Mapping[str, Any],
        allowed: Iterable[str],
        fld: str | None,
        code: str,
        **params: Any,
    ) -> None:
        allowed = tuple(allowed)
        for key in obj:
            if key not in allowed:
                hint = _suggest(key, allowed) or Wording(
                    "form_hint_allowed", allowed=", ".join(allowed)
                )
                self.problem(obj, key, fld, code, key=key, hint=hint, **params)

    def localized_text(
        self,
        obj: Mapping[str, Any],
        key: str,
        fld: str | None,
        where: Callable[[Wording], Wording] = _as_said,
    ) -> dict[str, str] | None:
        value = obj.get(key)
        if value is None:
            self.said(_line(obj, key), fld, where(Wording("form_text_required", setting=key)))
            return None
        if not isinstance(value, Mapping):
            message = Wording("form_text_not_object", setting=key, got=show_value(value))
            self.said(_line(obj, key), fld, where(message))
            return None
        ok = True
        for lang, text in value.items():
            if not isinstance(text, str) or not text.strip():
                message = Wording("form_text_empty", setting=key, language=lang)
                self.said(_line(value, lang), fld, where(message))
                ok = False
        for lang in LANGUAGES:  # every label, title, help and description has each
            if lang not in value:
                message = Wording("form_text_language_missing", setting=key, language=lang)
                self.said(_line(obj, key), fld, where(message))
                ok = False
        self.check_duplicates(
            value, fld, lambda m: where(Wording("form_in_setting", setting=key, problem=m))
        )
        return dict(value) if ok else None

    def boolean(self, obj: Mapping[str, Any], key: str, fld: str | None) -> bool:
        value = obj.get(key, False)
        if not isinstance(value, bool):
            self.problem(obj, key, fld, "form_boolean", key=key, got=show_value(value))
            return False
        return value

    def count(self, obj: Mapping[str, Any], key: str, fld: str | None, low: int = 0) -> int | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            self.problem(obj, key, fld, "form_count", key=key, low=low, got=show_value(value))
            return None
        return value

    def number(self, obj: Mapping[str, Any], key: str, fld: str | None) -> int | float | None:
        value = obj.get(key)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            self.problem(obj, key, fld, "form_number", key=key, got=show_value(value))
            return None
        return value

    def amount(self, obj: Mapping[str, Any], key: str, fld: str | None) -> Decimal | None:
        value = self.number(obj, key, fld)
        if value is None:
            return None
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if amount != amount.quantize(CENT):
            self.problem(obj, key, fld, "form_places", key=key, got=show_value(value))
            return None
        return amount

    def iso_date(self, obj: Mapping[str, Any], key: str, fld: str | None) -> date | None:
        value = obj.get(key)
        if value is None:
            return None
        day = parse_date(value) if isinstance(value, str) else None
        if day is None:
            self.problem(obj, key, fld, "form_date", key=key, got=show_value(value))
        return day

    def ordered(
        self, obj: Mapping[str, Any], fld: str | None, low: tuple[str, Any], high: tuple[str, Any]
    ) -> bool:
        (low_key, low_value), (high_key, high_value) = low, high
        if low_value is not None and high_value is not None and low_value > high_value:
            self.problem(
                obj,
                low_key,
                fld,
                "form_order",
                low_key=low_key,
                low=obj[low_key],
                high_key=high_key,
                high=obj[high_key],
            )
            return False
        return True

    # -- form structure

    def form(self, data: Any, name: str) -> FormDefinition | None:
        if not isinstance(data, Mapping):
            self.problem(data, None, None, "form_not_object", got=show_value(data))
            return None
        self.check_duplicates(data, None)
        self.check_unknown_keys(data, (*_TOP_KEYS, "$schema"), None, "form_unknown_setting")
        title = self.localized_text(data, "title", None)
        description = None
        if "description" in data:
            description = self.localized_text(data, "description", None)
        raw_fields = data.get("fields")
        fields: list[FormField] = []
        if raw_fields is None:
            self.problem(data, None, None, "form_fields_required")
        elif not isinstance(raw_fields, list):
            self.problem(data, "fields", None, "form_fields_not_list", got=show_value(raw_fields))
        else:
            seen: dict[str, int | None] = {}
            for index, raw in enumerate(raw_fields):
                parsed = self.form_field(raw, index, seen)
                if parsed is not None:
                    fields.append(parsed)
        if self.problems or title is None:
            return None
        return FormDefinition(name=name, title=title, description=description, fields=fields)

    def field_key(
        self, raw: Mapping[str, Any], index: int, seen: dict[str, int | None]
    ) -> str | None:
        """Check the key; return it when usable to name the field in later messages."""
        position = f"#{index + 1}"
        key = raw.get("key")
        if key is None:
            self.problem(raw, None, position, "form_key_missing")
            return None
        if not isinstance(key, str):
            self.problem(raw, "key", position, "form_key_not_text", got=show_value(key))
            return None
        if not key.isidentifier():
            self.problem(raw, "key", position, "form_key_invalid", key=key)
            return None
        if key.startswith("_"):
            self.problem(raw, "key", key, "form_key_underscore")
        elif keyword.iskeyword(key):
            self.problem(raw, "key", key, "form_key_keyword")
        elif key in RESERVED_KEYS:
            self.problem(raw, "key", key, "form_key_reserved")
        if key in seen and seen[key] is not None:
            self.problem(raw, "key", key, "form_key_used_at", line=seen[key])
        elif key in seen:
            self.problem(raw, "key", key, "form_key_used")
        else:
            seen[key] = _line(raw)
        return key

    def form_field(self, raw: Any, index: int, seen: dict[str, int | None]) -> FormField | None:
        if not isinstance(raw, Mapping):
            self.problem(
                raw, None, None, "form_field_not_object", number=index + 1, got=show_value(raw)
            )
            return None
        before = len(self.problems)
        key = self.field_key(raw, index, seen)
        fld = key or f"#{index + 1}"  # how messages name the field (its position if no key)
        self.check_duplicates(raw, fld)

        kind = raw.get("type")
        if kind not in FIELD_TYPES:
            types = ", ".join(FIELD_TYPES)
            if kind is None:
                self.problem(raw, "type", fld, "form_type_missing", types=types)
            elif isinstance(kind, str):
                hint = _suggest(kind, FIELD_TYPES)
                self.problem(
                    raw, "type", fld, "form_type_unknown", type=kind, hint=hint, types=types
                )
            else:
                self.problem(
                    raw, "type", fld, "form_type_invalid", got=show_value(kind), types=types
                )
            kind = None
        else:
            allowed = _COMMON_KEYS + _TYPE_KEYS[kind]
            self.check_unknown_keys(raw, allowed, fld, "form_field_unknown_setting", type=kind)

        label = self.localized_text(raw, "label", fld)
        help_text = self.localized_text(raw, "help", fld) if "help" in raw else None
        required = self.boolean(raw, "required", fld)
        readonly = self.boolean(raw, "readonly", fld)
        if required and readonly:
            self.problem(raw, "readonly", fld, "form_readonly_required")
        if kind is None or label is None:
            return None

        settings: dict[str, Any] = {}
        if kind in ("text", "long_text"):
            settings = self.text_settings(raw, fld)
        elif kind in ("choice", "multi_choice"):
            settings = self.choice_settings(raw, fld, kind)
        elif kind == "number":
            settings = {
                "min": self.number(raw, "min", fld),
                "max": self.number(raw, "max", fld),
                "integer": self.boolean(raw, "integer", fld),
            }
            self.ordered(raw, fld, ("min", settings["min"]), ("max", settings["max"]))
        elif kind == "money":
            settings = {
                "min": self.amount(raw, "min", fld),
                "max": self.amount(raw, "max", fld),
                "currency": raw.get("currency", DEFAULT_CURRENCY),
            }
            self.ordered(raw, fld, ("min", settings["min"]), ("max", settings["max"]))
            currency = settings["currency"]
            if not isinstance(currency, str) or not CURRENCY_RE.fullmatch(currency):
                self.problem(raw, "currency", fld, "form_currency", got=show_value(currency))
        elif kind == "date":
            settings = {
                "min": self.iso_date(raw, "min", fld),
                "max": self.iso_date(raw, "max", fld),
            }
            self.ordered(raw, fld, ("min", settings["min"]), ("max", settings["max"]))
        elif kind == "file":
            settings = {
                "multiple": self.boolean(raw, "multiple", fld),
                "max_files": self.count(raw, "max_files", fld, low=1),
            }
            if settings["max_files"] is not None and not settings["multiple"]:
                self.problem(raw, "max_files", fld, "form_max_files_single")

        if len(self.problems) > before:
            return None
        form_field = FormField(
            key=key or "",
            type=kind,
            label=label,
            help=help_text,
            required=required,
            readonly=readonly,
            default=raw.get("default"),
            line=_line(raw),
            **settings,
        )
        self.check_default(raw, form_field)
        return form_field if len(self.problems) == before else None

    def text_settings(self, raw: Mapping[str, Any], fld: str | None) -> dict[str, Any]:
        min_length = self.count(raw, "min_length", fld)
        max_length = self.count(raw, "max_length", fld, low=1)
        self.ordered(raw, fld, ("min_length", min_length), ("max_length", max_length))
        pattern = raw.get("pattern")
        if pattern is not None:
            if not isinstance(pattern, str):
                self.problem(raw, "pattern", fld, "form_pattern_not_text", got=show_value(pattern))
                pattern = None
            else:
                try:
                    re.compile(pattern)
                except re.error as error:
                    self.problem(raw, "pattern", fld, "form_pattern_invalid", detail=error)
                    pattern = None
        return {"min_length": min_length, "max_length": max_length, "pattern": pattern}

    def choice_settings(self, raw: Mapping[str, Any], fld: str | None, kind: str) -> dict[str, Any]:
        settings: dict[str, Any] = {}
        raw_choices = raw.get("choices")
        choices: list[Choice] = []
        if not isinstance(raw_choices, list) or not raw_choices:
            self.problem(raw, "choices", fld, "form_choices", got=show_value(raw_choices))
        else:
            values: set[str] = set()
            for number, item in enumerate(raw_choices, start=1):
                where = _in_choice(number)
                if not isinstance(item, Mapping):
                    self.problem(raw, "choices", fld, "form_choice_not_object", choice=number)
                    continue
                self.check_duplicates(item, fld, where)
                self.check_unknown_keys(
                    item, ("value", "label"), fld, "form_choice_unknown_setting"
                )
                value = item.get("value")
                if not isinstance(value, str) or not value:
                    message = Wording("form_choice_value", got=show_value(value))
                    self.said(_line(item, "value"), fld, where(message))
                    value = None
                elif value in values:
                    self.problem(item, "value", fld, "form_choice_twice", value=value)
                else:
                    values.add(value)
                label = self.localized_text(item, "label", fld, where)
                if value is not None and label is not None:
                    choices.append(Choice(value, label))
        settings["choices"] = tuple(choices)
        if kind == "multi_choice":
            low = self.count(raw, "min_items", fld)
            high = self.count(raw, "max_items", fld, low=1)
            self.ordered(raw, fld, ("min_items", low), ("max_items", high))
            if low is not None and choices and low > len(choices):
                self.problem(
                    raw, "min_items", fld, "form_min_items_over", min=low, count=len(choices)
                )
            settings.update(min_items=low, max_items=high)
        return settings

    def check_default(self, raw: Mapping[str, Any], form_field: FormField) -> None:
        default = form_field.default
        if default is None or is_empty(default):
            return
        try:
            form_field.clean(default)
        except ValidationError as error:
            for reason in flatten_messages(error.messages):
                self.problem(
                    raw,
                    "default",
                    form_field.key,
                    "form_default_invalid",
                    value=show_value(default),
                    reason=reason,
                )


def _parse(source: str | bytes | Mapping[str, Any], name: str, file: str) -> FormDefinition:
    parser = _DefinitionParser(file)
    if isinstance(source, Mapping):
        data: Any = source
    else:
        if isinstance(source, bytes):
            try:
                source = source.decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise FormDefinitionError(
                    [FormProblem(file, None, None, Wording("form_not_utf8", reason=error.reason))]
                ) from None
        try:
            data = _decode_json_with_lines(source.removeprefix("\ufeff"))
        except json.JSONDecodeError as error:
            raise FormDefinitionError(
                [
                    FormProblem(
                        file,
                        error.lineno,
                        None,
                        Wording(
                            "form_json", line=error.lineno, column=error.colno, detail=error.msg
                        ),
                    )
                ]
            ) from None
        except RecursionError:
            raise FormDefinitionError(
                [FormProblem(file, None, None, Wording("form_json_too_deep"))]
            ) from None
    definition = parser.form(data, name)
    if definition is None:
        # read like the file: by line, problems without a line last (sort is stable)
        problems = sorted(parser.problems, key=lambda p: (p.line is None, p.line or 0))
        raise FormDefinitionError(problems)
    return definition


def parse_form_definition(source: str | bytes | Mapping[str, Any], name: str) -> FormDefinition:
    """Parse a definition from JSON text or an already-decoded mapping.

    ``name`` is the form's file name; problems are reported against it. Line
    numbers are only known when ``source`` is text.
    """
    return _parse(source, name, name)


def load_form_definition(path: str | Path) -> FormDefinition:
    """Read and parse a form file; the definition is named after the file name."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise FormDefinitionError(
            [FormProblem(str(path), None, None, Wording("form_unreadable", reason=reason))]
        ) from None
    return _parse(raw, path.name, str(path))
