"""How things read on screen: dates, time left, the words for stored codes, the timeline.

Codes stored in complaints (category ``billing``, channel ``phone``…) read with the labels of
the forms that ask for them, in the reader's language; a few values no form offers (the
``web`` channel, priorities, closure reasons) have their words here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from engine import clock
from engine.bpmn.domain_helpers import COMPLAINT_PROCESS, DEFAULT_PRIORITY_LEVELS
from engine.forms.definitions import FormDefinition, FormField, localized
from engine.runtime.documents import ALLOWED_TYPES
from webui.i18n import DEFAULT_LANGUAGE, LANGUAGES, current_language

DUE_SOON = timedelta(days=2)
#: Kept for modules not yet switched to the reader's language: use ``current_language()``.
LANGUAGE = DEFAULT_LANGUAGE

SUMMARY_LABELS = {
    "customer_name": _l("Client"),
    "customer_email": _l("Courriel"),
    "category": _l("Catégorie"),
    "product": _l("Produit"),
    "priority": _l("Priorité"),
    "kind": _l("Nature"),
    "channel": _l("Canal"),
    "subject": _l("Objet"),
    "team": _l("Équipe"),
    "remedy": _l("Réponse décidée"),
    "closure_reason": _l("Motif de clôture"),
    "language": _l("Langue du client"),
}
ROLE_LABELS = {
    "agent": _l("Agent"),
    "supervisor": _l("Superviseur"),
    "quality": _l("Qualité"),
    "process_owner": _l("Propriétaire de processus"),
    "auditor": _l("Auditeur"),
    "admin": _l("Administrateur"),
}
STATUS_LABELS = {"running": _l("En cours"), "completed": _l("Terminé"), "error": _l("En erreur")}
TIMER_STATES = {
    "pending": _l("En attente"),
    "firing": _l("En cours de déclenchement"),
    "fired": _l("Échu"),
    "cancelled": _l("Annulé"),
}
CLOCK_STATES = {
    "running": _l("En cours"),
    "due_soon": _l("Échéance proche"),
    "breached": _l("Dépassé"),
    "met": _l("Respecté"),
}
CLOCK_NAMES = {
    "acknowledgement": _l("Accusé de réception"),
    "answer": _l("Réponse au client"),
    "internal_sla": _l("Délai interne de décision"),
    "checkin_reminder": _l("Relance du questionnaire"),
    "checkin_silence": _l("Fin d'attente de l'avis du client"),
    "effectiveness_check": _l("Contrôle d'efficacité"),
    "progress_update": _l("Point d'avancement"),
}
PRIORITY_WORDS = {
    "critical": _l("critique"),
    "high": _l("haute"),
    "normal": _l("normale"),
    "low": _l("basse"),
}
#: Values that no form offers as a choice, by field.
OTHER_VALUES = {
    "channel": {"web": _l("Formulaire web")},
    "language": LANGUAGES,
    "team": {  # the teams routing.dmn sends complaints to
        "billing": _l("Facturation"),
        "logistics": _l("Logistique"),
        "quality": _l("Qualité produit"),
        "contracts": _l("Contrats"),
        "data_protection": _l("Protection des données"),
        "customer_service": _l("Service client"),
    },
    "trigger": {  # why a corrective action was opened (evaluation.bpmn)
        "critical": _l("réclamation critique"),
        "recurrence": _l("réclamations récurrentes"),
    },
    "closure_reason": {
        "satisfied": _l("client satisfait"),
        "unsatisfied": _l("client non satisfait"),
        "no_reply": _l("sans réponse du client"),
        "final_position": _l("position définitive"),
        "dissatisfaction_recorded": _l("insatisfaction enregistrée"),
    },
}
#: Process data holding values of a form field under another name.
SAME_VALUES_AS = {"declared_kind": "kind"}
ROBOTS = {"system": _l("le système"), "scheduler": _l("le système"), "portal": _l("le client")}


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


# --- the timeline ------------------------------------------------------------------------------

#: What happens inside the engine: shown only when the reader asks for everything.
NOISE = {
    "task_ready",
    "gateway_passed",
    "process_entered",
    "process_ended",
    "subprocess_completed",
    "element_cancelled",
    "element_completed",
    "instance_completed",
}
SENT = {
    "acknowledgement": _l("Accusé de réception envoyé le %(when)s"),
    "answer": _l("Réponse envoyée le %(when)s"),
    "final_answer": _l("Position définitive envoyée le %(when)s"),
    "checkin_questions": _l("Questionnaire de satisfaction envoyé le %(when)s"),
    "checkin_reminder": _l("Relance du questionnaire envoyée le %(when)s"),
    "thanks": _l("Remerciements envoyés au client le %(when)s"),
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    text: str
    kind: str
    noise: bool


class Timeline:
    """The audit trail of one complaint told in plain words, oldest first."""

    def __init__(self, vocabulary: Vocabulary, people: Mapping[str, str]):
        self.vocabulary = vocabulary
        self.people = people  # user name → display name

    def entries(self, events: Iterable, everything: bool = False) -> list[TimelineEntry]:
        entries: list[TimelineEntry] = []
        person = None  # who did what the engine then did (the person behind the action)
        starting = False  # the stage a complaint starts in is told by « Reçue le … »
        for event in events:
            if event.actor not in ROBOTS:
                person = event.actor
            text, noise = self.sentence(event, person)
            if event.kind == "instance_started":
                starting = True
            elif event.kind == "milestone_reached" and starting:
                noise, starting = True, False
            elif event.kind in ("task_completed", "message_received", "timer_fired"):
                starting = False
            if everything or not noise:
                entries.append(TimelineEntry(event.at, text, event.kind, noise))
        return entries

    def who(self, username: str | None) -> str:
        if username in ROBOTS:
            return str(ROBOTS[username])
        return self.people.get(username, username or "—")

    def sentence(self, event, person: str | None) -> tuple[str, bool]:
        """The sentence for one event, and whether it is engine noise."""
        kind, data = event.kind, event.data or {}
        at, name = on(event.at), event.element_name or event.element_id or ""
        actor, doer = self.who(event.actor), self.who(person)
        words = self.vocabulary
        if kind == "instance_started":
            return self._received(event, at, actor), False
        if kind == "message_sent":
            message = data.get("message")
            if message in SENT:
                return str(SENT[message]) % {"when": at}, False
            return _("« %(name)s » le %(when)s", name=name, when=at), message == "progress_update"
        if kind == "message_received":
            if data.get("message") == "customer_reply":
                return _("Avis du client reçu le %(when)s", when=at), False
            return _("Message « %(name)s » reçu le %(when)s", name=name, when=at), False
        if kind == "milestone_reached":
            return _("Étape « %(stage)s » le %(when)s", stage=name, when=at), False
        if kind == "task_completed":
            return _(
                "Tâche « %(task)s » terminée par %(person)s le %(when)s",
                task=name,
                person=actor,
                when=at,
            ), False
        if kind == "task_claimed":
            return _(
                "Tâche « %(task)s » prise par %(person)s le %(when)s",
                task=name,
                person=actor,
                when=at,
            ), False
        if kind == "task_released":
            return _(
                "Tâche « %(task)s » remise dans la file par %(person)s le %(when)s",
                task=name,
                person=actor,
                when=at,
            ), False
        if kind == "task_reassigned":
            return _(
                "Tâche « %(task)s » confiée à %(to)s par %(person)s le %(when)s",
                task=name,
                to=self.who(data.get("to")),
                person=actor,
                when=at,
            ), False
        if kind == "timer_fired":
            return self._timer(data, name, at)
        if kind == "escalated":
            return _(
                "Priorité relevée de %(old)s à %(new)s (délai dépassé : %(clock)s) le %(when)s",
                old=words.value("priority", data.get("from")),
                new=words.value("priority", data.get("to")),
                clock=CLOCK_NAMES.get(data.get("clock"), data.get("clock")),
                when=at,
            ), False
        if kind == "decision_recorded":
            return _(
                "Décision « %(decision)s » prise par %(person)s le %(when)s : %(reason)s",
                decision=data.get("decision"),
                person=self.who(data.get("decided_by") or event.actor),
                when=at,
                reason=data.get("reason"),
            ), False
        if kind == "linked":
            return _(
                "Rattachée à %(reference)s le %(when)s", reference=data.get("to"), when=at
            ), False
        if kind == "corrective_action_closed":
            return _(
                "Action corrective %(reference)s close (%(outcome)s) le %(when)s",
                reference=data.get("corrective_action"),
                outcome=data.get("outcome"),
                when=at,
            ), False
        if kind == "instance_migrated":
            return _(
                "Passée de la version %(old)s à la version %(new)s par %(person)s le %(when)s",
                old=data.get("from"),
                new=data.get("to"),
                person=actor,
                when=at,
            ), False
        if kind == "trail_exported":
            return _(
                "Historique exporté (%(format)s) par %(person)s le %(when)s",
                format=data.get("format", ""),
                person=actor,
                when=at,
            ), True
        if kind == "error":
            return _(
                "Incident sur « %(name)s » le %(when)s : %(message)s",
                name=name,
                when=at,
                message=data.get("message") or "",
            ), False
        if kind == "element_completed":
            changes = data.get("changes") or {}
            if _changed_to(changes, "priority") is not None:
                return _(
                    "Priorité %(priority)s évaluée par %(person)s le %(when)s",
                    priority=words.value("priority", _changed_to(changes, "priority")),
                    person=doer,
                    when=at,
                ), False
            change = _changed_to(changes, "requalification")
            if isinstance(change, dict):
                return _(
                    "Nature changée de « %(old)s » en « %(new)s » par %(person)s : %(reason)s",
                    old=words.value("kind", change.get("from")),
                    new=words.value("kind", change.get("to")),
                    person=doer,
                    reason=change.get("reason") or "",
                ), False
            return _("Étape automatique « %(name)s » le %(when)s", name=name, when=at), True
        if kind == "instance_completed":
            return _("Dossier terminé le %(when)s", when=at), True
        return self._engine_step(kind, name, at), True

    def _received(self, event, at: str, actor: str) -> str:
        channel = ((event.data or {}).get("data") or {}).get("channel")
        if event.process_id != COMPLAINT_PROCESS:
            return _("Ouvert le %(when)s par %(person)s", when=at, person=actor)
        if event.actor in ROBOTS or not channel:
            how = self.vocabulary.value("channel", channel) if channel else actor
            return _("Reçue le %(when)s (%(channel)s)", when=at, channel=how)
        return _(
            "Reçue le %(when)s (%(channel)s), saisie par %(person)s",
            when=at,
            channel=self.vocabulary.value("channel", channel),
            person=actor,
        )

    def _timer(self, data: Mapping, name: str, at: str) -> tuple[str, bool]:
        clock_name = CLOCK_NAMES.get(data.get("clock"), name)
        role = data.get("clock_role")
        if role == "warning":
            return _("Échéance proche : %(clock)s, le %(when)s", clock=clock_name, when=at), False
        if role == "breach":
            return _("Délai dépassé : %(clock)s, le %(when)s", clock=clock_name, when=at), False
        return _("Délai « %(name)s » échu le %(when)s", name=name, when=at), role == "reminder"

    def _engine_step(self, kind: str, name: str, at: str) -> str:
        if kind == "task_ready":
            return _("Tâche « %(name)s » en attente depuis le %(when)s", name=name, when=at)
        if kind == "gateway_passed":
            return _("Aiguillage « %(name)s » le %(when)s", name=name, when=at)
        if kind == "element_cancelled":
            return _("« %(name)s » annulé(e) le %(when)s", name=name, when=at)
        if kind in ("process_entered", "process_ended", "subprocess_completed"):
            return _("Sous-processus « %(name)s » (%(when)s)", name=name, when=at)
        return f"{kind} « {name} » ({at})"


def _changed_to(changes: Mapping, key: str) -> Any:
    """The new value a data change set ``key`` to (None when it did not change it)."""
    change = changes.get(key)
    return change[1] if isinstance(change, list | tuple) and len(change) == 2 else None
