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
from collections.abc import Iterable
from dataclasses import dataclass

from engine.bpmn.sandbox import DIAGRAM_FILE, compile_restricted, provided_names
from engine.bpmn.sandbox.restricted import RESTRICTED_GLOBALS

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
