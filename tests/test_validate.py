"""`doleance validate` tells a process owner what is wrong, where, in words — never a traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.conftest import DATA
from webui.cli import main as doleance

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs" targetNamespace="http://doleance.org/test">
"""


def diagram(body: str, process_id: str = "p", executable: str = "true") -> str:
    return (
        f'{HEADER}  <bpmn:process id="{process_id}" isExecutable="{executable}">\n'
        f"{body}\n  </bpmn:process>\n</bpmn:definitions>\n"
    )


def simple(middle: str, first: str = "task") -> str:
    return diagram(
        '    <bpmn:startEvent id="start" />\n'
        f'    <bpmn:sequenceFlow id="f_in" sourceRef="start" targetRef="{first}" />\n'
        f"{middle}\n"
        '    <bpmn:endEvent id="end" />'
    )


CASES = {
    "bad_xml": (
        HEADER + '  <bpmn:process id="p">\n    <bpmn:startEvent id="s">\n</bpmn:definitions>',
        ["bad_xml.bpmn:7: -: not well-formed XML"],
    ),
    "flow_to_nowhere": (
        simple(
            '    <bpmn:task id="task" />\n'
            '    <bpmn:sequenceFlow id="f_out" sourceRef="task" targetRef="ghost" />'
        ),
        ["flow_to_nowhere.bpmn:9: f_out: sequence flow leads to 'ghost', which does not exist"],
    ),
    "complex_gateway": (
        simple(
            '    <bpmn:complexGateway id="task" />\n'
            '    <bpmn:sequenceFlow id="f_out" sourceRef="task" targetRef="end" />'
        ),
        ["complex_gateway.bpmn:8: task: 'complexGateway' is not supported by the engine"],
    ),
    "missing_called_process": (
        simple(
            '    <bpmn:callActivity id="task" calledElement="evaluation" />\n'
            '    <bpmn:sequenceFlow id="f_out" sourceRef="task" targetRef="end" />'
        ),
        ["missing_called_process.bpmn:8: task: calls the process 'evaluation', which none"],
    ),
    "unquoted_timer": (
        simple(
            '    <bpmn:intermediateCatchEvent id="task"><bpmn:timerEventDefinition>'
            "<bpmn:timeDuration>P10D</bpmn:timeDuration></bpmn:timerEventDefinition>"
            "</bpmn:intermediateCatchEvent>\n"
            '    <bpmn:sequenceFlow id="f_out" sourceRef="task" targetRef="end" />'
        ),
        ["unquoted_timer.bpmn:8: task: the timer 'P10D' is a bare ISO value", 'write "P10D"'],
    ),
    "broken_timer_expression": (
        simple(
            '    <bpmn:intermediateCatchEvent id="task"><bpmn:timerEventDefinition>'
            '<bpmn:timeDate>deadline("answer", </bpmn:timeDate></bpmn:timerEventDefinition>'
            "</bpmn:intermediateCatchEvent>\n"
            '    <bpmn:sequenceFlow id="f_out" sourceRef="task" targetRef="end" />'
        ),
        ["broken_timer_expression.bpmn:8: task: the timer 'deadline(\"answer\",' is not valid"],
    ),
    "broken_condition": (
        simple(
            '    <bpmn:exclusiveGateway id="task" default="f_no" />\n'
            '    <bpmn:sequenceFlow id="f_yes" sourceRef="task" targetRef="end">'
            "<bpmn:conditionExpression>amount &gt;&gt; &gt; 3</bpmn:conditionExpression>"
            "</bpmn:sequenceFlow>\n"
            '    <bpmn:sequenceFlow id="f_no" sourceRef="task" targetRef="end" />'
        ),
        ["broken_condition.bpmn:9: f_yes: the condition 'amount >> > 3' is not valid"],
    ),
    "no_start_event": (
        diagram('    <bpmn:task id="task" />'),
        ["no_start_event.bpmn:5: p: the process has no start event"],
    ),
    "not_executable": (
        diagram('    <bpmn:startEvent id="start" />', executable="false"),
        ["not_executable.bpmn:5: p: no process in this file is executable"],
    ),
    "misspelt_attribute": (
        simple(
            '    <bpmn:task id="task" nmae="Typo" />\n'
            '    <bpmn:sequenceFlow id="f_out" sourceRef="task" targetRef="end" />'
        ),
        ["misspelt_attribute.bpmn:8: task: not valid BPMN", "nmae"],
    ),
    "missing_form": (
        simple(
            '    <bpmn:userTask id="task"><bpmn:extensionElements><spiffworkflow:properties>'
            '<spiffworkflow:property name="form" value="nowhere.json" />'
            "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>\n"
            '    <bpmn:sequenceFlow id="f_out" sourceRef="task" targetRef="end" />'
        ),
        ["missing_form.bpmn:8: task: uses the form 'nowhere.json', which is not among the form"],
    ),
}


@pytest.fixture
def runner():
    return CliRunner()


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_broken_diagram_is_explained_on_one_line(case, runner, tmp_path):
    text, expected = CASES[case]
    path = tmp_path / f"{case}.bpmn"
    path.write_text(text)

    result = runner.invoke(doleance, ["validate", str(path), "--forms", str(tmp_path)])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    first_line = result.output.splitlines()[0]
    for fragment in expected:
        assert fragment in first_line, first_line
    assert first_line.startswith(str(tmp_path))


def test_a_broken_form_reports_each_problem_with_its_line(runner, tmp_path):
    form = tmp_path / "bad.json"
    form.write_text(
        '{"title": {"fr": "T", "en": "T"},\n "fields": [\n'
        '  {"key": "x", "type": "choise", "label": {"fr": "X", "en": "X"}}\n]}'
    )

    result = runner.invoke(doleance, ["validate", str(form)])

    assert result.exit_code == 1
    assert "forms/bad.json:3: x: type 'choise' is unknown" in result.output


def test_valid_files_exit_0(runner):
    files = [str(DATA / "basic" / name) for name in ("claim.bpmn", "fragile.bpmn")]

    result = runner.invoke(doleance, ["validate", *files, "--forms", str(DATA / "basic" / "forms")])

    assert result.exit_code == 0, result.output
    assert "2 file(s) OK" in result.output


def test_a_file_that_does_not_exist_is_a_problem_not_a_crash(runner, tmp_path):
    result = runner.invoke(doleance, ["validate", str(tmp_path / "nope.bpmn")])

    assert result.exit_code == 1
    assert "nope.bpmn: -: no such file" in result.output


def test_a_broken_policy_file_alone_is_reported(runner, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[deadlines.answer]\npreset = "acpr-anser"\n')

    result = runner.invoke(doleance, ["validate", str(policy)])

    assert result.exit_code == 1
    assert "deadlines.answer: Deadline rule 'answer': unknown preset 'acpr-anser'" in result.output
