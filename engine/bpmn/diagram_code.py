"""Diagram code checked before it runs: conditions, scripts, timers, payloads, decision cells.

Each piece is compiled under the sandbox's own rules
(:func:`engine.bpmn.sandbox.compile_restricted`) and then refused when it reaches for what the
sandbox will not give it when a complaint gets there: a module to import, a Python builtin the
sandbox leaves out (``open``, ``getattr``, ``print``, …), ``str.format``, a class. A name the
sandbox does not know may be task data, so it is left to the run.
"""

from __future__ import annotations

import ast
import builtins
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.bpmn.diagrams import BPMN_NS
from engine.bpmn.sandbox import DIAGRAM_FILE, compile_restricted, provided_names
from engine.bpmn.sandbox.restricted import RESTRICTED_GLOBALS
from engine.problems import Problem

#: Names RestrictedPython's compiled code looks up for constructs reported otherwise (print(),
#: classes); any other name it needs that the sandbox lacks is a construct the sandbox refuses.
_REPORTED_ELSEWHERE = frozenset(
    {"_print_", "_print", "_call_print", "__metaclass__", "__module__", "__name__", "__qualname__"}
)
_CONSTRUCTS = {"_apply_": "*args / **kwargs"}
_FORMAT_METHODS = ("format", "format_map")


@dataclass
class CodeFault:
    """Why a piece of diagram code would fail: a problem code and its parameters."""

    code: str
    params: dict[str, str]


def sandbox_names() -> frozenset[str]:
    """What diagram code finds besides task data and helpers: the sandbox's builtins and the
    guards RestrictedPython's compiled code calls."""
    return provided_names() | frozenset(RESTRICTED_GLOBALS)


def shorten(code: str, limit: int = 60) -> str:
    """Diagram code on one line, cut to ``limit`` characters, to quote it in a message."""
    code = " ".join(code.split())
    return code if len(code) <= limit else code[: limit - 1] + "…"


def check_code(
    source: str, mode: str, kind: str, helpers: Iterable[str], shown: str | None = None
) -> list[CodeFault]:
    """What stops ``source`` (``exec`` for scripts, ``eval`` for expressions) from running in
    the sandbox, where the ``helpers`` are callable too; empty when nothing does. Faults quote
    ``shown`` (what the process owner wrote) when the source was built from it."""
    quoted = {"kind": kind, "code": shorten(shown if shown is not None else source)}
    try:
        code = compile_restricted(source, mode)
    except SyntaxError as exc:
        reason = str(exc).replace(DIAGRAM_FILE, "").strip()
        return [CodeFault("code_invalid", {**quoted, "reason": reason})]
    tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    refused = _refused_names(frozenset(helpers))
    local = _bound_names(tree)
    faults: list[CodeFault] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            faults.append(CodeFault("code_import", quoted))
        elif isinstance(node, ast.ClassDef):
            faults.append(CodeFault("code_class", quoted))
        elif isinstance(node, ast.Attribute) and node.attr in _FORMAT_METHODS:
            faults.append(CodeFault("code_format", {**quoted, "name": node.attr}))
        elif isinstance(node, ast.Name) and node.id in refused and node.id not in local:
            faults.append(CodeFault("code_name", {**quoted, "name": node.id}))
    for name in sorted(_looked_up(code) - sandbox_names() - _REPORTED_ELSEWHERE):
        if name.startswith("_"):
            construct = _CONSTRUCTS.get(name, name)
            faults.append(CodeFault("code_construct", {**quoted, "construct": construct}))
    return [fault for i, fault in enumerate(faults) if fault not in faults[:i]]


def free_names(source: str, mode: str) -> set[str]:
    """The names ``source`` reads without binding them itself (it must compile)."""
    tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    local = _bound_names(tree)
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local
    }


@functools.cache
def _refused_names(helpers: frozenset[str]) -> frozenset[str]:
    """Python's builtins that diagram code will not find: not in the sandbox, not a helper."""
    return frozenset(vars(builtins)) - sandbox_names() - helpers


def _bound_names(tree: ast.AST) -> set[str]:
    """Names the code binds itself (assignments, loop and comprehension targets, arguments,
    functions), which shadow any builtin of the same name."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


def _looked_up(code) -> set[str]:
    """The global names a compiled code object (and the functions it defines) looks up."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if hasattr(constant, "co_names"):
            names |= _looked_up(constant)
    return names


# --- every piece of code a deployment holds ---------------------------------------------

_BARE_ISO_TIMER = re.compile(
    r"^(R\d*/)?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)


def _iter_expressions(spec) -> Iterator[tuple[str, str, str, str]]:
    """(element id, kind, code, mode) for every piece of Python a process spec holds."""
    for task_spec in spec.task_specs.values():
        bpmn_id = getattr(task_spec, "bpmn_id", None)
        if bpmn_id is None:
            continue
        for condition, _target in getattr(task_spec, "cond_task_specs", []) or []:
            expression = getattr(condition, "args", [None])[0] if condition is not None else None
            if expression:
                yield bpmn_id, "condition", expression, "eval"
        for attr, kind in (
            ("script", "script"),
            ("prescript", "pre-script"),
            ("postscript", "post-script"),
        ):
            code = getattr(task_spec, attr, None)
            if isinstance(code, str) and code.strip():
                yield bpmn_id, kind, code, "exec"
        for attr, kind in (
            ("cardinality", "multi-instance expression"),
            ("condition", "loop condition"),
        ):
            code = getattr(task_spec, attr, None)
            if isinstance(code, str) and code.strip():
                yield bpmn_id, kind, code, "eval"
        for param in (getattr(task_spec, "operation_params", None) or {}).values():
            value = param.get("value") if isinstance(param, Mapping) else None
            if isinstance(value, str) and value.strip():
                yield bpmn_id, "service parameter", value, "eval"
        for definition in _event_definitions(getattr(task_spec, "event_definition", None)):
            expression = getattr(definition, "expression", None)
            if isinstance(expression, str) and expression.strip():
                kind = (
                    "timer" if isinstance(definition, TimerEventDefinition) else "event expression"
                )
                yield bpmn_id, kind, expression, "eval"
            for prop in getattr(definition, "correlation_properties", None) or []:
                if getattr(prop, "retrieval_expression", None):
                    yield bpmn_id, "correlation expression", prop.retrieval_expression, "eval"


def _event_definitions(definition) -> list:
    if isinstance(definition, MultipleEventDefinition):
        return [d for each in definition.event_definitions for d in _event_definitions(each)]
    return [definition] if definition is not None else []


def condition_places(sources: Mapping[str, Any]) -> dict[tuple[str, str], tuple[str, int, str]]:
    """(gateway id, condition) -> (file, line, id) of the sequence flow that carries it."""
    found = {}
    for name, root in sources.items():
        for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
            condition = flow.find(f"{{{BPMN_NS}}}conditionExpression")
            if condition is not None and (condition.text or "").strip():
                key = (flow.get("sourceRef"), condition.text.strip())
                found.setdefault(key, (name, flow.sourceline, flow.get("id")))
    return found


def code_problems(spec, element_index, conditions, default_file, helpers) -> list[Problem]:
    problems = []
    for element_id, kind, code, mode in _iter_expressions(spec):
        file, line = element_index.get(element_id, (default_file, None))
        where = element_id
        if kind == "condition" and (element_id, code.strip()) in conditions:
            file, line, where = conditions[(element_id, code.strip())]
        if kind == "timer" and _BARE_ISO_TIMER.match(code.strip()):
            problems.append(Problem.of("timer_bare_iso", file, line, where, code=code.strip()))
            continue
        for fault in check_code(code, mode, kind, helpers):
            code_name = (
                "timer_invalid" if kind == "timer" and fault.code == "code_invalid" else fault.code
            )
            problems.append(Problem.of(code_name, file, line, where, **fault.params))
    return problems


def sequence_flows(sources) -> dict[str, dict[str, dict]]:
    flows: dict[str, dict[str, dict]] = {}
    for root in sources.values():
        for process in root.iter(f"{{{BPMN_NS}}}process"):
            mapping = flows.setdefault(process.get("id"), {})
            for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
                mapping[f"{flow.get('sourceRef')}>{flow.get('targetRef')}"] = {
                    "id": flow.get("id"),
                    "name": flow.get("name"),
                }
    return flows
