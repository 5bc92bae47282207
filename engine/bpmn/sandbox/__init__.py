"""The sandbox diagram code runs in: RestrictedPython decides what it may reach, limits what it
may take.

Code that provably finishes quickly in little memory (:mod:`engine.bpmn.sandbox.bounds`: every
condition, script and timer of the shipped processes) runs in the caller's thread. Any other
code runs in a worker process under the time and memory limits of
:class:`engine.config.ScriptLimits` (:mod:`engine.bpmn.sandbox.pool`). Both ways behave alike: the
same compiler, guards, builtins and helpers (helpers always run in the engine), the same
errors; a value a complaint cannot store is refused either way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine.bpmn.sandbox import transport
from engine.bpmn.sandbox.bounds import analyse, is_small
from engine.bpmn.sandbox.pool import ScriptStopped, pool_for
from engine.bpmn.sandbox.restricted import (
    RESTRICTED_GLOBALS,
    compile_restricted,
    provided_names,
    remove_provided_names,
)
from engine.bpmn.sandbox.transport import DIAGRAM_FILE
from engine.config import ScriptLimits

__all__ = [
    "DIAGRAM_FILE",
    "ScriptStopped",
    "UnstorableValue",
    "compile_restricted",
    "evaluate",
    "execute",
    "provided_names",
    "runs",
]

_RUNS = {"in_process": 0, "in_worker": 0}


def runs() -> dict[str, int]:
    """How many pieces of diagram code ran in-process and in a worker so far (for benchmarks
    and tests; counted without a lock, so concurrent runs may be undercounted)."""
    return dict(_RUNS)


class UnstorableValue(TypeError):
    """A script left a value in the task data that a complaint cannot store."""

    def __init__(self, name: str | None, type_name: str):
        what = f"'{name}' would hold" if name else "the expression gave"
        super().__init__(
            f"{what} a {type_name} value, which a complaint cannot store; "
            "make it a list, a text or a number (for example with list(...))"
        )


def evaluate(
    expression: str,
    context: Mapping[str, Any],
    external: Mapping[str, Any],
    helpers: Mapping[str, Callable],
    limits: ScriptLimits,
):
    """The value of ``expression`` over ``context`` (task data; it wins over ``external``)."""
    code = compile_restricted(expression, "eval")
    analysis = analyse(expression, "eval")
    if _may_run_here(analysis, context, external, helpers):
        _RUNS["in_process"] += 1
        return eval(code, {**RESTRICTED_GLOBALS, **helpers, **external, **context})
    return _in_worker("eval", expression, analysis.names, context, external, helpers, limits)


def execute(
    script: str,
    context: dict[str, Any],
    external: Mapping[str, Any],
    helpers: Mapping[str, Callable],
    limits: ScriptLimits,
) -> None:
    """Run ``script`` over ``context`` (task data), which receives what the script sets."""
    code = compile_restricted(script, "exec")
    analysis = analyse(script, "exec")
    if not _may_run_here(analysis, context, external, helpers):
        changes = _in_worker("exec", script, analysis.names, context, external, helpers, limits)
        context.update(changes["set"])
        for name in changes["deleted"]:
            context.pop(name, None)
        return
    _RUNS["in_process"] += 1
    provided = {**helpers, **external}
    context.update({**RESTRICTED_GLOBALS, **provided})
    try:
        exec(code, context)
    finally:
        remove_provided_names(context, provided)
    for name in analysis.names & context.keys():
        problem = transport.unstorable_part(context[name])
        if problem is not None:
            raise UnstorableValue(name, problem.type_name)


_ATOMS = frozenset({int, float, bool, type(None)})


def _may_run_here(analysis, context, external, helpers) -> bool:
    if not analysis.bounded or not analysis.calls <= helpers.keys():
        return False
    for scope in (context, external) if external else (context,):
        for name in analysis.names:
            value = scope.get(name)
            if type(value) not in _ATOMS and not is_small(value):
                return False
    return True


def _in_worker(mode, source, names, context, external, helpers, limits):
    _RUNS["in_worker"] += 1
    used = [name for name in names if name in helpers]
    types = {
        name: helpers[name].__name__
        for name in used
        if transport.TYPES.get(getattr(helpers[name], "__name__", None)) is helpers[name]
    }
    request = {
        "run": mode,
        "source": source,
        "inputs": {name: context[name] for name in names if name in context},
        "external": {name: external[name] for name in names if name in external},
        "helpers": [name for name in used if name not in types],
        "types": types,
    }
    reply, helper_error = pool_for(limits).run(request, helpers)
    if "failed" in reply:
        failure = reply["failed"]
        if failure["helper"] and helper_error is not None:
            raise helper_error
        raise transport.exception_from(failure)
    if "unstorable" in reply:
        raise UnstorableValue(reply["unstorable"]["name"], reply["unstorable"]["type"])
    return reply["done"]
