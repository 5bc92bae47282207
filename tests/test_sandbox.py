"""Diagram code runs in a sandbox: a process owner's typo or malice cannot reach the server."""

from __future__ import annotations

import pytest

from engine.bpmn.sandbox import compile_restricted
from engine.bpmn.workflow import RestrictedTaskDataEnvironment


@pytest.fixture
def sandbox():
    return RestrictedTaskDataEnvironment({})


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('true')",
        "open('/etc/passwd').read()",
        "().__class__.__base__.__subclasses__()",
        "[c for c in ().__class__.__bases__[0].__subclasses__()]",
        "getattr((), '__class__')",
    ],
)
def test_a_condition_cannot_reach_the_system(sandbox, expression):
    with pytest.raises((SyntaxError, NameError, AttributeError, ImportError, TypeError)):
        sandbox.evaluate(expression, {})


def test_a_script_cannot_import_a_module(sandbox):
    with pytest.raises(ImportError):
        sandbox.execute("import os\nresult = os.getcwd()", {})


def test_a_script_cannot_open_files(sandbox):
    with pytest.raises(NameError):
        sandbox.execute("content = open('/etc/passwd').read()", {})


def test_dunder_access_is_refused_when_the_diagram_is_compiled():
    with pytest.raises(SyntaxError, match="invalid attribute name"):
        compile_restricted("x = ().__class__", "exec")


def test_ordinary_conditions_and_scripts_work(sandbox):
    data = {"amount": 120, "remedies": ["refund", "apology"]}

    assert sandbox.evaluate("amount > 100 and 'refund' in remedies", data) is True
    sandbox.execute("total = sum([amount, 30])\nlabels = sorted(remedies)\ntotal += 1", data)

    assert data["total"] == 151
    assert data["labels"] == ["apology", "refund"]


def test_helpers_given_to_diagrams_are_callable_but_not_stored(sandbox):
    env = RestrictedTaskDataEnvironment({"double": lambda v: v * 2})
    data = {"amount": 4}

    env.execute("doubled = double(amount)", data)

    assert data == {"amount": 4, "doubled": 8}
