"""The timeline of a complaint told in plain words, in the reader's language.

The entries come from the engine (:mod:`engine.trail.timeline`, which also says which are
engine steps); this module only words them, kind by kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from engine.services import COMPLAINT_PROCESS, TimelineEntry
from webui.formatting import Vocabulary, on
from webui.words import CLOCK_NAMES, EVENT_LABELS, ROBOTS, SENT


@dataclass(frozen=True)
class Sentence:
    """One entry of a timeline as the page shows it."""

    at: datetime
    text: str
    kind: str
    engine_step: bool


class Timeline:
    """Words a complaint's timeline for the people reading its file."""

    def __init__(self, vocabulary: Vocabulary, people: Mapping[str, str]):
        self.vocabulary = vocabulary
        self.people = people  # user name → display name

    def sentences(self, entries: Iterable[TimelineEntry]) -> list[Sentence]:
        return [Sentence(e.at, self.sentence(e), e.kind, e.engine_step) for e in entries]

    def who(self, username: str | None) -> str:
        if username in ROBOTS:
            return str(ROBOTS[username])
        return self.people.get(username, username or "—")

    def sentence(self, event: TimelineEntry) -> str:
        """The sentence for one event of the timeline."""
        kind, data = event.kind, event.data or {}
        at, name = on(event.at), event.element_name or event.element_id or ""
        actor, doer = self.who(event.actor), self.who(event.person)
        words = self.vocabulary
        if kind == "instance_started":
            return self._received(event, at, actor)
        if kind == "message_sent":
            message = data.get("message")
            if message in SENT:
                return str(SENT[message]) % {"when": at}
            return _("« %(name)s » le %(when)s", name=name, when=at)
        if kind == "message_received":
            if data.get("message") == "customer_reply":
                return _("Avis du client reçu le %(when)s", when=at)
            return _("Message « %(name)s » reçu le %(when)s", name=name, when=at)
        if kind == "milestone_reached":
            return _("Étape « %(stage)s » le %(when)s", stage=name, when=at)
        if kind == "task_completed":
            return _(
                "Tâche « %(task)s » terminée par %(person)s le %(when)s",
                task=name,
                person=actor,
                when=at,
            )
        if kind == "task_claimed":
            return _(
                "Tâche « %(task)s » prise par %(person)s le %(when)s",
                task=name,
                person=actor,
                when=at,
            )
        if kind == "task_released":
            return _(
                "Tâche « %(task)s » remise dans la file par %(person)s le %(when)s",
                task=name,
                person=actor,
                when=at,
            )
        if kind == "task_reassigned":
            return _(
                "Tâche « %(task)s » confiée à %(to)s par %(person)s le %(when)s",
                task=name,
                to=self.who(data.get("to")),
                person=actor,
                when=at,
            )
        if kind == "timer_fired":
            return self._timer(data, name, at)
        if kind == "escalated":
            return _(
                "Priorité relevée de %(old)s à %(new)s (délai dépassé : %(clock)s) le %(when)s",
                old=words.value("priority", data.get("from")),
                new=words.value("priority", data.get("to")),
                clock=CLOCK_NAMES.get(data.get("clock"), data.get("clock")),
                when=at,
            )
        if kind == "decision_recorded":
            return _(
                "Décision « %(decision)s » prise par %(person)s le %(when)s : %(reason)s",
                decision=data.get("decision"),
                person=self.who(data.get("decided_by") or event.actor),
                when=at,
                reason=data.get("reason"),
            )
        if kind == "linked":
            return _("Rattachée à %(reference)s le %(when)s", reference=data.get("to"), when=at)
        if kind == "corrective_action_closed":
            return _(
                "Action corrective %(reference)s close (%(outcome)s) le %(when)s",
                reference=data.get("corrective_action"),
                outcome=data.get("outcome"),
                when=at,
            )
        if kind == "instance_migrated":
            return _(
                "Passée de la version %(old)s à la version %(new)s par %(person)s le %(when)s",
                old=data.get("from"),
                new=data.get("to"),
                person=actor,
                when=at,
            )
        if kind == "message_retried":
            return _(
                "Message « %(name)s » renvoyé par %(person)s le %(when)s",
                name=name,
                person=actor,
                when=at,
            )
        if kind == "trail_exported":
            return _(
                "Historique exporté (%(format)s) par %(person)s le %(when)s",
                format=data.get("format", ""),
                person=actor,
                when=at,
            )
        if kind == "error":
            return _(
                "Incident sur « %(name)s » le %(when)s : %(message)s",
                name=name,
                when=at,
                message=data.get("message") or "",
            )
        if kind == "element_completed":
            changes = data.get("changes") or {}
            if _changed_to(changes, "priority") is not None:
                return _(
                    "Priorité %(priority)s évaluée par %(person)s le %(when)s",
                    priority=words.value("priority", _changed_to(changes, "priority")),
                    person=doer,
                    when=at,
                )
            change = _changed_to(changes, "requalification")
            if isinstance(change, dict):
                return _(
                    "Nature changée de « %(old)s » en « %(new)s » par %(person)s : %(reason)s",
                    old=words.value("kind", change.get("from")),
                    new=words.value("kind", change.get("to")),
                    person=doer,
                    reason=change.get("reason") or "",
                )
            return _("Étape automatique « %(name)s » le %(when)s", name=name, when=at)
        if kind == "instance_completed":
            return _("Dossier terminé le %(when)s", when=at)
        return self._engine_step(kind, name, at)

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

    def _timer(self, data: Mapping, name: str, at: str) -> str:
        clock_name = CLOCK_NAMES.get(data.get("clock"), name)
        role = data.get("clock_role")
        if role == "warning":
            return _("Échéance proche : %(clock)s, le %(when)s", clock=clock_name, when=at)
        if role == "breach":
            return _("Délai dépassé : %(clock)s, le %(when)s", clock=clock_name, when=at)
        return _("Délai « %(name)s » échu le %(when)s", name=name, when=at)

    def _engine_step(self, kind: str, name: str, at: str) -> str:
        if kind == "task_ready":
            return _("Tâche « %(name)s » en attente depuis le %(when)s", name=name, when=at)
        if kind == "gateway_passed":
            return _("Aiguillage « %(name)s » le %(when)s", name=name, when=at)
        if kind == "element_cancelled":
            return _("« %(name)s » annulé(e) le %(when)s", name=name, when=at)
        if kind in ("process_entered", "process_ended", "subprocess_completed"):
            return _("Sous-processus « %(name)s » (%(when)s)", name=name, when=at)
        return _("%(event)s le %(when)s", event=EVENT_LABELS.get(kind, kind), when=at)


def _changed_to(changes: Mapping, key: str) -> Any:
    """The new value a data change set ``key`` to (None when it did not change it)."""
    change = changes.get(key)
    return change[1] if isinstance(change, list | tuple) and len(change) == 2 else None
