"""The kinds of events a trail holds: one table, keyed by kind, that every reader uses.

Screens word each kind in the reader's language (``webui.words``; a test checks that every
kind here has its words there); the engine knows what each kind *is*: whether a token went
through the element (the trace's path counts it), whether it is an engine step that the
complaint file shows only when asked for everything, and whether the customer's tracking page
is built on it.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Who acts without being a person: the engine, the timer scheduler, the customer portal.
SYSTEM_ACTOR = "system"
SCHEDULER_ACTOR = "scheduler"
PORTAL_ACTOR = "portal"
NOT_PEOPLE = frozenset({SYSTEM_ACTOR, SCHEDULER_ACTOR, PORTAL_ACTOR})


@dataclass(frozen=True)
class EventKind:
    name: str
    passing: bool = False  # a token went through the element: it completed once more
    engine_step: bool = False  # inside the engine: shown on the complaint file only on request
    for_customer: bool = False  # the tracking page is built on these (stages, messages)


EVENT_KINDS: dict[str, EventKind] = {
    kind.name: kind
    for kind in (
        # a complaint's life
        EventKind("instance_started"),
        EventKind("instance_completed", engine_step=True),
        EventKind("instance_migrated"),
        EventKind("process_entered", passing=True, engine_step=True),
        EventKind("process_ended", passing=True, engine_step=True),
        EventKind("subprocess_completed", passing=True, engine_step=True),
        EventKind("milestone_reached", passing=True, for_customer=True),
        # people's tasks
        EventKind("task_ready", engine_step=True),
        EventKind("task_claimed"),
        EventKind("task_released"),
        EventKind("task_reassigned"),
        EventKind("task_completed", passing=True),
        # the engine's steps
        EventKind("element_completed", passing=True, engine_step=True),
        EventKind("element_cancelled", engine_step=True),
        EventKind("gateway_passed", passing=True, engine_step=True),
        EventKind("timer_fired", passing=True),
        EventKind("error"),
        # messages
        EventKind("message_sent", passing=True, for_customer=True),
        EventKind("message_received", passing=True, for_customer=True),
        EventKind("message_retried"),
        # what diagrams' helpers record
        EventKind("escalated"),
        EventKind("linked"),
        EventKind("decision_recorded"),
        EventKind("corrective_action_closed"),
        EventKind("trail_exported", engine_step=True),
        # the system chain: deployments and people
        EventKind("process_deployed"),
        EventKind("user_created"),
        EventKind("user_roles_changed"),
        EventKind("user_deactivated"),
        EventKind("user_reactivated"),
        EventKind("password_reset"),
    )
}
#: Event kinds the customer's tracking page is built on.
FOR_CUSTOMER_KINDS = frozenset(name for name, kind in EVENT_KINDS.items() if kind.for_customer)
#: Event kinds that mean a token went through the element (it completed once more).
PASSING_KINDS = frozenset(name for name, kind in EVENT_KINDS.items() if kind.passing)
