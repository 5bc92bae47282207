"""Which diagram code provably finishes quickly in little memory, so that it may run in-process.

Most diagram code is a comparison, a dictionary of form values or a helper call. Such code runs
in the engine's own thread; anything else runs in a worker process under time and memory limits
(:mod:`engine.bpmn.sandbox.pool`). The check is conservative: code is *bounded* when it has no loop,
no comprehension, no function or class definition, calls only helpers and a few builtins and
methods whose cost follows the size of their arguments, and cannot grow a value by more than
:data:`MAX_GROWTH` times the size of what it reads.

How it counts: every value gets a *weight*, an upper bound on its size in units of the largest
input (a data value, a constant, a helper's result, all weight 1). ``a + b`` weighs the sum,
``x * 3`` three times ``x``, ``"%s" % x`` ten times ``x`` (a printed value is at most ten times
longer than its units), a list the sum of its items. A script may only grow (``append``,
``d[k] = v``, ``+=``) a list or dictionary it built itself and has not shared yet, so no hidden
copy grows with it. At run time the inputs themselves must be small (:func:`is_small`): then
whatever the code builds is at most ``MAX_GROWTH × MAX_INPUT_UNITS`` units, in linear time.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

#: The largest weight bounded code may give a value.
MAX_GROWTH = 64
#: The largest input (in units: characters, items, digits) in-process code may read.
MAX_INPUT_UNITS = 64 * 1024


class _Unbounded(Exception):
    """The code may run long or build a large value: it must run in a worker."""


@dataclass(frozen=True)
class Analysis:
    bounded: bool
    names: frozenset[str]  # every name the code mentions: all it can read or change
    calls: frozenset[str]  # the functions it calls that are not bounded builtins


def _same(*weights: int) -> int:
    return max(weights, default=1)


#: Builtins whose result weighs at most ``rule(argument weights)``.
_BUILTINS = {
    "abs": _same,
    "all": lambda *w: 1,
    "any": lambda *w: 1,
    "bool": lambda *w: 1,
    "chr": lambda *w: 1,
    "dict": _same,
    "float": lambda *w: 1,
    "frozenset": _same,
    "int": _same,
    "isinstance": lambda *w: 1,
    "len": lambda *w: 1,
    "list": _same,
    "max": _same,
    "min": _same,
    "ord": lambda *w: 1,
    "repr": lambda *w: 10 * _same(*w),
    "set": _same,
    "sorted": _same,
    "str": lambda *w: 10 * _same(*w),
    "sum": _same,
    "tuple": _same,
}
#: Keyword arguments a bounded builtin call may carry.
_BUILTIN_KEYWORDS = {"sorted": {"reverse"}, "min": {"default"}, "max": {"default"}}
#: Methods whose result weighs at most what they read.
_READING_METHODS = frozenset(
    {
        "astimezone",
        "capitalize",
        "casefold",
        "copy",
        "count",
        "date",
        "endswith",
        "find",
        "get",
        "index",
        "isalnum",
        "isalpha",
        "isdecimal",
        "isdigit",
        "islower",
        "isnumeric",
        "isoformat",
        "isoweekday",
        "isspace",
        "isupper",
        "items",
        "keys",
        "lower",
        "lstrip",
        "partition",
        "removeprefix",
        "removesuffix",
        "rfind",
        "rpartition",
        "rsplit",
        "rstrip",
        "split",
        "splitlines",
        "startswith",
        "strip",
        "time",
        "timestamp",
        "title",
        "total_seconds",
        "upper",
        "values",
        "weekday",
    }
)
#: Methods whose result weighs at most the product of what they read (``sep.join(items)``).
_MULTIPLYING_METHODS = frozenset({"join", "replace"})
#: Methods that grow their receiver by what they are given.
_GROWING_METHODS = frozenset({"add", "append", "extend", "insert", "setdefault", "update"})
#: Methods that shrink their receiver.
_SHRINKING_METHODS = frozenset({"clear", "discard", "pop", "remove"})
_FRESH_BUILDERS = frozenset({"dict", "list", "set"})
_ADDING = (ast.Add, ast.Sub, ast.BitOr, ast.BitAnd, ast.BitXor)
_DIVIDING = (ast.Div, ast.FloorDiv)
_FORMAT_DIRECTIVE = re.compile(r"%(\([^)]*\))?[#0 +-]*(\*|\d*)(\.(\*|\d*))?[hlL]?(.)")


def _number(node) -> int | float | None:
    """The value of a numeric literal (``3``, ``-2.5``), else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _number(node.operand)
        return None if inner is None else -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    return None


def _plain_format(text: str) -> bool:
    """A %-format whose directives carry no width or precision beyond two digits."""
    for match in _FORMAT_DIRECTIVE.finditer(text):
        width, precision = match.group(2), match.group(4) or ""
        if "*" in (width, precision) or len(width) > 2 or len(precision) > 2:
            return False
    return True


class _Checker:
    def __init__(self):
        self.weights: dict[str, int] = {}
        self.fresh: set[str] = set()  # lists and dictionaries built here and not shared
        self.calls: set[str] = set()

    def copy(self) -> _Checker:
        other = _Checker()
        other.weights, other.fresh, other.calls = dict(self.weights), set(self.fresh), self.calls
        return other

    # expressions

    def weigh(self, node, shared: bool = True) -> int:
        """The weight of ``node``'s value; ``shared``: the value may end up referenced."""
        return self._checked(self._weigh(node, shared))

    @staticmethod
    def _checked(weight: int) -> int:
        if weight > MAX_GROWTH:
            raise _Unbounded
        return weight

    def _weigh(self, node, shared: bool) -> int:
        match node:
            case ast.Constant():
                return 1
            case ast.Name():
                if shared:
                    self.fresh.discard(node.id)
                return self.weights.get(node.id, 1)
            case ast.Attribute():
                return self.weigh(node.value, shared=False)
            case ast.Subscript():
                self._weigh_slice(node.slice)
                return self.weigh(node.value, shared=False)
            case ast.BinOp():
                return self._weigh_operation(node)
            case ast.UnaryOp():
                weight = self.weigh(node.operand, shared=False)
                return 1 if isinstance(node.op, ast.Not) else weight
            case ast.BoolOp():
                return _same(*(self.weigh(value, shared) for value in node.values))
            case ast.Compare():
                for operand in [node.left, *node.comparators]:
                    self.weigh(operand, shared=False)
                return 1
            case ast.IfExp():
                self.weigh(node.test, shared=False)
                return _same(self.weigh(node.body, shared), self.weigh(node.orelse, shared))
            case ast.List() | ast.Tuple() | ast.Set():
                return 1 + sum(self.weigh(item) for item in node.elts)
            case ast.Starred():
                return self.weigh(node.value)
            case ast.Dict():
                keys = [key for key in node.keys if key is not None]
                return 1 + sum(self.weigh(part) for part in [*keys, *node.values])
            case ast.JoinedStr():
                return 1 + sum(self._weigh_formatted(value) for value in node.values)
            case ast.Call():
                return self._weigh_call(node)
        raise _Unbounded

    def _weigh_slice(self, node) -> None:
        if isinstance(node, ast.Slice):
            for part in (node.lower, node.upper, node.step):
                if part is not None:
                    self.weigh(part, shared=False)
        else:
            self.weigh(node, shared=False)

    def _weigh_formatted(self, node) -> int:
        if isinstance(node, ast.Constant):
            return 1
        if node.format_spec is not None:  # f"{x:>1000000}" pads without bound
            raise _Unbounded
        return 10 * self.weigh(node.value, shared=False)

    def _weigh_operation(self, node: ast.BinOp) -> int:
        op, left, right = node.op, node.left, node.right
        if isinstance(op, _ADDING):
            return self.weigh(left, shared=False) + self.weigh(right, shared=False)
        if isinstance(op, _DIVIDING):
            return _same(self.weigh(left, shared=False), self.weigh(right, shared=False))
        if isinstance(op, ast.Mod):
            if isinstance(left, ast.Constant) and isinstance(left.value, str):
                if _plain_format(left.value):
                    return 1 + 10 * self.weigh(right, shared=False)
            elif _number(left) is not None:
                return _same(1, self.weigh(right, shared=False))
            raise _Unbounded
        if isinstance(op, ast.Mult):
            for factor, other in ((left, right), (right, left)):
                number = _number(factor)
                if number is not None:
                    times = max(1, abs(number)) if isinstance(number, int) else 1
                    return 1 + self.weigh(other, shared=False) * times
            raise _Unbounded
        if isinstance(op, ast.Pow):
            exponent = _number(right)
            if exponent is not None:
                times = max(1, abs(exponent)) if isinstance(exponent, int) else 1
                return 1 + self.weigh(left, shared=False) * times
        raise _Unbounded

    def _weigh_call(self, node: ast.Call) -> int:
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in _BUILTINS:
                allowed = _BUILTIN_KEYWORDS.get(func.id, set())
                if any(k.arg not in allowed for k in node.keywords):
                    raise _Unbounded
                if func.id == "sum" and len(node.args) != 1:  # sum(lists, []) is quadratic
                    raise _Unbounded
                weights = [self.weigh(arg, shared=False) for arg in node.args]
                weights += [self.weigh(k.value, shared=False) for k in node.keywords]
                return _BUILTINS[func.id](*weights)
            if func.id == "round":
                if len(node.args) == 2 and not (
                    isinstance(_number(node.args[1]), int) and abs(_number(node.args[1])) <= 64
                ):
                    raise _Unbounded  # round(5, -10**9) computes 10**10**9
                return self.weigh(node.args[0], shared=False) if node.args else 1
            self.calls.add(func.id)  # a helper: the engine's own code, bounded by its inputs
            for argument in [*node.args, *(k.value for k in node.keywords)]:
                self.weigh(argument)
            return 1
        if isinstance(func, ast.Attribute):
            return self._weigh_method(node, func)
        raise _Unbounded

    def _weigh_method(self, node: ast.Call, func: ast.Attribute) -> int:
        arguments = [*node.args, *(k.value for k in node.keywords)]
        if func.attr in _READING_METHODS or func.attr in _MULTIPLYING_METHODS | _SHRINKING_METHODS:
            receiver = self.weigh(func.value, shared=False)
            given = [self.weigh(argument, shared=False) for argument in arguments]
            if func.attr in _MULTIPLYING_METHODS:
                return receiver * (1 + sum(given))
            return receiver + sum(given)
        if func.attr in _GROWING_METHODS:
            given = sum(self.weigh(argument) for argument in arguments)
            return self._grow(func.value, given)
        raise _Unbounded

    def _grow(self, target, by: int) -> int:
        """``target`` (a name of this code's own list or dictionary) grows by ``by``."""
        if not isinstance(target, ast.Name) or target.id not in self.fresh:
            raise _Unbounded
        self.weights[target.id] = self._checked(self.weights.get(target.id, 1) + by)
        return self.weights[target.id]

    def _builds_fresh(self, node) -> bool:
        if isinstance(node, ast.List | ast.Dict | ast.Set):
            return True
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                return func.id in _FRESH_BUILDERS
            return isinstance(func, ast.Attribute) and func.attr == "copy"
        return False

    # statements

    def run(self, statements) -> None:
        for statement in statements:
            self._statement(statement)

    def _statement(self, node) -> None:
        match node:
            case ast.Assign():
                weight = self.weigh(node.value)
                fresh = self._builds_fresh(node.value) and len(node.targets) == 1
                for target in node.targets:
                    self._assign(target, weight, fresh)
            case ast.AugAssign():
                self._augment(node)
            case ast.Expr():
                self.weigh(node.value, shared=False)
            case ast.If():
                self._branch(node)
            case ast.Delete():
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.weights.pop(target.id, None)
                        self.fresh.discard(target.id)
                    else:
                        self.weigh(target, shared=False)
            case ast.Assert():
                self.weigh(node.test, shared=False)
                if node.msg is not None:
                    self.weigh(node.msg, shared=False)
            case ast.Pass():
                pass
            case _:
                raise _Unbounded  # loops, definitions, try, with, imports, …

    def _assign(self, target, weight: int, fresh: bool) -> None:
        if isinstance(target, ast.Name):
            self.weights[target.id] = weight
            (self.fresh.add if fresh else self.fresh.discard)(target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            for part in target.elts:
                self._assign(part.value if isinstance(part, ast.Starred) else part, weight, False)
        elif isinstance(target, ast.Subscript):
            self._weigh_slice(target.slice)
            self._grow(target.value, weight + 1)
        else:
            raise _Unbounded  # attribute writes are refused by the sandbox anyway

    def _augment(self, node: ast.AugAssign) -> None:
        target = node.target
        if isinstance(target, ast.Name) and target.id in self.fresh:  # grows in place
            operation = ast.BinOp(left=ast.Name(id=target.id), op=node.op, right=node.value)
            self.weights[target.id] = self._checked(self._weigh_operation(operation))
        elif isinstance(target, ast.Name):
            # a value this code did not build may be a list shared elsewhere: only a number
            # may change in place
            if not (isinstance(node.op, ast.Add | ast.Sub) and _number(node.value) is not None):
                raise _Unbounded
            self.weights[target.id] = self._checked(self.weights.get(target.id, 1) + 1)
        elif isinstance(target, ast.Subscript):
            operation = ast.BinOp(left=target, op=node.op, right=node.value)
            self._grow(target.value, self._checked(self._weigh_operation(operation)))
        else:
            raise _Unbounded

    def _branch(self, node: ast.If) -> None:
        self.weigh(node.test, shared=False)
        body, orelse = self.copy(), self.copy()
        body.run(node.body)
        orelse.run(node.orelse)
        for name in body.weights.keys() | orelse.weights.keys():
            self.weights[name] = max(body.weights.get(name, 1), orelse.weights.get(name, 1))
        self.fresh = body.fresh & orelse.fresh


@lru_cache(maxsize=4096)
def analyse(source: str, mode: str) -> Analysis:
    """Whether ``source`` (``"eval"`` or ``"exec"`` mode) is bounded, and what it touches."""
    try:
        tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except SyntaxError:
        return Analysis(False, frozenset(), frozenset())
    names = frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))
    checker = _Checker()
    try:
        if mode == "eval":
            checker.weigh(tree.body)
        else:
            checker.run(tree.body)
    except _Unbounded:
        return Analysis(False, names, frozenset(checker.calls))
    return Analysis(True, names, frozenset(checker.calls))


def is_small(value, budget: int = MAX_INPUT_UNITS) -> bool:
    """Whether ``value`` holds at most ``budget`` units (characters, items, digits), counting
    every time a part is reached (a list holding one long text twice counts it twice)."""
    if type(value) is str:
        return len(value) < budget
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or kind is bytes:
            budget -= len(item) + 1
        elif kind is int:
            budget -= item.bit_length() // 8 + 1
        elif kind is list or kind is tuple or kind is set or kind is frozenset:
            budget -= len(item) + 1
            stack.extend(item)
        elif kind is dict:
            budget -= 2 * len(item) + 1
            stack.extend(item)
            stack.extend(item.values())
        elif kind is Decimal:
            budget -= len(item.as_tuple().digits) + 1
        elif kind in (float, bool, type(None), datetime, date, timedelta):
            budget -= 1
        else:
            budget -= 1
        if budget < 0:
            return False
    return True
