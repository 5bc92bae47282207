"""What diagram code may use: RestrictedPython's compiler, its guards and a set of builtins.

This module imports neither SpiffWorkflow nor the database, so that a worker process (see
:mod:`engine.bpmn.sandbox.pool`) loads it in a few milliseconds.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from RestrictedPython import (
    compile_restricted_eval,
    compile_restricted_exec,
    limited_builtins,
    safe_builtins,
    utility_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

from engine.bpmn.sandbox.transport import DIAGRAM_FILE


def _inplace_var(op: str, x, y):
    operations = {
        "+=": lambda a, b: a + b,
        "-=": lambda a, b: a - b,
        "*=": lambda a, b: a * b,
        "/=": lambda a, b: a / b,
        "//=": lambda a, b: a // b,
        "%=": lambda a, b: a % b,
    }
    if op not in operations:
        raise SyntaxError(f"operator {op} is not allowed in diagram scripts")
    return operations[op](x, y)


SAFE_BUILTINS = {
    **safe_builtins,
    **limited_builtins,
    **{k: v for k, v in utility_builtins.items() if k in {"set", "frozenset", "math"}},
    "min": min,
    "max": max,
    "sum": sum,
    "any": any,
    "all": all,
    "sorted": sorted,
    "enumerate": enumerate,
    "dict": dict,
    "list": list,
    "map": map,
    "filter": filter,
    "reversed": reversed,
}

#: The globals every piece of diagram code runs with: the builtins and RestrictedPython's
#: guards (the names its compiler rewrites attribute access, item access, … into).
RESTRICTED_GLOBALS = {
    "__builtins__": SAFE_BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplace_var,
}


def provided_names() -> frozenset[str]:
    """The names diagram code may use without defining them, besides the helpers a deployment
    gives it (``now``, ``deadline``, ``policy``, …): the sandbox's builtins."""
    return frozenset(name for name in SAFE_BUILTINS if not name.startswith("_"))


_COMPILED: OrderedDict[tuple[str, str], Any] = OrderedDict()
_COMPILED_LIMIT = 4096


def compile_restricted(source: str, mode: str):
    """Compile diagram code under RestrictedPython; raise SyntaxError with its reasons."""
    key = (mode, source)
    code = _COMPILED.get(key)
    if code is not None:
        _COMPILED.move_to_end(key)
        return code
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source.strip() if mode == "eval" else source, DIAGRAM_FILE)
    if result.errors or result.code is None:
        raise SyntaxError("; ".join(result.errors) or "cannot compile")
    _COMPILED[key] = result.code
    if len(_COMPILED) > _COMPILED_LIMIT:
        _COMPILED.popitem(last=False)
    return result.code


def remove_provided_names(scope: dict, provided) -> None:
    """After a script ran in ``scope``: drop what the sandbox put there (builtins, guards, the
    ``provided`` helpers and context) and every function, as SpiffWorkflow's own environment
    does, so that only the script's data remains."""
    for name in list(scope):
        if name in RESTRICTED_GLOBALS or name in provided or callable(scope[name]):
            del scope[name]
