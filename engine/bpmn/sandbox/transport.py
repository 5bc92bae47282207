"""The values diagram code exchanges with a worker process, as JSON, and which ones a complaint
can store.

Values travel as JSON trees, never as pickles: a worker runs untrusted code, and a tree has no
shared parts, so whatever comes back is no larger than the bytes that carried it. Types JSON
lacks (tuples, sets, dates, decimals, …) and dictionaries whose keys are not plain text travel
as one-key objects whose key starts with ``~``.
"""

from __future__ import annotations

import builtins
import json
import traceback
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

#: The file name diagram code runs under (see :mod:`engine.bpmn.sandbox.restricted`).
DIAGRAM_FILE = "<diagram>"


class Unstorable(TypeError):
    """A value of a type a complaint cannot store (a function, an iterator, a module, …)."""

    def __init__(self, value):
        self.type_name = type(value).__name__
        super().__init__(f"a {self.type_name} value")


_SCALARS = (str, int, float, bool, type(None))
_KEY_TYPES = (str, int, float, bool, type(None))  # what a stored dictionary's keys may be
_STORED = (datetime, date, timedelta, Decimal, UUID)  # beyond JSON, what a complaint keeps
#: Helpers that are one of these types reach a worker as themselves, not as a call to the
#: engine, so that ``isinstance(x, Decimal)`` works there too.
TYPES = {kind.__name__: kind for kind in _STORED}
_TAGGED = {
    datetime: ("~datetime", datetime.isoformat, datetime.fromisoformat),
    date: ("~date", date.isoformat, date.fromisoformat),
    time: ("~time", time.isoformat, time.fromisoformat),
    timedelta: (
        "~timedelta",
        lambda v: [v.days, v.seconds, v.microseconds],
        lambda v: timedelta(*v),
    ),
    Decimal: ("~decimal", str, Decimal),
    UUID: ("~uuid", str, UUID),
}
_DECODERS = {tag: decode for tag, _, decode in _TAGGED.values()}
_CONTAINERS = {tuple: "~tuple", set: "~set", frozenset: "~frozenset"}
_CONTAINER_TYPES = {tag: kind for kind, tag in _CONTAINERS.items()}


def _to_tree(value, depth: int = 0):
    kind = type(value)
    if kind in _SCALARS:
        return value
    if depth > 200:
        raise ValueError("nested more than 200 levels deep")
    if kind is list:
        return [_to_tree(item, depth + 1) for item in value]
    if kind is dict:
        if all(type(key) is str and not key.startswith("~") for key in value):
            return {key: _to_tree(item, depth + 1) for key, item in value.items()}
        return {
            "~dict": [[_to_tree(k, depth + 1), _to_tree(v, depth + 1)] for k, v in value.items()]
        }
    if kind in _CONTAINERS:
        return {_CONTAINERS[kind]: [_to_tree(item, depth + 1) for item in value]}
    if kind in _TAGGED:
        tag, encode, _ = _TAGGED[kind]
        return {tag: encode(value)}
    raise Unstorable(value)


def _from_tree(obj: dict):
    if len(obj) == 1:
        ((tag, value),) = obj.items()
        if tag in _DECODERS:
            return _DECODERS[tag](value)
        if tag in _CONTAINER_TYPES:
            return _CONTAINER_TYPES[tag](value)
        if tag == "~dict":
            return dict(value)
    return obj


def dumps(message) -> bytes:
    """``message`` as JSON bytes; :class:`Unstorable` for a value of another type."""
    return json.dumps(_to_tree(message), ensure_ascii=False, separators=(",", ":")).encode()


def loads(data: bytes):
    return json.loads(data, object_hook=_from_tree)


def unstorable_part(value) -> Unstorable | None:
    """The first part of ``value`` a complaint could not store, if any."""
    stack, seen = [value], set()
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind in _SCALARS or kind in _STORED:
            continue
        if id(item) in seen:
            continue
        seen.add(id(item))
        if kind is dict:
            for key in item:
                if type(key) not in _KEY_TYPES:
                    return Unstorable(key)
            stack.extend(item.values())
        elif kind is list or kind in _CONTAINERS:
            stack.extend(item)
        else:
            return Unstorable(item)
    return None


class RaisedElsewhere(Exception):
    """An exception of a type this process does not have, under the name it had there."""


def error_of(exc: BaseException) -> dict:
    """An exception as a message: its type, arguments, text and line in the diagram code."""
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [frame.lineno for frame in frames if frame.filename == DIAGRAM_FILE]
    try:
        dumps(list(exc.args))
        args = list(exc.args)
    except (TypeError, ValueError):
        args = [str(exc)]
    return {
        "type": type(exc).__name__,
        "args": args,
        "message": str(exc),
        "line": lines[-1] if lines else getattr(exc, "diagram_line", None),
        "helper": bool(getattr(exc, "from_helper", False)),
    }


def exception_from(error: dict, from_helper: bool = False) -> Exception:
    """An exception like the one ``error`` describes: the builtin type of that name when there
    is one, else one named like it. ``diagram_line`` tells where the diagram code failed."""
    kind = getattr(builtins, error["type"], None)
    exc = None
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            exc = kind(*error["args"])
        except TypeError:
            exc = None
    if exc is None:
        exc = type(error["type"], (RaisedElsewhere,), {})(error["message"])
    exc.diagram_line = error.get("line")
    exc.from_helper = from_helper
    return exc
