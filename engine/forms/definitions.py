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

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from marshmallow import Schema, ValidationError

from engine.errors import DeploymentError, InvalidInput
from engine.forms.values import (
    CLEANERS,
    MESSAGES,
    ErrorMessage,
    SubmissionSchema,
    SubmittedField,
    is_empty,
)

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


#: Field keys the workflow engine reserves (``typename`` marks serialized objects).
RESERVED_KEYS: frozenset[str] = frozenset({"typename"})


DEFAULT_CURRENCY = "EUR"


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
        return CLEANERS[self.type](self, value)


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
        declared = {f"f{i}": SubmittedField(f) for i, f in enumerate(self.fields)}
        class_name = re.sub(r"\W", "_", self.name) + "Schema"
        return SubmissionSchema.from_dict(declared, name=class_name)

    @cached_property
    def shared_schema(self) -> Schema:
        """One schema instance for every validation of this form (marshmallow's are reusable)."""
        return self.schema_class()

    def schema(self) -> Schema:
        """A fresh instance of the cached :attr:`schema_class`."""
        return self.schema_class()

    @cached_property
    def _defaults(self) -> dict[str, Any]:
        return {
            f.key: f.clean(f.default)
            for f in self.fields
            if f.has_default and not is_empty(f.default)
        }

    def defaults(self) -> dict[str, Any]:
        """Cleaned default values for prefilling; empty defaults are left out."""
        return {k: list(v) if isinstance(v, list) else v for k, v in self._defaults.items()}


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


class FormDefinitionError(DeploymentError):
    """A form definition file is unusable; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: Iterable[FormProblem]) -> None:
        found = list(problems)
        super().__init__(f"{len(found)} problem(s) in form definition", found)
        self.problems: list[FormProblem] = found

    def __str__(self) -> str:
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} in form definition:"
        return "\n".join([header, *(f"  {problem}" for problem in self.problems)])


class FormValidationError(InvalidInput):
    """A submission was refused; ``errors`` maps each field key to its messages.

    Errors not tied to a field (e.g. the submission is not a mapping) are under
    ``"_schema"`` — no field key can start with ``_``.
    """

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        by_field = {key: list(msgs) for key, msgs in errors.items()}
        super().__init__(f"the form has errors in: {', '.join(sorted(by_field))}", by_field)

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
        return definition.shared_schema.load(data)
    except ValidationError as error:
        messages = error.messages
        if not isinstance(messages, dict):  # pragma: no cover - schema errors are dicts
            messages = {"_schema": messages}
        raise FormValidationError(messages) from None


__all__ = [  # with the submission messages, defined in engine.forms.values
    "FIELD_TYPES",
    "MESSAGES",
    "Choice",
    "ErrorMessage",
    "FormDefinition",
    "FormDefinitionError",
    "FormField",
    "FormProblem",
    "FormValidationError",
    "localized",
    "validate_submission",
]
