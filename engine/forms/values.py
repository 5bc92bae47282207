"""Submitted values, field type by field type: checked and converted (a number, an amount, a
date, a choice, an attachment id…), and refused with an :class:`ErrorMessage` that a screen
can word in its reader's language; the marshmallow glue that applies them to a form."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, ValidationError, missing
from marshmallow import fields as ma_fields

from engine.problems import Wording

if TYPE_CHECKING:
    from engine.forms.definitions import FormField


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


def is_empty(value: Any) -> bool:
    """True for what an HTML form sends when nothing was entered."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple)):
        return not value
    return False


def show_value(value: Any) -> str:
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


CENT = Decimal("0.01")


_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


_AMOUNT_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


# An attachment id: the UUID engine.runtime.documents gives each upload (or a 64-hex content id).
_ATTACHMENT_RE = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|[0-9a-f]{64}")


CURRENCY_RE = re.compile(r"[A-Z]{3}")


_YES = frozenset({"yes", "true", "on", "oui", "1"})


_NO = frozenset({"no", "false", "off", "non", "0"})


_MAX_MAGNITUDE = 60  # decimal exponent; refuses "1e999999999" before int() chokes on it


def invalid(code: str, **params: Any) -> ValidationError:
    return ValidationError([ErrorMessage(code, **params)])


def _to_decimal(value: Any, code: str, pattern: re.Pattern[str]) -> Decimal:
    """Read a JSON/HTML number (int, float, Decimal or numeric string) as a finite Decimal."""
    if isinstance(value, bool):
        raise invalid(code)
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise invalid(code)
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str) and pattern.fullmatch(value.strip()):
        number = Decimal(value.strip())
    else:
        raise invalid(code)
    if not number.is_finite() or number.adjusted() > _MAX_MAGNITUDE:
        raise invalid(code)
    return number


def parse_date(value: Any) -> date | None:
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
        raise invalid(low, min=show(f.min))
    if f.max is not None and value > f.max:
        raise invalid(high, max=show(f.max))


def _clean_text(f: FormField, value: Any) -> str:
    if not isinstance(value, str):
        raise invalid("text")
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
        raise invalid("choice")
    return value


def _clean_multi_choice(f: FormField, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise invalid("choice_list")
    if any(v not in f.choice_values for v in value):
        raise invalid("choice")
    chosen = set(value)
    result = [c.value for c in f.choices if c.value in chosen]
    if f.min_items is not None and len(result) < f.min_items:
        raise invalid("min_items", min=f.min_items)
    if f.max_items is not None and len(result) > f.max_items:
        raise invalid("max_items", max=f.max_items)
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
    raise invalid("yes_no")


def _clean_number(f: FormField, value: Any) -> int | float:
    number = _to_decimal(value, "number", _NUMBER_RE)
    result: int | float
    if f.integer:
        if number != number.to_integral_value():
            raise invalid("integer")
        result = int(number)
    else:
        result = float(number)
    _check_range(f, result, "min_value", "max_value")
    return result


def _clean_money(f: FormField, value: Any) -> Decimal:
    amount = _to_decimal(value, "money", _AMOUNT_RE)
    try:
        cents = amount.quantize(CENT)
    except InvalidOperation:
        raise invalid("money") from None
    if cents != amount:
        raise invalid("money_places")
    if cents.is_zero():
        cents = cents.copy_abs()  # no "-0.00"
    _check_range(f, cents, "min_value", "max_value")
    return cents


def _clean_date(f: FormField, value: Any) -> date:
    day = parse_date(value)
    if day is None:
        raise invalid("date")
    _check_range(f, day, "min_date", "max_date", show=date.isoformat)
    return day


def _attachment_id(value: Any) -> str:
    if not isinstance(value, str) or not _ATTACHMENT_RE.fullmatch(value):
        raise invalid("file")
    return value


def _clean_file(f: FormField, value: Any) -> str | list[str]:
    if not f.multiple:
        if isinstance(value, (list, tuple)):
            raise invalid("file_single")
        return _attachment_id(value)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise invalid("file_list")
    ids = list(dict.fromkeys(_attachment_id(v) for v in value))
    if f.max_files is not None and len(ids) > f.max_files:
        raise invalid("max_files", max=f.max_files)
    return ids


CLEANERS: dict[str, Callable[[FormField, Any], Any]] = {
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


class SubmittedField(ma_fields.Field):
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
        if value is not missing and is_empty(value):
            value = missing  # an empty optional input is simply not stored
        if value is not missing and self.form_field.readonly:
            raise invalid("readonly")
        return super().deserialize(value, attr, data, **kwargs)

    def _validate_missing(self, value: Any) -> None:
        if value is missing and self.required:
            raise invalid("required")

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        return self.form_field.clean(value)


class SubmissionSchema(Schema):
    """Base of the generated per-form schemas; unknown keys are refused (RAISE)."""

    error_messages = {  # noqa: RUF012 - marshmallow's own class-level override hook
        "unknown": ErrorMessage("unknown"),
        "type": ErrorMessage("invalid_input"),
    }


def flatten_messages(messages: Any) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, Mapping):
        return [m for value in messages.values() for m in flatten_messages(value)]
    return [m for value in messages for m in flatten_messages(value)]
