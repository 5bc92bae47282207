"""How things read on screen: dates, time left, and stored codes in words.

Codes stored in complaints (category ``billing``, channel ``phone``…) read with the labels of
the forms that ask for them, in the reader's language; a few values no form offers (the
``web`` channel, priorities, closure reasons) have their words in :mod:`webui.words`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_babel import gettext as _
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from engine import clock
from engine.forms import FormDefinition, FormField, localized
from engine.services import DEFAULT_PRIORITY_LEVELS
from engine.services.documents import ALLOWED_TYPES
from webui.i18n import current_language
from webui.words import (
    CLOCK_NAMES,
    CLOCK_STATES,
    OTHER_VALUES,
    PRIORITY_WORDS,
    ROLE_LABELS,
    SAME_VALUES_AS,
    STATUS_LABELS,
    SUMMARY_LABELS,
    TIMER_STATES,
)

DUE_SOON = timedelta(days=2)


def register(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters.update(
        when=when,
        day=day,
        time_left=time_left,
        due_class=due_class,
        label=label,
        size=file_size,
        status_label=lambda s: STATUS_LABELS.get(s, s),
        timer_state=lambda s: TIMER_STATES.get(s, s),
        clock_state=lambda s: CLOCK_STATES.get(s, s),
        clock_name=lambda s: CLOCK_NAMES.get(s, s),
        role_label=lambda s: ROLE_LABELS.get(s, s),
    )
    app.jinja_env.globals.update(
        UPLOAD_ACCEPT=",".join(sorted(set(ALLOWED_TYPES.values()))),
        UPLOAD_LIMIT_MB=f"{app.config['DOLEANCE_SETTINGS'].max_upload_bytes / 1024**2:g}",
    )


# --- dates and durations ---------------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DOLEANCE_TIME_ZONE"])


def when(instant: datetime | None) -> str:
    """``23/11/2026 10:00`` in the organisation's time zone; a dash when there is none."""
    return instant.astimezone(_zone()).strftime("%d/%m/%Y %H:%M") if instant else "—"


def day(value: date) -> str:
    """``23/11/2026``: a date without a time, as :func:`when` writes it."""
    return value.strftime("%d/%m/%Y")


def on(instant: datetime) -> str:
    """``23/11/2026 à 10:00``, to follow « le » in a sentence."""
    local = instant.astimezone(_zone())
    return _("%(date)s à %(time)s", date=local.strftime("%d/%m/%Y"), time=local.strftime("%H:%M"))


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d j %(hours)d h", days=days, hours=hours)
    if hours:
        return _("%(hours)d h %(minutes)02d", hours=hours, minutes=minutes)
    return _("%(minutes)d min", minutes=minutes)


def clock_time(instant: datetime) -> str:
    """``10:15:30`` in the organisation's time zone."""
    return instant.astimezone(_zone()).strftime("%H:%M:%S")


def how_long(seconds: int) -> str:
    """« 30 s », « 2 min », « 1 h 05 »: a short wait in words."""
    if seconds < 60:
        return _("%(seconds)d s", seconds=seconds)
    return _duration(timedelta(seconds=seconds))


def time_left(due: datetime | None) -> str:
    if due is None:
        return ""
    left = due - clock.now()
    if left < timedelta(0):
        return _("en retard de %(duration)s", duration=_duration(-left))
    return _("reste %(duration)s", duration=_duration(left))


def due_class(due: datetime | None) -> str:
    """The CSS class of a due date: overdue, due soon (under two days) or fine."""
    if due is None:
        return "due-none"
    left = due - clock.now()
    if left < timedelta(0):
        return "due-overdue"
    return "due-soon" if left < DUE_SOON else "due-ok"


def file_size(size: int) -> str:
    if size < 1024 * 1024:
        return _("%(size)s Ko", size=max(1, round(size / 1024)))
    return _("%(size)s Mo", size=f"{size / (1024 * 1024):.1f}")


def label(texts: dict | None) -> str:
    """A text of a form or diagram in the reader's language (French when it has no other)."""
    return localized(texts, current_language())


# --- the words for stored codes ------------------------------------------------------------------


class Vocabulary:
    """Labels of fields and of their values, from a set of forms (first form naming a key wins)."""

    def __init__(
        self,
        forms: Mapping[str, FormDefinition] | Iterable[FormDefinition],
        priority_levels: Iterable[str] = DEFAULT_PRIORITY_LEVELS,
    ):
        definitions = forms.values() if isinstance(forms, Mapping) else forms
        self.fields: dict[str, FormField] = {}
        for form in definitions:
            for f in form.fields:
                self.fields.setdefault(f.key, f)
        self.priority_levels = list(priority_levels)

    def field(self, key: str) -> str:
        f = self.fields.get(key)
        if f is not None:
            return localized(f.label, current_language())
        return str(SUMMARY_LABELS.get(key, key))

    def knows(self, key: str) -> bool:
        return key in self.fields or key in SUMMARY_LABELS

    def value(self, key: str, value: Any) -> str:
        """``billing`` → « Facturation », ``True`` → « Oui », ``high`` priority → « P2 (haute) »."""
        if value is None or value == "" or value == []:
            return "—"
        if isinstance(value, list | tuple):
            return ", ".join(self.value(key, item) for item in value)
        if isinstance(value, bool):
            return _("Oui") if value else _("Non")
        if key == "priority":
            return self.priority(value)
        f = self.fields.get(key)
        if f is not None:
            for choice in f.choices:
                if choice.value == value:
                    return localized(choice.label, current_language())
        other = OTHER_VALUES.get(key, {}).get(value)
        return str(other) if other is not None else str(value)

    def priority(self, level: Any) -> str:
        """``P1`` is the highest level of the policy's list, with its word when it has one."""
        if level not in self.priority_levels:
            return str(level)
        rank = len(self.priority_levels) - self.priority_levels.index(level)
        word = PRIORITY_WORDS.get(level)
        return f"P{rank} ({word})" if word else f"P{rank}"

    def facts(self, data: Mapping[str, Any], keys: Iterable[str]) -> list[tuple[str, str]]:
        """(label, value) of the ``keys`` that ``data`` has a value for, in that order."""
        return [
            (self.field(key), self.value(key, data[key]))
            for key in keys
            if data.get(key) not in (None, "", [])
        ]

    def outcome(self, complaint) -> str:
        """How an (earlier) complaint ended, or where it stands."""
        summary = complaint.summary or {}
        if complaint.status != "completed":
            return complaint.stage or str(STATUS_LABELS.get(complaint.status, complaint.status))
        parts = [
            self.value(key, summary[key])
            for key in ("closure_reason", "remedy")
            if summary.get(key)
        ]
        return " ; ".join(parts) or str(STATUS_LABELS["completed"])


# --- instructions of a task ----------------------------------------------------------------------

_INSTRUCTIONS = SandboxedEnvironment(autoescape=True, trim_blocks=True)


def instructions(template: str | None, data: Mapping[str, Any], vocabulary: Vocabulary) -> Markup:
    """A task's instructions (a template over its data, as the diagram has them), filled in.

    Codes read as words and dates as dates, also inside lists and records (a customer's
    earlier complaints); a template the sandbox refuses shows as written.
    """
    if not template:
        return Markup("")
    readable = {key: _readable(key, value, vocabulary) for key, value in data.items()}
    try:
        return Markup(_INSTRUCTIONS.from_string(template).render(readable).strip())
    except TemplateError:
        return Markup.escape(template)


def _readable(key: str, value: Any, vocabulary: Vocabulary) -> Any:
    """``value`` of the process data ``key`` as a person reads it (see :func:`instructions`)."""
    if isinstance(value, Mapping):
        return {k: _readable(k, v, vocabulary) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_readable(key, item, vocabulary) for item in value]
    if not isinstance(value, str):
        return value
    instant = _iso_instant(value)
    if instant is not None:
        return when(instant) if isinstance(instant, datetime) else day(instant)
    field = SAME_VALUES_AS.get(key, key)
    if field == "priority" or field in vocabulary.fields or field in OTHER_VALUES:
        return vocabulary.value(field, value)
    return value


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?")


def _iso_instant(text: str) -> date | datetime | None:
    """The date or instant an ISO 8601 text (as the engine stores them) stands for, or None."""
    try:
        if _ISO_DAY.fullmatch(text):
            return date.fromisoformat(text)
        if _ISO_INSTANT.fullmatch(text):
            instant = datetime.fromisoformat(text)
            return instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    except ValueError:  # 2026-13-45
        return None
    return None
