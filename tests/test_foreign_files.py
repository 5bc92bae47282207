"""Diagrams and decision tables nobody here wrote, fed to `doleance validate` one by one: each
gets "OK" or one line per problem (file:line: element: message), never a traceback."""

from __future__ import annotations

import re
import shutil

import pytest
from click.testing import CliRunner

from cli.main import main as doleance
from tests.conftest import DATA

FOREIGN = DATA / "foreign"
FILES = sorted(p for p in FOREIGN.rglob("*") if p.suffix in (".bpmn", ".dmn"))
PROBLEM_LINE = re.compile(r"^(?P<file>[^:]+)(:\d+)?: \S+: \S.*$")


def test_the_foreign_corpus_is_large_enough_to_mean_something():
    assert len(FILES) >= 20
    assert {p.suffix for p in FILES} == {".bpmn", ".dmn"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(FOREIGN)))
def test_a_foreign_file_is_ok_or_explained_one_problem_a_line(path, tmp_path):
    alone = tmp_path / path.name  # validated alone: no table or diagram beside it
    shutil.copy(path, alone)

    result = CliRunner().invoke(doleance, ["validate", str(alone)], catch_exceptions=False)

    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        assert result.output.strip() == "1 file(s) OK"
        return
    *problems, summary = result.output.splitlines()
    assert summary == f"{len(problems)} problem(s) found"
    for line in problems:
        match = PROBLEM_LINE.match(line)
        assert match and match["file"] == str(alone), line
        assert " at 0x" not in line and "None" not in line, line


TABLES = [p for p in FILES if p.suffix == ".dmn"]
CALLER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs"
    targetNamespace="http://doleance.org/test">
  <bpmn:process id="caller" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f_in" sourceRef="start" targetRef="decide" />
    <bpmn:businessRuleTask id="decide"><bpmn:extensionElements>
      <spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>
    </bpmn:extensionElements></bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="f_out" sourceRef="decide" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.mark.parametrize("path", TABLES, ids=lambda p: str(p.relative_to(FOREIGN)))
def test_a_foreign_table_called_by_a_diagram_is_ok_or_explained(path, tmp_path):
    shutil.copy(path, tmp_path / path.name)
    decision = re.search(r'<(?:\w+:)?decision\b[^>]*\bid="([^"]+)"', path.read_text())
    diagram = tmp_path / "caller.bpmn"
    diagram.write_text(CALLER.format(decision=decision[1] if decision else "none"))

    named = [str(diagram), str(tmp_path / path.name)]

    result = CliRunner().invoke(doleance, ["validate", *named], catch_exceptions=False)

    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert lines[-1] in ("2 file(s) OK", f"{len(lines) - 1} problem(s) found"), result.output
    for line in lines[:-1]:
        assert PROBLEM_LINE.match(line) and " at 0x" not in line and "None" not in line, line
