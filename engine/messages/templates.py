"""Message templates: ``messages/<language>/<name>.txt`` beside the diagrams, compiled once per
deployed version.

A template is ``Subject: …``, a blank line, then the body; both are Jinja templates rendered in
a sandbox with the message's payload and a few variables every message has
(:data:`BASE_VARIABLES`), and the filters ``date``, ``datetime`` and ``amount`` that write dates
and amounts the way the reader's language does, in the organisation's time zone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from jinja2 import StrictUndefined, TemplateError, UndefinedError, meta, pass_context
from jinja2.sandbox import SandboxedEnvironment

from engine import clock
from engine.config import LANGUAGES
from engine.db.models import ProcessVersion
from engine.errors import DoleanceError
from engine.problems import Problem, Wording
from engine.rules.policy import POLICY_FILE, PolicyError, parse_policy

MESSAGES_FOLDER = "messages"
MESSAGES_PREFIX = MESSAGES_FOLDER + "/"

_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
_AT = {"fr": "à", "en": "at"}
_SUBJECT_PREFIX = "Subject:"
_SUBJECT_LENGTH = 255  # the column's size


class MessageTemplateError(DoleanceError):
    """A message could not be rendered: no template, a broken template, or unexpected data."""


class TemplateRenderError(MessageTemplateError):
    """A template that does not render with the data it was given; ``detail`` says why."""

    def __init__(self, path: str, detail: str):
        super().__init__(f"{path}: {detail}")
        self.detail = detail


class Sample:
    """Stands for a value a diagram computes, when templates are checked before it runs.

    It prints as "…", has every attribute and item (samples again), is true, and iterates
    over nothing; the date and amount filters format it as a sample date and number.
    """

    # What Jinja asks of a callable before calling it: a plain, harmless function.
    unsafe_callable = False
    alters_data = False
    jinja_pass_arg = None

    def __str__(self) -> str:
        return "…"

    def __getattr__(self, name: str) -> Sample:
        if name.startswith("__"):
            raise AttributeError(name)
        return Sample()

    def __getitem__(self, key: Any) -> Sample:
        return Sample()

    def __call__(self, *args: Any, **kwargs: Any) -> Sample:
        return Sample()

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return True


_SAMPLE_INSTANT = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("UTC"))


def _instant(value: Any, time_zone: str) -> datetime | date:
    """A payload date (ISO text, date or datetime) as a date or a local datetime."""
    if isinstance(value, Sample):
        value = _SAMPLE_INSTANT
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"'{value}' is not a date") from exc
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))
        return aware.astimezone(ZoneInfo(time_zone))
    if isinstance(value, date):
        return value
    raise ValueError(f"{value!r} is not a date")


@pass_context
def _date_filter(context, value: Any) -> str:
    """``23 novembre 2026`` / ``23 November 2026``, in the organisation's time zone."""
    instant = _instant(value, context["time_zone"])
    day = instant.date() if isinstance(instant, datetime) else instant
    return format_date(day, "long", locale=_LOCALES[context["language"]])


@pass_context
def _datetime_filter(context, value: Any) -> str:
    """``23 novembre 2026 à 10:30`` / ``23 November 2026 at 10:30``."""
    instant = _instant(value, context["time_zone"])
    if not isinstance(instant, datetime):
        return _date_filter(context, instant)
    language = context["language"]
    day = format_date(instant.date(), "long", locale=_LOCALES[language])
    hour = format_time(instant.time(), "HH:mm", locale=_LOCALES[language])
    return f"{day} {_AT[language]} {hour}"


@pass_context
def _amount_filter(context, value: Any) -> str:
    """``1 234,50`` / ``1,234.50``; empty when the value is not a number."""
    if isinstance(value, Sample):
        value = "123.45"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return ""
    if not number.is_finite():
        return ""
    return format_decimal(number, format="#,##0.00", locale=_LOCALES[context["language"]])


_ENVIRONMENT = SandboxedEnvironment(
    undefined=StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


_ENVIRONMENT.filters.update(date=_date_filter, datetime=_datetime_filter, amount=_amount_filter)


#: The variables every template has besides the payload (these win over payload keys).
BASE_VARIABLES = (
    "reference",
    "summary",
    "customer_name",
    "organisation",
    "public_url",
    "language",
    "time_zone",
    "written_at",
)


@dataclass(frozen=True)
class Template:
    path: str
    subject: Any  # jinja2.Template
    body: Any
    variables: frozenset[str]  # names it reads that it does not set itself


class _TemplateFileError(Exception):
    def __init__(self, line: int | None, message: Wording):
        super().__init__(message)
        self.line = line
        self.message = message


def _compile(path: str, text: str) -> Template:
    """Parse ``Subject: …``, a blank line, then the body; both are Jinja templates."""
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    first, _, rest = text.partition("\n")
    if not first.startswith(_SUBJECT_PREFIX):
        raise _TemplateFileError(1, Wording("template_subject_line"))
    blank, _, body = rest.partition("\n")
    if blank.strip():
        raise _TemplateFileError(2, Wording("template_second_line"))
    if not body.strip():
        raise _TemplateFileError(3, Wording("template_empty_body"))
    subject = first[len(_SUBJECT_PREFIX) :].strip()
    variables: set[str] = set()
    compiled = []
    for source, first_line in ((subject, 1), (body, 3)):
        try:
            variables |= meta.find_undeclared_variables(_ENVIRONMENT.parse(source))
            compiled.append(_ENVIRONMENT.from_string(source))  # checks filters and tests too
        except TemplateError as exc:
            line = getattr(exc, "lineno", None)
            where = first_line + line - 1 if line else None
            raise _TemplateFileError(where, Wording("template_error", detail=exc.message)) from exc
    return Template(path, *compiled, frozenset(variables - set(_ENVIRONMENT.globals)))


class MessageTemplates:
    """The message templates of one deployment, compiled; ``problems`` lists broken files."""

    def __init__(self, files: Mapping[str, str]):
        self._templates: dict[tuple[str, str], Template] = {}
        self._broken: dict[tuple[str, str], str] = {}
        self.problems: list[Problem] = []
        for path, text in sorted(files.items()):
            if path.startswith(MESSAGES_PREFIX):
                self._add(path, text)
        self.organisation = _published_organisation(files)

    def _add(self, path: str, text: str) -> None:
        language, _, file_name = path[len(MESSAGES_PREFIX) :].partition("/")
        name = file_name.removesuffix(".txt")
        if "/" in file_name or not file_name.endswith(".txt") or not name:
            self.problems.append(
                Problem.of("template_misplaced", path, None, None, folder=MESSAGES_PREFIX)
            )
            return
        if language not in LANGUAGES:
            known = ", ".join(LANGUAGES)
            self.problems.append(
                Problem.of("template_language", path, None, name, language=language, known=known)
            )
            return
        try:
            self._templates[(language, name)] = _compile(path, text)
        except _TemplateFileError as exc:
            self._broken[(language, name)] = exc.message
            self.problems.append(Problem(path, exc.line, name, exc.message))

    def has(self, name: str, language: str) -> bool:
        return (language, name) in self._templates or (language, name) in self._broken

    def get(self, name: str, language: str) -> Template:
        path = template_path(name, language)
        if (language, name) in self._broken:
            raise MessageTemplateError(f"{path}: {self._broken[(language, name)]}")
        template = self._templates.get((language, name))
        if template is None:
            in_language = Locale.parse(language).get_display_name("en")
            raise MessageTemplateError(
                f"no template for the message '{name}' in {in_language} ({path})"
            )
        return template


def template_path(name: str, language: str) -> str:
    return f"{MESSAGES_PREFIX}{language}/{name}.txt"


def _published_organisation(files: Mapping[str, str]) -> str | None:
    """The organisation's name as the deployed policy publishes it (``[publication]``)."""
    text = files.get(POLICY_FILE)
    if not text:
        return None
    try:
        publication = parse_policy(text).values.get("publication", {})
    except PolicyError:
        return None
    name = publication.get("organisation") if isinstance(publication, Mapping) else None
    if not isinstance(name, str) or not name.strip():
        return None
    return name.strip()


def read_templates(messages_dir: Path) -> dict[str, str]:
    """The template files of a ``messages/`` folder, by deployment name (``messages/fr/x.txt``)."""
    if not messages_dir.is_dir():
        return {}
    return {
        f"{MESSAGES_PREFIX}{folder.name}/{path.name}": path.read_text(encoding="utf-8")
        for folder in sorted(messages_dir.iterdir())
        if folder.is_dir()
        for path in sorted(folder.glob("*.txt"))
    }


_TEMPLATES_CACHE: dict[str, MessageTemplates] = {}


def templates_of(version: ProcessVersion) -> MessageTemplates:
    """The templates deployed with a version, compiled once per process."""
    if version.content_hash not in _TEMPLATES_CACHE:
        _TEMPLATES_CACHE[version.content_hash] = MessageTemplates(version.files)
    return _TEMPLATES_CACHE[version.content_hash]


def template_context(
    payload: Mapping[str, Any],
    summary: Mapping[str, Any],
    reference: str,
    language: str,
    organisation: str,
    public_url: str,
    time_zone: str,
) -> dict[str, Any]:
    summary = dict(summary or {})
    base = {
        "reference": reference,
        "summary": summary,
        "customer_name": payload.get("customer_name") or summary.get("customer_name"),
        "organisation": organisation,
        "public_url": public_url,
        "language": language,
        "time_zone": time_zone,
        "written_at": clock.now(),
    }
    return {**payload, **base}


def render_parts(template: Template, context: Mapping[str, Any]) -> tuple[str, str]:
    try:
        subject = " ".join(template.subject.render(context).split())
        body = template.body.render(context)
    except (TemplateError, ValueError, TypeError, LookupError, ArithmeticError) as exc:
        raise TemplateRenderError(template.path, _describe(exc)) from exc
    if not subject:
        raise TemplateRenderError(template.path, Wording("template_empty_subject"))
    if len(subject) > _SUBJECT_LENGTH:
        subject = subject[: _SUBJECT_LENGTH - 1] + "…"
    return subject, body.strip("\n") + "\n"


_UNDEFINED = re.compile(r"'(\w+)' is undefined")


def _describe(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    undefined = _UNDEFINED.fullmatch(message) if isinstance(exc, UndefinedError) else None
    if undefined:  # the usual mistake: a name the data does not hold
        return Wording("template_undefined", name=undefined[1])
    return message if isinstance(exc, TemplateError | ValueError) else f"{message!r}"
