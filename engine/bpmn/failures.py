"""An engine failure in words: one line naming the element and the cause, never an object's
repr, never a traceback."""

from __future__ import annotations

import re
import traceback

from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.specs.base import TaskSpec

from engine.bpmn import sandbox


def failing_spec(exc: SpiffWorkflowException):
    """The task spec an engine error is about."""
    task = getattr(exc, "task", None)
    if task is not None:
        return task.task_spec
    spec = getattr(exc, "task_spec", None)
    if isinstance(spec, TaskSpec):
        return spec
    # SpiffWorkflow at times passes (spec, message) the wrong way round, which leaves the
    # spec's repr as the message: the spec is then the one whose method raised
    for frame, _ in reversed(list(traceback.walk_tb(exc.__traceback__))):
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, TaskSpec):
            return candidate
    return None


def element_label(spec) -> str:
    """How a message names a task spec: the element's name, else its process's."""
    if spec is None:
        return "a diagram element"
    if getattr(spec, "bpmn_id", None):
        return f"'{spec.bpmn_name or spec.bpmn_id}'"
    return f"'{owner_id(spec) or spec._wf_spec.name}'"


_OBJECT_REPR = re.compile(r"<([\w.]+)( object)?([^<>]*?) at 0x[0-9a-fA-F]+>")


def without_reprs(text: str) -> str:
    """``text`` with each ``<module.Class object at 0x…>`` said as ``a Class``."""

    def readable(match: re.Match) -> str:
        name = match.group(1).rsplit(".", 1)[-1]
        return f"a {name}" if match.group(2) else f"{name}{match.group(3)}"

    return _OBJECT_REPR.sub(readable, text)


def _cause_of(exc: SpiffWorkflowException) -> BaseException | None:
    """The exception a SpiffWorkflow error wraps (it keeps only its type's name)."""
    if exc.__cause__ is not None:
        return exc.__cause__
    context = exc.__context__
    if context is not None and getattr(exc, "error_type", None) == type(context).__name__:
        return context
    return None


def describe_engine_error(exc: SpiffWorkflowException, spec) -> str:
    """One line naming the element and the cause: never an object's repr, never a traceback."""
    where = element_label(spec)
    inner = _cause_of(exc)
    line = f" (line {exc.line_number})" if getattr(exc, "line_number", None) else ""
    if isinstance(inner, sandbox.ScriptStopped):
        return f"{where} {inner}"
    message = getattr(exc, "task_spec", None)
    if not isinstance(message, str):  # see failing_spec: the message went into task_spec
        message = str(exc.args[0]) if exc.args else ""
    if inner is not None and message.startswith(f"{type(inner).__name__}:"):
        message = ""  # SpiffWorkflow's "Type:text" of a script error repeats the cause
    cause = f"{type(inner).__name__}: {inner}" if inner is not None else ""
    if isinstance(inner, sandbox.UnstorableValue):
        cause = str(inner)
    parts = [part.strip().rstrip(".") for part in [message, cause, *exc.notes]]
    return without_reprs(f"{where} failed{line}: " + ". ".join(part for part in parts if part))


def owner_id(spec) -> str | None:
    """The diagram element an internal spec belongs to (``assess.BoundaryEventSplit``)."""
    owner = spec.name.split(".", 1)[0]
    return owner if owner in spec._wf_spec.task_specs else None
