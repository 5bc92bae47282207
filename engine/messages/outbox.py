"""The outbox: every message a process sends, rendered from a template and mailed by SMTP.

**Writing.** ``services._save`` turns each message a diagram throws into an ``OutboxMessage``
row through :func:`written_message`, in the same transaction as the step that threw it. The
row is rendered at once from the templates deployed with the process version
(``messages/<language>/<message name>.txt`` beside the diagrams), so the complaint file shows
exactly what goes out. A message that cannot be rendered is not lost: the row keeps its name
and payload, with status ``failed`` and the error.

**Who it is for** is the ``to`` of the message's payload:

- ``"customer"``: mailed to the complaint's ``customer_email``, in the customer's language
  (``language`` of the complaint: ``fr``, the default, or ``en``);
- any other value (``"team"``, ``"supervisor"``): an internal message, rendered in French and
  kept on the complaint file with status ``skipped`` (no team address is configured);
- no ``to``: the message is addressed to no one; it is kept as thrown, ``skipped``.

**Sending.** :func:`send_due` claims the rows that are due (a conditional UPDATE
pending → sending, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two senders never send the
same row), mails them through ``DOLEANCE_SMTP_URL`` and records each outcome: ``sent``, or a
new attempt after a growing delay, or ``failed`` after :data:`MAX_ATTEMPTS`. A claim left by
a sender that died expires after :data:`SENDING_TIMEOUT` and the row is sent again.

**Checking.** :func:`template_problems` is part of every validation and deployment: each
message a diagram sends to the customer needs a template in every language, each internal
one a French template, and every template must render with what the diagrams send.
"""

from __future__ import annotations

import ast
import email.policy
import email.utils
import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from jinja2 import StrictUndefined, TemplateError, UndefinedError, meta, pass_context
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from engine import clock
from engine.bpmn.workflow import BPMN_NS, Problem
from engine.config import Settings
from engine.db.models import Instance, OutboxMessage, ProcessVersion, User
from engine.db.session import Database, UnitOfWork
from engine.errors import DoleanceError, InvalidInput, NotAllowed, NotFound
from engine.problems import Wording
from engine.rules.policy import POLICY_FILE, PolicyError, parse_policy
from engine.trace import audit

logger = logging.getLogger(__name__)

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"  # the customer's language when none is known; internal messages
LANGUAGE_NAMES = {"fr": "French", "en": "English"}
MESSAGES_FOLDER = "messages"
MESSAGES_PREFIX = MESSAGES_FOLDER + "/"
CUSTOMER = "customer"

STATUSES = ("pending", "sending", "sent", "failed", "skipped")
MAX_ATTEMPTS = 8
#: Wait after the 1st, 2nd… failed attempt; the last delay repeats.
RETRY_DELAYS = tuple(timedelta(minutes=m) for m in (1, 5, 30, 120, 360, 720, 1440))
SENDING_TIMEOUT = timedelta(minutes=5)  # a row still "sending" after this is claimed again
SEND_INTERVAL_SECONDS = 5.0  # how often the schedulers look for due messages
SEND_BATCH = 20
SMTP_TIMEOUT_SECONDS = 20.0

#: Why a message was not mailed (stored in ``last_error`` of a skipped row), by code.
SKIP_REASONS = {
    "no_address": "the customer gave no e-mail address",
    "bad_address": "the customer's e-mail address is not valid",
    "internal": "internal message: kept on the complaint file, not e-mailed",
    "not_addressed": "the message names no recipient (no 'to' in its payload)",
}

_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
_AT = {"fr": "à", "en": "at"}
_SUBJECT_PREFIX = "Subject:"
_SUBJECT_LENGTH = 255  # the column's size
_SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_UNKNOWN_AUDIENCE = "?"  # ``to`` is computed: only known when the message is sent


class MessageTemplateError(DoleanceError):
    """A message could not be rendered: no template, a broken template, or unexpected data."""


class _RenderError(MessageTemplateError):
    """A template that does not render with the data it was given; ``detail`` says why."""

    def __init__(self, path: str, detail: str):
        super().__init__(f"{path}: {detail}")
        self.detail = detail


class OutboxError(DoleanceError):
    """Mail cannot be sent as configured (DOLEANCE_SMTP_URL, DOLEANCE_MAIL_FROM)."""


# --- templates --------------------------------------------------------------------------------


class _Sample:
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

    def __getattr__(self, name: str) -> _Sample:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Sample()

    def __getitem__(self, key: Any) -> _Sample:
        return _Sample()

    def __call__(self, *args: Any, **kwargs: Any) -> _Sample:
        return _Sample()

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return True


_SAMPLE_INSTANT = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("UTC"))


def _instant(value: Any, time_zone: str) -> datetime | date:
    """A payload date (ISO text, date or datetime) as a date or a local datetime."""
    if isinstance(value, _Sample):
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
    if isinstance(value, _Sample):
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
class _Template:
    path: str
    subject: Any  # jinja2.Template
    body: Any
    variables: frozenset[str]  # names it reads that it does not set itself


class _TemplateFileError(Exception):
    def __init__(self, line: int | None, message: Wording):
        super().__init__(message)
        self.line = line
        self.message = message


def _compile(path: str, text: str) -> _Template:
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
    return _Template(path, *compiled, frozenset(variables - set(_ENVIRONMENT.globals)))


class MessageTemplates:
    """The message templates of one deployment, compiled; ``problems`` lists broken files."""

    def __init__(self, files: Mapping[str, str]):
        self._templates: dict[tuple[str, str], _Template] = {}
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

    def get(self, name: str, language: str) -> _Template:
        path = template_path(name, language)
        if (language, name) in self._broken:
            raise MessageTemplateError(f"{path}: {self._broken[(language, name)]}")
        template = self._templates.get((language, name))
        if template is None:
            raise MessageTemplateError(
                f"no template for the message '{name}' in {LANGUAGE_NAMES[language]} ({path})"
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


# --- rendering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    body: str
    recipient: str | None  # None: nobody to mail it to (see ``skip_reason``)
    skip_reason: str | None  # a key of SKIP_REASONS when there is no recipient
    language: str


def audience_of(payload: Mapping[str, Any]) -> str | None:
    """Who a message is for: its payload's ``to`` ("customer", "team"…), None when unsaid."""
    to = payload.get("to")
    return to if isinstance(to, str) and to.strip() else None


def language_of(payload: Mapping[str, Any], summary: Mapping[str, Any]) -> str:
    """Customers read their complaint's language; internal messages are in French."""
    if audience_of(payload) != CUSTOMER:
        return DEFAULT_LANGUAGE
    language = summary.get("language")
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def organisation_name(templates: MessageTemplates, settings: Settings) -> str:
    """The policy's ``[publication] organisation``, else the name in DOLEANCE_MAIL_FROM."""
    display_name, address = email.utils.parseaddr(settings.mail_from)
    return templates.organisation or display_name or address


def render(
    templates: MessageTemplates,
    name: str,
    payload: Mapping[str, Any],
    summary: Mapping[str, Any],
    reference: str,
    settings: Settings,
    language: str,
) -> RenderedMessage:
    """Subject, body and recipient of one message; MessageTemplateError when it cannot be."""
    context = _context(
        payload,
        summary,
        reference,
        language,
        organisation=organisation_name(templates, settings),
        public_url=settings.public_url,
        time_zone=settings.time_zone,
    )
    subject, body = _render(templates.get(name, language), context)
    recipient, skip_reason = _recipient(payload, summary)
    return RenderedMessage(subject, body, recipient, skip_reason, language)


def _context(
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


def _render(template: _Template, context: Mapping[str, Any]) -> tuple[str, str]:
    try:
        subject = " ".join(template.subject.render(context).split())
        body = template.body.render(context)
    except (TemplateError, ValueError, TypeError, LookupError, ArithmeticError) as exc:
        raise _RenderError(template.path, _describe(exc)) from exc
    if not subject:
        raise _RenderError(template.path, Wording("template_empty_subject"))
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


def _recipient(
    payload: Mapping[str, Any], summary: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    """(address, None), or (None, why nobody gets it)."""
    audience = audience_of(payload)
    if audience is None:
        return None, "not_addressed"
    if audience != CUSTOMER:
        return None, "internal"
    given = payload.get("customer_email") or summary.get("customer_email")
    if not isinstance(given, str) or not given.strip():
        return None, "no_address"
    address = given.strip()
    if email.utils.parseaddr(address)[1] != address or "@" not in address:
        return None, "bad_address"
    return address, None


def written_message(
    instance: Instance,
    name: str,
    payload: Mapping[str, Any],
    summary: Mapping[str, Any],
    settings: Settings,
    now: datetime,
) -> OutboxMessage:
    """The outbox row for a message the process just threw, rendered and ready to send.

    It is ``pending`` when it has someone to go to, ``skipped`` with the reason when it has
    not, and ``failed`` with the error when it could not be rendered (name and payload kept).
    """
    language = language_of(payload, summary)
    row = OutboxMessage(
        instance_id=instance.id,
        name=name,
        payload=dict(payload),
        language=language,
        status="pending",
        attempts=0,
        created_at=now,
    )
    if audience_of(payload) is None:
        row.status, row.last_error = "skipped", SKIP_REASONS["not_addressed"]
        return row
    _fill(row, instance, summary, settings, templates_of(instance.process_version))
    return row


def _fill(
    row: OutboxMessage,
    instance: Instance,
    summary: Mapping[str, Any],
    settings: Settings,
    templates: MessageTemplates,
) -> None:
    """Render ``row`` and set its status: pending, skipped (nobody to send to) or failed."""
    try:
        rendered = render(
            templates, row.name, row.payload, summary, instance.reference, settings, row.language
        )
    except MessageTemplateError as exc:
        logger.warning("message %s of %s not rendered: %s", row.name, instance.reference, exc)
        row.status, row.last_error = "failed", f"could not be rendered: {exc}"
        return
    row.subject, row.body, row.recipient = rendered.subject, rendered.body, rendered.recipient
    if rendered.skip_reason:
        row.status, row.last_error = "skipped", SKIP_REASONS[rendered.skip_reason]
    else:
        row.status, row.last_error = "pending", None


# --- checking templates against the diagrams ------------------------------------------------------


@dataclass(frozen=True)
class ThrownMessage:
    """A place where a diagram sends a message, and what it sends."""

    file: str
    line: int | None
    element_id: str
    name: str
    audience: str | None  # the payload's constant "to"; "?" when computed; None when absent
    payload: dict | None  # constants as written, computed values as samples; None: not a dict


def thrown_messages(files: Mapping[str, str]) -> list[ThrownMessage]:
    """Every message the diagrams throw (intermediate or end events, send tasks), in order."""
    found = []
    for file_name, text in sorted(files.items()):
        if not file_name.endswith(".bpmn"):
            continue
        try:
            root = etree.fromstring(text.encode("utf-8"))
        except etree.XMLSyntaxError:
            continue  # the diagram checks report it
        found.extend(_thrown_in(file_name, root))
    return found


def _thrown_in(file_name: str, root) -> Iterable[ThrownMessage]:
    bpmn = f"{{{BPMN_NS}}}"
    messages = {m.get("id"): m for m in root.iter(f"{bpmn}message")}
    throwing = root.iter(f"{bpmn}intermediateThrowEvent", f"{bpmn}endEvent", f"{bpmn}sendTask")
    for element in throwing:
        carriers = element.findall(f"{bpmn}messageEventDefinition")
        if element.get("messageRef"):
            carriers.append(element)
        for carrier in carriers:
            message = messages.get(carrier.get("messageRef"))
            if message is None or not message.get("name"):
                continue  # the diagram checks report a dangling reference
            expression = _payload_expression(message) or _payload_expression(carrier)
            audience, payload = _payload_sample(expression)
            yield ThrownMessage(
                file_name,
                element.sourceline,
                element.get("id") or "",
                message.get("name"),
                audience,
                payload,
            )


def _payload_expression(node) -> str | None:
    found = node.find(f".//{{{_SPIFF_NS}}}messagePayload")
    return found.text if found is not None and found.text else None


def _payload_sample(expression: str | None) -> tuple[str | None, dict | None]:
    """(audience, sample payload) read from a payload expression without running it."""
    if expression is None:
        return None, {}
    try:
        tree = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return _UNKNOWN_AUDIENCE, None  # the diagram checks report it
    if not isinstance(tree, ast.Dict) or not all(
        isinstance(key, ast.Constant) and isinstance(key.value, str) for key in tree.keys
    ):
        return _UNKNOWN_AUDIENCE, None
    payload = {}
    for key, value in zip(tree.keys, tree.values, strict=True):
        try:
            payload[key.value] = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError):
            payload[key.value] = _Sample()
    to = payload.get("to")
    if "to" not in payload:
        return None, payload
    return (to if isinstance(to, str) else _UNKNOWN_AUDIENCE), payload


def template_problems(files: Mapping[str, str]) -> list[Problem]:
    """Broken templates, and messages the diagrams send without a template that renders."""
    templates = MessageTemplates(files)
    problems = list(templates.problems)
    by_name: dict[str, list[ThrownMessage]] = {}
    for thrown in thrown_messages(files):
        if thrown.audience is not None:
            by_name.setdefault(thrown.name, []).append(thrown)
    for name, throws in by_name.items():
        for language in _languages_needed(throws):
            if not templates.has(name, language):
                problems.append(_missing_template(name, language, throws[0]))
                continue
            try:
                template = templates.get(name, language)
            except MessageTemplateError:
                continue  # already reported with its file
            problems.extend(_render_problems(template, name, language, throws, templates))
    return problems


def _languages_needed(throws: list[ThrownMessage]) -> tuple[str, ...]:
    internal_only = all(t.audience not in (CUSTOMER, _UNKNOWN_AUDIENCE) for t in throws)
    return (DEFAULT_LANGUAGE,) if internal_only else LANGUAGES


def _missing_template(name: str, language: str, thrown: ThrownMessage) -> Problem:
    for_customer = thrown.audience in (CUSTOMER, _UNKNOWN_AUDIENCE)
    return Problem.of(
        "template_missing",
        thrown.file,
        thrown.line,
        name,
        language=Wording(f"language_{language}"),
        element=thrown.element_id,
        audience=Wording("audience_customer" if for_customer else "audience_team"),
        path=template_path(name, language),
    )


def _render_problems(
    template: _Template,
    name: str,
    language: str,
    throws: list[ThrownMessage],
    templates: MessageTemplates,
) -> list[Problem]:
    """Render once per kind of payload the diagrams send; report names no diagram sends."""
    problems = []
    sample_summary = {"customer_name": "Camille Martin", "customer_email": "camille@example.org"}
    tried: set[frozenset[str]] = set()
    for thrown in throws:
        if thrown.payload is None or frozenset(thrown.payload) in tried:
            continue
        tried.add(frozenset(thrown.payload))
        context = _context(
            thrown.payload,
            sample_summary,
            "REC-2026-000001",
            language,
            organisation=templates.organisation or "Doléance",
            public_url="https://reclamations.example.org",
            time_zone="Europe/Paris",
        )
        try:
            _render(template, context)
        except _RenderError as exc:
            problems.append(
                Problem.of(
                    "template_render",
                    template.path,
                    None,
                    name,
                    element=thrown.element_id,
                    file=thrown.file,
                    detail=exc.detail,
                )
            )
    if all(t.payload is not None for t in throws):
        sent = set(BASE_VARIABLES).union(*(t.payload for t in throws))
        unknown = sorted(template.variables - sent)
        if unknown:
            problems.append(
                Problem.of(
                    "template_unknown_names",
                    template.path,
                    None,
                    name,
                    names=", ".join(unknown),
                    sent=", ".join(sorted(sent - set(BASE_VARIABLES))),
                )
            )
    return problems


# --- what screens show -------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageView:
    id: int
    reference: str
    name: str
    audience: str | None  # "customer", "team", "supervisor"… (the payload's "to")
    language: str
    recipient: str | None
    subject: str | None
    body: str | None
    status: str  # pending, sending, sent, failed, skipped
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    mail_configured: bool  # False: pending messages wait for DOLEANCE_SMTP_URL
    payload: dict  # what the diagram sent (shown when the message could not be rendered)

    @property
    def skip_reason(self) -> str | None:
        """Why a skipped message was not mailed, as a key of SKIP_REASONS."""
        if self.status != "skipped":
            return None
        return next((code for code, text in SKIP_REASONS.items() if text == self.last_error), None)

    @property
    def retryable(self) -> bool:
        return self.status == "failed"


def _view(row: OutboxMessage, reference: str, mail_configured: bool) -> MessageView:
    return MessageView(
        row.id,
        reference,
        row.name,
        audience_of(row.payload or {}),
        row.language,
        row.recipient,
        row.subject,
        row.body,
        row.status,
        row.attempts,
        row.next_attempt_at,
        row.last_error,
        row.created_at,
        row.sent_at,
        mail_configured,
        dict(row.payload or {}),
    )


def messages_for(reference: str, uow: UnitOfWork) -> list[MessageView]:
    """A complaint's messages, oldest first."""
    with uow:
        instance_id = uow.session.scalar(select(Instance.id).where(Instance.reference == reference))
        if instance_id is None:
            raise NotFound(f"no complaint with reference '{reference}'")
        return instance_messages(uow.session, instance_id, reference, uow.settings)


def instance_messages(
    session: Session, instance_id: int, reference: str, settings: Settings
) -> list[MessageView]:
    """The messages of one instance, oldest first, inside the caller's transaction."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.instance_id == instance_id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    configured = bool(settings.smtp_url)
    return [_view(row, reference, configured) for row in rows]


def list_messages(
    uow: UnitOfWork, status: str | None = None, limit: int = 50, offset: int = 0
) -> list[MessageView]:
    """Every complaint's messages, newest first, optionally with one status."""
    with uow:
        query = (
            select(OutboxMessage, Instance.reference)
            .join(Instance, Instance.id == OutboxMessage.instance_id)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if status is not None:
            query = query.where(OutboxMessage.status == _checked_status(status))
        configured = bool(uow.settings.smtp_url)
        return [_view(row, ref, configured) for row, ref in uow.session.execute(query)]


def count_by_status(uow: UnitOfWork) -> dict[str, int]:
    """How many messages have each status (every status listed, zeros included)."""
    with uow:
        counts = dict(
            uow.session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
    return {status: counts.get(status, 0) for status in STATUSES}


def _checked_status(status: str) -> str:
    if status not in STATUSES:
        raise InvalidInput(
            f"unknown message status '{status}'; known: {', '.join(STATUSES)}",
            {"status": ["unknown status"]},
        )
    return status


def retry_message(message_id: int, actor: str, uow: UnitOfWork) -> MessageView:
    """A supervisor sends a failed message again at the next pass (re-rendered if it never was).

    A message that could not be rendered is rendered with the templates of the newest
    deployed version, so a corrected template can be deployed and the message retried.
    """
    with uow:
        session = uow.session
        user = session.get(User, actor)
        if user is None or not user.active or not {"supervisor", "admin"} & set(user.roles):
            raise NotAllowed("only a supervisor can send a message again")
        row = session.get(OutboxMessage, message_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no message {message_id} in the outbox")
        instance = session.scalar(
            select(Instance).where(Instance.id == row.instance_id).with_for_update(of=Instance)
        )
        if row.status != "failed":
            raise NotAllowed(
                f"message {message_id} is {row.status}: only a failed message can be sent again"
            )
        if row.body is None:
            newest = session.scalar(select(ProcessVersion).order_by(ProcessVersion.number.desc()))
            _fill(row, instance, instance.summary or {}, uow.settings, templates_of(newest))
            if row.status == "failed":
                raise InvalidInput(f"message {message_id} still {row.last_error}")
        else:
            row.status = "pending"
        row.next_attempt_at = None
        audit.append(
            session,
            instance,
            "message_retried",
            actor,
            element_name=row.name,
            data={"message_id": row.id, "message": row.name, "status": row.status},
        )
        view = _view(row, instance.reference, bool(uow.settings.smtp_url))
        uow.commit()
        return view


# --- sending -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpServer:
    """Where mail goes, from DOLEANCE_SMTP_URL: ``smtp://user:password@host:port`` (STARTTLS
    when the server offers it) or ``smtps://…`` (TLS from the start)."""

    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise OutboxError(
                f"DOLEANCE_SMTP_URL must look like smtp://user:password@host:port or "
                f"smtps://host:port, not '{_without_password(url)}'"
            )
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError as exc:
            raise OutboxError(f"DOLEANCE_SMTP_URL has an invalid port: {exc}") from exc
        return cls(
            parts.hostname,
            port,
            parts.scheme == "smtps",
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None,
        )

    def __str__(self) -> str:
        return f"{'smtps' if self.tls else 'smtp'}://{self.host}:{self.port}"


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


@dataclass(frozen=True)
class _Claimed:
    id: int
    reference: str
    name: str
    recipient: str | None
    subject: str | None
    body: str | None
    language: str
    reply_to: str | None


@dataclass(frozen=True)
class _Failure:
    error: str
    permanent: bool = False


def send_due(
    uow_factory: Callable[[], UnitOfWork], settings: Settings, limit: int = SEND_BATCH
) -> list[MessageView]:
    """Mail the messages that are due, at most ``limit``; returns each one's new state.

    Does nothing without DOLEANCE_SMTP_URL (messages stay pending). OutboxError when the
    mail settings are unusable.
    """
    if not settings.smtp_url:
        return []
    server = SmtpServer.from_url(settings.smtp_url)
    sender = _sender_address(settings.mail_from)
    claimed = _claim_due(uow_factory, limit)
    results = []
    with _Mailer(server) as mailer:
        for message in claimed:
            if message.recipient is None:
                result = _record(uow_factory, message, None, skipped=True)
            elif message.body is None:
                never = _Failure("the message was never rendered", permanent=True)
                result = _record(uow_factory, message, never)
            else:
                mail = _email(message, settings.mail_from, sender)
                result = _record(uow_factory, message, mailer.send(mail, sender, message.recipient))
            if result is not None:
                results.append(result)
    return results


def _sender_address(mail_from: str) -> str:
    address = email.utils.parseaddr(mail_from)[1]
    if "@" not in address:
        raise OutboxError(
            f"DOLEANCE_MAIL_FROM must be an e-mail address such as "
            f"'Service réclamations <reclamations@example.org>', not '{mail_from}'"
        )
    return address


def _due(now: datetime):
    """Pending and due, or left "sending" by a sender that stopped before recording it."""
    return or_(
        and_(
            OutboxMessage.status == "pending",
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        ),
        and_(OutboxMessage.status == "sending", OutboxMessage.next_attempt_at <= now),
    )


def _claim_due(uow_factory: Callable[[], UnitOfWork], limit: int) -> list[_Claimed]:
    now = clock.now()
    with uow_factory() as uow:
        chosen = dict(
            uow.session.execute(
                select(OutboxMessage.id, Instance.reference)
                .join(Instance, Instance.id == OutboxMessage.instance_id)
                .where(_due(now))
                .order_by(OutboxMessage.id)
                .limit(limit)
                .with_for_update(of=OutboxMessage, skip_locked=True)
            ).all()
        )
        if not chosen:
            return []
        rows = uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(chosen), _due(now))
            .values(status="sending", next_attempt_at=now + SENDING_TIMEOUT)
            .returning(
                OutboxMessage.id,
                OutboxMessage.name,
                OutboxMessage.recipient,
                OutboxMessage.subject,
                OutboxMessage.body,
                OutboxMessage.language,
                OutboxMessage.payload,
            ),
            execution_options={"synchronize_session": False},
        ).all()
        uow.commit()
    claimed = [
        _Claimed(
            row.id,
            chosen[row.id],
            row.name,
            row.recipient,
            row.subject,
            row.body,
            row.language,
            _reply_to(row.payload or {}),
        )
        for row in rows
    ]
    return sorted(claimed, key=lambda m: m.id)


def _reply_to(payload: Mapping[str, Any]) -> str | None:
    """A payload may say where answers should go: ``"reply_to": "recours@example.org"``."""
    value = payload.get("reply_to")
    if isinstance(value, str) and email.utils.parseaddr(value)[1] == value.strip() and "@" in value:
        return value.strip()
    return None


def _email(message: _Claimed, mail_from: str, sender: str) -> EmailMessage:
    mail = EmailMessage(policy=email.policy.SMTP)
    mail["From"] = mail_from
    mail["To"] = message.recipient
    mail["Subject"] = message.subject or ""
    mail["Date"] = email.utils.format_datetime(clock.now())
    # The same id on every attempt, so a mail server or reader can drop a duplicate.
    mail["Message-ID"] = f"<{message.reference}.{message.id}@{sender.rpartition('@')[2]}>"
    if message.reply_to:
        mail["Reply-To"] = message.reply_to
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies stay away
    mail.set_content(message.body, charset="utf-8")
    mail["Content-Language"] = message.language  # after set_content, which resets Content-*
    return mail


class _Mailer:
    """One SMTP connection for a batch, opened at the first message and reopened if lost."""

    def __init__(self, server: SmtpServer):
        self.server = server
        self._smtp: smtplib.SMTP | None = None
        self._unreachable: str | None = None  # once the server cannot be reached, stop trying

    def __enter__(self) -> _Mailer:
        return self

    def __exit__(self, *exc_info) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def send(self, mail: EmailMessage, sender: str, recipient: str) -> _Failure | None:
        if self._unreachable is not None:
            return _Failure(self._unreachable)
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except (smtplib.SMTPException, OSError) as exc:
                self._unreachable = f"cannot use the mail server {self.server}: {_smtp_error(exc)}"
                return _Failure(self._unreachable)
        try:
            self._smtp.send_message(mail, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            return _Failure(_smtp_error(exc), permanent=all(code >= 500 for code in codes))
        except smtplib.SMTPResponseException as exc:
            return _Failure(_smtp_error(exc))
        except (smtplib.SMTPException, OSError) as exc:
            self._smtp.close()
            self._smtp = None  # the next message reconnects
            return _Failure(_smtp_error(exc))
        return None

    def _connect(self) -> smtplib.SMTP:
        server, name = self.server, socket.gethostname()
        if server.tls:
            smtp = smtplib.SMTP_SSL(
                server.host,
                server.port,
                local_hostname=name,
                timeout=SMTP_TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(
                server.host, server.port, local_hostname=name, timeout=SMTP_TIMEOUT_SECONDS
            )
        try:
            smtp.ehlo()
            if not server.tls and smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if server.username:
                smtp.login(server.username, server.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _smtp_error(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(
            f"{address}: {code} {_text(reply)}" for address, (code, reply) in exc.recipients.items()
        )
        return f"the mail server refused the recipient ({refused})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the mail server answered {exc.smtp_code} {_text(exc.smtp_error)}"
    return str(exc) or type(exc).__name__


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _record(
    uow_factory: Callable[[], UnitOfWork],
    message: _Claimed,
    failure: _Failure | None,
    skipped: bool = False,
) -> MessageView | None:
    """Write down what one attempt did: sent, skipped, another try later, or failed."""
    now = clock.now()
    with uow_factory() as uow:
        row = uow.session.get(OutboxMessage, message.id, with_for_update=True)
        if row is None:
            return None  # its complaint was deleted meanwhile
        if skipped:
            row.status, row.last_error = "skipped", SKIP_REASONS["no_address"]
            row.next_attempt_at = None
        elif failure is None:
            row.attempts += 1
            row.status, row.sent_at, row.last_error, row.next_attempt_at = "sent", now, None, None
        else:
            row.attempts += 1
            row.last_error = failure.error
            if failure.permanent or row.attempts >= MAX_ATTEMPTS:
                row.status, row.next_attempt_at = "failed", None
            else:
                delay = RETRY_DELAYS[min(row.attempts, len(RETRY_DELAYS)) - 1]
                row.status, row.next_attempt_at = "pending", now + delay
        view = _view(row, message.reference, mail_configured=True)
        uow.commit()
    return view


_reported_settings_error: list[str] = []  # said once, not at every pass


def send_pass(database: Database) -> list[MessageView]:
    """One scheduler pass: send what is due, log one line per message; never raises."""
    try:
        results = send_due(database.unit_of_work, database.settings)
    except OutboxError as exc:
        if str(exc) not in _reported_settings_error:
            _reported_settings_error.append(str(exc))
            logger.error("messages are not sent: %s", exc)
        return []
    except Exception:  # a database or mail hiccup must not stop the scheduler
        logger.exception("messages not sent this time")
        return []
    for result in results:
        logger.log(
            logging.WARNING if result.status in ("pending", "failed") else logging.INFO,
            "%s",
            describe_delivery(result),
        )
    return results


def describe_delivery(view: MessageView) -> str:
    """One line on what happened to a message, for logs and the command line."""
    head = f"{view.reference} #{view.id} {view.name} to {view.recipient or '-'}"
    if view.status == "sent":
        return f"{head}: sent"
    if view.status == "pending":
        when = view.next_attempt_at.isoformat(timespec="seconds") if view.next_attempt_at else "-"
        return (
            f"{head}: not sent (attempt {view.attempts} of {MAX_ATTEMPTS}, next at {when}): "
            f"{view.last_error}"
        )
    if view.status == "failed":
        return f"{head}: failed after {view.attempts} attempt(s): {view.last_error}"
    return f"{head}: {view.status}: {view.last_error or ''}".rstrip(": ")
