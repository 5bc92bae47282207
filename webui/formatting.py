"""How things read on screen: French dates, time left, labels and the timeline's sentences."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from engine import clock
from engine.forms import localized

LANGUAGE = "fr"
DUE_SOON = timedelta(days=2)

SUMMARY_LABELS = {
    "customer_name": "Client",
    "customer_email": "Courriel",
    "category": "Catégorie",
    "product": "Produit",
    "priority": "Priorité",
    "kind": "Nature",
    "channel": "Canal",
    "subject": "Objet",
    "team": "Équipe",
}
STATUS_LABELS = {"running": "En cours", "completed": "Terminé", "error": "En erreur"}
TIMER_STATES = {"pending": "En attente", "fired": "Échu", "cancelled": "Annulé"}

_EVENT_SENTENCES = {
    "instance_started": "Dossier ouvert par {actor}",
    "instance_completed": "Dossier clôturé",
    "task_ready": "Tâche « {name} » en attente",
    "task_completed": "Tâche « {name} » terminée par {actor}",
    "task_claimed": "Tâche « {name} » prise par {actor}",
    "task_released": "Tâche « {name} » remise dans la file par {actor}",
    "task_reassigned": "Tâche « {name} » réattribuée à {to} par {actor}",
    "timer_fired": "Délai « {name} » échu",
    "message_received": "Message « {name} » reçu",
    "message_sent": "Message « {name} » envoyé",
    "milestone_reached": "Étape « {name} » atteinte",
    "gateway_passed": "Décision « {name} » prise",
    "subprocess_completed": "Sous-processus « {name} » terminé",
    "process_entered": "Processus « {name} » commencé",
    "process_ended": "Processus « {name} » terminé",
    "element_cancelled": "« {name} » annulé",
    "element_completed": "« {name} » effectué",
    "error": "Erreur sur « {name} » : {message}",
}


def register(app: Flask) -> None:
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters.update(
        when=when,
        time_left=time_left,
        due_class=due_class,
        label=label,
        status_label=lambda s: STATUS_LABELS.get(s, s),
        timer_state=lambda s: TIMER_STATES.get(s, s),
        event_sentence=event_sentence,
    )
    app.jinja_env.globals.update(SUMMARY_LABELS=SUMMARY_LABELS)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DOLEANCE_TIME_ZONE"])


def when(instant: datetime | None) -> str:
    """``23/11/2026 10:00`` in the organisation's time zone; a dash when there is none."""
    return instant.astimezone(_zone()).strftime("%d/%m/%Y %H:%M") if instant else "—"


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} j {hours} h"
    if hours:
        return f"{hours} h {minutes:02d}"
    return f"{minutes} min"


def time_left(due: datetime | None) -> str:
    if due is None:
        return ""
    left = due - clock.now()
    if left < timedelta(0):
        return f"en retard de {_duration(-left)}"
    return f"reste {_duration(left)}"


def due_class(due: datetime | None) -> str:
    """The CSS class of a due date: overdue, due soon (under two days) or fine."""
    if due is None:
        return "due-none"
    left = due - clock.now()
    if left < timedelta(0):
        return "due-overdue"
    return "due-soon" if left < DUE_SOON else "due-ok"


def label(texts: dict | None) -> str:
    return localized(texts, LANGUAGE)


def event_sentence(event) -> str:
    """One timeline line in plain French, e.g. « Tâche « Qualifier » terminée par alice »."""
    template = _EVENT_SENTENCES.get(event.kind)
    name = event.element_name or event.element_id or event.process_id or ""
    if template is None:
        return f"{event.kind} ({name})" if name else event.kind
    data = event.data or {}
    return template.format(
        actor=event.actor,
        name=name,
        to=data.get("to") or "—",
        message=data.get("message") or "",
    )
