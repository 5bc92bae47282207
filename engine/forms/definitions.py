"""User-task forms: loading JSON form definitions and validating submissions.

A form definition is a JSON file in ``forms/`` (referenced from BPMN by file name)
describing the fields a user fills in for one user task. This module

* parses and checks a definition, reporting *every* problem of a file at once in
  words a process owner understands (:class:`FormDefinitionError`);
* turns a definition into a marshmallow schema (built once per definition) that
  validates a submission and converts it to Python values (:func:`validate_submission`).

Value types after validation:

=============  =================================================================
text           ``str`` (surrounding whitespace stripped)
long_text      ``str`` (surrounding whitespace stripped, ``\\r\\n`` -> ``\\n``)
choice         ``str`` (one of the choice values)
multi_choice   ``list[str]`` (in the order of the definition, no duplicates)
yes_no         ``bool``
number         ``int`` when ``integer`` is true, else ``float``
money          ``Decimal`` quantized to 0.01
date           ``datetime.date``
file           ``str`` attachment id, or ``list[str]`` when ``multiple``
=============  =================================================================

Submission error messages are plain English built from :data:`MESSAGES`; each one is an
:class:`ErrorMessage` (a ``str``) that also carries its ``code`` and ``params`` so a
UI can render it in another language with :meth:`ErrorMessage.translate`. Problems of a
definition are worded from :data:`engine.problems.MESSAGES` (``form_…`` codes) the same way.
"""

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
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, missing
from marshmallow import fields as ma_fields

from engine.problems import Wording

__all__ = [
    "FIELD_TYPES",
    "MESSAGES",
    "Choice",
    "ErrorMessage",
    "FormDefinition",
    "FormDefinitionError",
    "FormField",
    "FormProblem",
    "FormValidationError",
    "load_form_definition",
    "localized",
    "parse_form_definition",
    "validate_submission",
]

FIELD_TYPES: tuple[str, ...] = (
    "text",
    "long_text",
    "choice",
    "multi_choice",
    "yes_no",
    "number",
    "money",
    "date",
    "file",
)

#: Languages every label, title, help and description must provide.
REQUIRED_LANGUAGES: tuple[str, ...] = ("fr", "en")

#: Field keys the workflow engine reserves (``typename`` marks serialized objects).
RESERVED_KEYS: frozenset[str] = frozenset({"typename"})

DEFAULT_CURRENCY = "EUR"

# --------------------------------------------------------------------------- messages

#: Templates of every submission error message, keyed by code. Placeholders are
#: filled with :meth:`str.format`; a UI may supply translated templates with the
#: same codes and placeholders (see :meth:`ErrorMessage.translate`).
MESSAGES: dict[str, str] = {
    "required": "This field is required.",
    "unknown": "Unknown field.",
    "readonly": "This field is read-only and cannot be submitted.",
    "invalid_input": "The submission must be a set of named fields.",
    "text": "Not a valid text.",
    "min_length": "Must be at least {min} characters long.",
    "max_length": "Must be at most {max} characters long.",
    "pattern": "Does not have the expected format.",
    "choice": "Not one of the allowed choices.",
    "choice_list": "Not a valid list of choices.",
    "min_items": "Select at least {min} option(s).",
    "max_items": "Select at most {max} option(s).",
    "yes_no": "Not a valid yes/no answer.",
    "number": "Not a valid number.",
    "integer": "Must be a whole number.",
    "min_value": "Must be at least {min}.",
    "max_value": "Must be at most {max}.",
    "money": "Not a valid amount.",
    "money_places": "Must have at most 2 decimal places.",
    "date": "Not a valid date (expected YYYY-MM-DD).",
    "min_date": "Must be on or after {min}.",
    "max_date": "Must be on or before {max}.",
    "file": "Not a valid attachment reference.",
    "file_list": "Not a valid list of attachments.",
    "file_single": "Only one file is allowed.",
    "max_files": "At most {max} file(s) are allowed.",
}


class ErrorMessage(Wording):
    """An English submission error message, worded from :data:`MESSAGES` by ``code``."""

    templates = MESSAGES

    def translate(self, templates: Mapping[str, str]) -> str:
        """Render with ``templates[code]``; fall back to the English text."""
        template = templates.get(self.code)
        return str(self) if template is None else template.format(**self.params)


# --------------------------------------------------------------------------- helpers


def localized(mapping: Mapping[str, str] | None, lang: str, fallback: str = "fr") -> str:
    """Pick the text for ``lang`` ("fr-CA" also tries "fr"), else ``fallback``, else any."""
    if not mapping:
        return ""
    candidates = [lang, lang.split("-")[0].split("_")[0], fallback]
    for candidate in candidates:
        text = mapping.get(candidate)
        if text:
            return text
    return next((text for text in mapping.values() if text), "")


def _is_empty(value: Any) -> bool:
    """True for what an HTML form sends when nothing was entered."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple)):
        return not value
    return False


def _show(value: Any) -> str:
    """Render a definition value for a problem message, in JSON vocabulary."""
    if value == []:
        return Wording("json_empty_list")
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, Mapping):
        return Wording("json_object")
    if isinstance(value, list):
        return Wording("json_list")
    return repr(value)


# --------------------------------------------------------------------------- value cleaning

_CENT = Decimal("0.01")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_AMOUNT_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
# An attachment id: the UUID engine.runtime.documents gives each upload (or a 64-hex content id).
_ATTACHMENT_RE = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|[0-9a-f]{64}")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
_YES = frozenset({"yes", "true", "on", "oui", "1"})
_NO = frozenset({"no", "false", "off", "non", "0"})
_MAX_MAGNITUDE = 60  # decimal exponent; refuses "1e999999999" before int() chokes on it


def _invalid(code: str, **params: Any) -> ValidationError:
    return ValidationError([ErrorMessage(code, **params)])


def _to_decimal(value: Any, code: str, pattern: re.Pattern[str]) -> Decimal:
    """Read a JSON/HTML number (int, float, Decimal or numeric string) as a finite Decimal."""
    if isinstance(value, bool):
        raise _invalid(code)
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _invalid(code)
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str) and pattern.fullmatch(value.strip()):
        number = Decimal(value.strip())
    else:
        raise _invalid(code)
    if not number.is_finite() or number.adjusted() > _MAX_MAGNITUDE:
        raise _invalid(code)
    return number


def _parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):  # a timestamp is not a calendar date
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE_RE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _check_range(f: FormField, value: Any, low: str, high: str, show: Any = str) -> None:
    if f.min is not None and value < f.min:
        raise _invalid(low, min=show(f.min))
    if f.max is not None and value > f.max:
        raise _invalid(high, max=show(f.max))


def _clean_text(f: FormField, value: Any) -> str:
    if not isinstance(value, str):
        raise _invalid("text")
    text = value.strip()
    if f.type == "long_text":
        text = text.replace("\r\n", "\n")
    errors: list[ErrorMessage] = []
    if f.min_length is not None and len(text) < f.min_length:
        errors.append(ErrorMessage("min_length", min=f.min_length))
    if f.max_length is not None and len(text) > f.max_length:
        errors.append(ErrorMessage("max_length", max=f.max_length))
    if f.compiled_pattern is not None and not f.compiled_pattern.fullmatch(text):
        errors.append(ErrorMessage("pattern"))
    if errors:
        raise ValidationError(errors)
    return text


def _clean_choice(f: FormField, value: Any) -> str:
    if not isinstance(value, str) or value not in f.choice_values:
        raise _invalid("choice")
    return value


def _clean_multi_choice(f: FormField, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise _invalid("choice_list")
    if any(v not in f.choice_values for v in value):
        raise _invalid("choice")
    chosen = set(value)
    result = [c.value for c in f.choices if c.value in chosen]
    if f.min_items is not None and len(result) < f.min_items:
        raise _invalid("min_items", min=f.min_items)
    if f.max_items is not None and len(result) > f.max_items:
        raise _invalid("max_items", max=f.max_items)
    return result


def _clean_yes_no(f: FormField, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
    raise _invalid("yes_no")


def _clean_number(f: FormField, value: Any) -> int | float:
    number = _to_decimal(value, "number", _NUMBER_RE)
    result: int | float
    if f.integer:
        if number != number.to_integral_value():
            raise _invalid("integer")
        result = int(number)
    else:
        result = float(number)
    _check_range(f, result, "min_value", "max_value")
    return result


def _clean_money(f: FormField, value: Any) -> Decimal:
    amount = _to_decimal(value, "money", _AMOUNT_RE)
    try:
        cents = amount.quantize(_CENT)
    except InvalidOperation:
        raise _invalid("money") from None
    if cents != amount:
        raise _invalid("money_places")
    if cents.is_zero():
        cents = cents.copy_abs()  # no "-0.00"
    _check_range(f, cents, "min_value", "max_value")
    return cents


def _clean_date(f: FormField, value: Any) -> date:
    day = _parse_date(value)
    if day is None:
        raise _invalid("date")
    _check_range(f, day, "min_date", "max_date", show=date.isoformat)
    return day


def _attachment_id(value: Any) -> str:
    if not isinstance(value, str) or not _ATTACHMENT_RE.fullmatch(value):
        raise _invalid("file")
    return value


def _clean_file(f: FormField, value: Any) -> str | list[str]:
    if not f.multiple:
        if isinstance(value, (list, tuple)):
            raise _invalid("file_single")
        return _attachment_id(value)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise _invalid("file_list")
    ids = list(dict.fromkeys(_attachment_id(v) for v in value))
    if f.max_files is not None and len(ids) > f.max_files:
        raise _invalid("max_files", max=f.max_files)
    return ids


_CLEANERS: dict[str, Callable[[FormField, Any], Any]] = {
    "text": _clean_text,
    "long_text": _clean_text,
    "choice": _clean_choice,
    "multi_choice": _clean_multi_choice,
    "yes_no": _clean_yes_no,
    "number": _clean_number,
    "money": _clean_money,
    "date": _clean_date,
    "file": _clean_file,
}

# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Choice:
    """One option of a choice / multi_choice field."""

    value: str
    label: dict[str, str]


@dataclass(frozen=True)
class FormField:
    """One field of a form. Constraints not relevant to ``type`` stay ``None``.

    ``min``/``max`` are ``int | float`` for number, ``Decimal`` for money and
    ``date`` for date fields. ``default`` is kept as written in the file (``None``
    means no default); see :meth:`FormDefinition.defaults` for cleaned values.
    """

    key: str
    type: str
    label: dict[str, str]
    help: dict[str, str] | None = None
    required: bool = False
    readonly: bool = False
    default: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    min: int | float | Decimal | date | None = None
    max: int | float | Decimal | date | None = None
    integer: bool = False
    currency: str | None = None
    choices: tuple[Choice, ...] = ()
    min_items: int | None = None
    max_items: int | None = None
    multiple: bool = False
    max_files: int | None = None
    line: int | None = field(default=None, compare=False)

    @cached_property
    def compiled_pattern(self) -> re.Pattern[str] | None:
        """``pattern`` compiled once; it must match the whole (stripped) text."""
        return None if self.pattern is None else re.compile(self.pattern)

    @cached_property
    def choice_values(self) -> frozenset[str]:
        return frozenset(choice.value for choice in self.choices)

    @property
    def has_default(self) -> bool:
        return self.default is not None

    def clean(self, value: Any) -> Any:
        """Convert and check one non-empty submitted value; raise ``ValidationError``.

        Required/read-only/empty handling is the schema's job, not this method's.
        """
        return _CLEANERS[self.type](self, value)


class _SubmittedField(ma_fields.Field):
    """Marshmallow field delegating to :meth:`FormField.clean`."""

    def __init__(self, form_field: FormField) -> None:
        super().__init__(
            required=form_field.required, data_key=form_field.key, attribute=form_field.key
        )
        self.form_field = form_field

    def deserialize(
        self,
        value: Any,
        attr: str | None = None,
        data: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        if value is not missing and _is_empty(value):
            value = missing  # an empty optional input is simply not stored
        if value is not missing and self.form_field.readonly:
            raise _invalid("readonly")
        return super().deserialize(value, attr, data, **kwargs)

    def _validate_missing(self, value: Any) -> None:
        if value is missing and self.required:
            raise _invalid("required")

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        return self.form_field.clean(value)


class _SubmissionSchema(Schema):
    """Base of the generated per-form schemas; unknown keys are refused (RAISE)."""

    error_messages = {  # noqa: RUF012 - marshmallow's own class-level override hook
        "unknown": ErrorMessage("unknown"),
        "type": ErrorMessage("invalid_input"),
    }


@dataclass(frozen=True)
class FormDefinition:
    """A parsed, checked form. ``name`` is the file name used by BPMN to refer to it."""

    name: str
    title: dict[str, str]
    description: dict[str, str] | None = None
    fields: tuple[FormField, ...] = ()
    _by_key: dict[str, FormField] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", tuple(self.fields))
        object.__setattr__(self, "_by_key", {f.key: f for f in self.fields})

    def field(self, key: str) -> FormField:
        """The field named ``key``; ``KeyError`` if the form has none."""
        try:
            return self._by_key[key]
        except KeyError:
            raise KeyError(f"form {self.name!r} has no field {key!r}") from None

    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    @cached_property
    def schema_class(self) -> type[Schema]:
        """The marshmallow schema class for submissions, built once per definition.

        Schema attributes are named ``f0``, ``f1``… (keys are bound through
        ``data_key``/``attribute``) so a key such as ``load`` or ``Meta`` cannot
        shadow the schema's own members.
        """
        declared = {f"f{i}": _SubmittedField(f) for i, f in enumerate(self.fields)}
        class_name = re.sub(r"\W", "_", self.name) + "Schema"
        return _SubmissionSchema.from_dict(declared, name=class_name)

    @cached_property
    def _shared_schema(self) -> Schema:
        return self.schema_class()

    def schema(self) -> Schema:
        """A fresh instance of the cached :attr:`schema_class`."""
        return self.schema_class()

    @cached_property
    def _defaults(self) -> dict[str, Any]:
        return {
            f.key: f.clean(f.default)
            for f in self.fields
            if f.has_default and not _is_empty(f.default)
        }

    def defaults(self) -> dict[str, Any]:
        """Cleaned default values for prefilling; empty defaults are left out."""
        return {k: list(v) if isinstance(v, list) else v for k, v in self._defaults.items()}


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class FormProblem:
    """One problem in a form definition file; its ``message`` is a :class:`Wording`."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = self.message if self.field is None else f"field '{self.field}': {self.message}"
        return f"{where}: {what}"


class FormDefinitionError(Exception):
    """A form definition file is unusable; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: Iterable[FormProblem]) -> None:
        self.problems: list[FormProblem] = list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} in form definition:"
        return "\n".join([header, *(f"  {problem}" for problem in self.problems)])


class FormValidationError(Exception):
    """A submission was refused; ``errors`` maps each field key to its messages.

    Errors not tied to a field (e.g. the submission is not a mapping) are under
    ``"_schema"`` — no field key can start with ``_``.
    """

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors: dict[str, list[str]] = {key: list(msgs) for key, msgs in errors.items()}
        super().__init__(self.errors)

    def __str__(self) -> str:
        lines = [f"  {key}: {' '.join(msgs)}" for key, msgs in self.errors.items()]
        return "\n".join(["Invalid submission:", *lines])


def validate_submission(definition: FormDefinition, data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``data`` against ``definition`` and return the cleaned values.

    Only submitted, non-empty values are returned: defaults are not filled in.
    Multi-valued HTML inputs must be passed as lists (e.g. ``MultiDict.to_dict(flat=False)``
    for those keys).
    """
    try:
        return definition._shared_schema.load(data)
    except ValidationError as error:
        messages = error.messages
        if not isinstance(messages, dict):  # pragma: no cover - schema errors are dicts
            messages = {"_schema": messages}
        raise FormValidationError(messages) from None


# --------------------------------------------------------------------------- JSON with lines


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


# --------------------------------------------------------------------------- definition parsing

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
            message = Wording("form_text_not_object", setting=key, got=_show(value))
            self.said(_line(obj, key), fld, where(message))
            return None
        ok = True
        for lang, text in value.items():
            if not isinstance(text, str) or not text.strip():
                message = Wording("form_text_empty", setting=key, language=lang)
                self.said(_line(value, lang), fld, where(message))
                ok = False
        for lang in REQUIRED_LANGUAGES:
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
            self.problem(obj, key, fld, "form_boolean", key=key, got=_show(value))
            return False
        return value

    def count(self, obj: Mapping[str, Any], key: str, fld: str | None, low: int = 0) -> int | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            self.problem(obj, key, fld, "form_count", key=key, low=low, got=_show(value))
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
            self.problem(obj, key, fld, "form_number", key=key, got=_show(value))
            return None
        return value

    def amount(self, obj: Mapping[str, Any], key: str, fld: str | None) -> Decimal | None:
        value = self.number(obj, key, fld)
        if value is None:
            return None
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if amount != amount.quantize(_CENT):
            self.problem(obj, key, fld, "form_places", key=key, got=_show(value))
            return None
        return amount

    def iso_date(self, obj: Mapping[str, Any], key: str, fld: str | None) -> date | None:
        value = obj.get(key)
        if value is None:
            return None
        day = _parse_date(value) if isinstance(value, str) else None
        if day is None:
            self.problem(obj, key, fld, "form_date", key=key, got=_show(value))
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
            self.problem(data, None, None, "form_not_object", got=_show(data))
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
            self.problem(data, "fields", None, "form_fields_not_list", got=_show(raw_fields))
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
            self.problem(raw, "key", position, "form_key_not_text", got=_show(key))
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
            self.problem(raw, None, None, "form_field_not_object", number=index + 1, got=_show(raw))
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
                self.problem(raw, "type", fld, "form_type_invalid", got=_show(kind), types=types)
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
            if not isinstance(currency, str) or not _CURRENCY_RE.fullmatch(currency):
                self.problem(raw, "currency", fld, "form_currency", got=_show(currency))
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
                self.problem(raw, "pattern", fld, "form_pattern_not_text", got=_show(pattern))
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
            self.problem(raw, "choices", fld, "form_choices", got=_show(raw_choices))
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
                    message = Wording("form_choice_value", got=_show(value))
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
        if default is None or _is_empty(default):
            return
        try:
            form_field.clean(default)
        except ValidationError as error:
            for reason in _flatten(error.messages):
                self.problem(
                    raw,
                    "default",
                    form_field.key,
                    "form_default_invalid",
                    value=_show(default),
                    reason=reason,
                )


def _flatten(messages: Any) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, Mapping):
        return [m for value in messages.values() for m in _flatten(value)]
    return [m for value in messages for m in _flatten(value)]


# --------------------------------------------------------------------------- entry points


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
