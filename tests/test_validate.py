"""`doleance validate` tells a process owner what is wrong, where, in words — never a traceback."""

from __future__ import annotations

import html

import pytest
from click.testing import CliRunner

from cli.main import main as doleance
from engine import services
from engine.config import PROJECT_ROOT
from engine.errors import DeploymentError
from tests.conftest import DATA

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


# --- a process owner's folder: diagrams with what sits beside them (issue 11) -------------------

FOREIGN = DATA / "foreign"


def test_the_shipped_diagrams_validate_with_the_tables_beside_them(runner):
    diagrams = sorted(str(p) for p in (PROJECT_ROOT / "processes").glob("*.bpmn"))

    result = runner.invoke(
        doleance, ["validate", *diagrams, "--forms", str(PROJECT_ROOT / "forms")]
    )

    assert result.exit_code == 0, result.output
    assert f"{len(diagrams)} file(s) OK" in result.output


def test_a_decision_file_alone_that_is_not_xml_is_a_problem(runner, tmp_path):
    table = tmp_path / "broken.dmn"
    table.write_text("this is not XML")

    result = runner.invoke(doleance, ["validate", str(table)])

    assert result.exit_code == 1
    assert f"{table}:1: -: not well-formed XML" in result.output


def test_a_broken_table_beside_a_diagram_is_reported_with_it(runner, tmp_path):
    for name in ("business_rule_task.bpmn", "business_rules.dmn"):
        (tmp_path / name).write_text((FOREIGN / "spiffworkflow" / name).read_text())
    table = tmp_path / "business_rules.dmn"
    table.write_text(table.read_text().replace('<text>"A"</text>', "<text>= 1</text>"))

    result = runner.invoke(doleance, ["validate", str(tmp_path / "business_rule_task.bpmn")])

    assert result.exit_code == 1
    assert f"{table}:20: UnaryTests_1u0ex1a: the cell '= 1' is not valid" in result.output


# --- decision tables from other modelers and versions --------------------------------------------

NO_NAMESPACE = "<definitions id='a'/>"
UNDECLARED_PREFIX = (
    '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d">'
    '<dmn:decision id="x"/></definitions>'
)
DMN_CASES = {
    "decision_service": (
        (FOREIGN / "spiffworkflow" / "dmn13-decision-service.dmn").read_text(),
        ":11: DecisionService_1: <decisionService> is not supported by the engine",
    ),
    "dmn12_with_layout": (
        (FOREIGN / "spiffworkflow" / "dmn12-shape-with-label-text.dmn").read_text(),
        ":11: Decision_1: the decision 'Decision_1' has no decision table",
    ),
    "no_decision_table": (
        (FOREIGN / "spiffworkflow" / "dmn13-listed-input-data.dmn").read_text(),
        ":11: Decision_1: the decision 'Decision_1' has no decision table",
    ),
    "prefixed_dmn11": (
        (FOREIGN / "dmn-tck" / "0004-simpletable-U.dmn").read_text(),
        ":19: -: this <decisionTable> has no id",
    ),
    "no_namespace": (NO_NAMESPACE, ":1: -: not a DMN file: the root element is <definitions>"),
    "bom_no_namespace": ("\ufeff" + NO_NAMESPACE, ":1: -: not a DMN file"),
    "undeclared_prefix": (UNDECLARED_PREFIX, ":1: -: not well-formed XML: Namespace prefix dmn"),
    "dmn14": (
        '<definitions xmlns="https://www.omg.org/spec/DMN/20211108/MODEL/" id="d"/>',
        ":1: d: DMN 1.4 is not supported; save the file as DMN 1.3",
    ),
}


@pytest.mark.parametrize("case", sorted(DMN_CASES))
def test_a_decision_file_the_engine_cannot_run_is_explained_on_one_line(case, runner, tmp_path):
    text, expected = DMN_CASES[case]
    table = tmp_path / f"{case}.dmn"
    table.write_text(text, encoding="utf-8")

    result = runner.invoke(doleance, ["validate", str(table)])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"{table}{expected}" in result.output


def test_a_schema_error_in_a_decision_file_is_not_called_bpmn_and_has_its_line(runner, tmp_path):
    table = tmp_path / "routing.dmn"
    table.write_text(
        (PROJECT_ROOT / "processes" / "routing.dmn").read_text().replace("hitPolicy=", "hitPolcy=")
    )
    line = table.read_text()[: table.read_text().index("hitPolcy")].count("\n") + 1

    result = runner.invoke(doleance, ["validate", str(table)])

    assert result.exit_code == 1
    assert f"{table}:{line}: " in result.output
    assert "not valid DMN: Element 'dmn:decisionTable', attribute 'hitPolcy'" in result.output
    assert "BPMN" not in result.output


def test_every_cell_of_a_decision_table_is_compiled_as_the_engine_runs_it(runner, tmp_path):
    table = tmp_path / "routing.dmn"
    table.write_text(
        (PROJECT_ROOT / "processes" / "routing.dmn")
        .read_text()
        .replace('<text>"billing"</text>\n        </inputEntry>', "<text>= 1</text></inputEntry>")
        .replace('<text>"delivery"</text>', "<text>delivry</text>")
    )

    result = runner.invoke(doleance, ["validate", str(table)])

    assert result.exit_code == 1, result.output
    assert f"{table}:17: routing_rule_1_in_0: the cell '= 1' is not valid" in result.output
    assert (
        f"{table}:25: routing_rule_2_in_0: the cell 'delivry' uses 'delivry', which is none of "
        'the table\'s inputs (category); quote text values, like "delivry"'
    ) in result.output


# --- every problem, in one run, where it is ------------------------------------------------------


def test_every_service_task_without_an_operation_is_reported_in_one_run(runner, tmp_path):
    path = tmp_path / "services.bpmn"
    path.write_text(
        simple(
            '    <bpmn:serviceTask id="task" />\n'
            '    <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="second" />\n'
            '    <bpmn:serviceTask id="second" />\n'
            '    <bpmn:sequenceFlow id="f3" sourceRef="second" targetRef="third" />\n'
            '    <bpmn:serviceTask id="third" />\n'
            '    <bpmn:sequenceFlow id="f_out" sourceRef="third" targetRef="end" />'
        )
    )

    result = runner.invoke(doleance, ["validate", str(path)])

    assert result.exit_code == 1
    assert [line.split(": ")[0:2] for line in result.output.splitlines()[:3]] == [
        [f"{path}:8", "task"],
        [f"{path}:10", "second"],
        [f"{path}:12", "third"],
    ]
    assert all("names no operation" in line for line in result.output.splitlines()[:3])


def test_problems_of_several_kinds_and_files_come_in_one_run(runner, tmp_path):
    broken = tmp_path / "broken.bpmn"
    broken.write_text(
        simple(
            '    <bpmn:callActivity id="task" />\n'
            '    <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="s" />\n'
            '    <bpmn:scriptTask id="s"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>\n'
            '    <bpmn:sequenceFlow id="f_out" sourceRef="s" targetRef="ghost" />'
        )
    )
    table = tmp_path / "table.dmn"
    table.write_text(NO_NAMESPACE)

    result = runner.invoke(doleance, ["validate", str(broken), str(table)])

    assert result.exit_code == 1
    assert "4 problem(s) found" in result.output
    assert f"{broken}:10: s: the script 'import os' imports a module" in result.output
    assert f"{broken}:8: task: the call activity names no process to call" in result.output
    assert f"{broken}:11: f_out: sequence flow leads to 'ghost'" in result.output
    assert f"{table}:1: -: not a DMN file" in result.output


# --- messages that name the element, its line and what to do ---------------------------------

ELEMENT_CASES = {
    "data_store": (
        (FOREIGN / "spiffworkflow" / "data_store.bpmn").read_text(),
        ":3: variableTiedToDataStore: the data store 'TestDataStore' cannot be used",
    ),
    "call_without_process": (
        simple(
            '    <bpmn:callActivity id="task" />\n'
            '    <bpmn:sequenceFlow id="f_out" sourceRef="task" targetRef="end" />'
        ),
        ":8: task: the call activity names no process to call; set the process it calls",
    ),
    "camunda_decision": (
        simple(
            '    <bpmn:businessRuleTask id="task" camunda:decisionRef="routing" '
            'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" />\n'
            '    <bpmn:sequenceFlow id="f_out" sourceRef="task" targetRef="end" />'
        ),
        ":8: task: the decision is named in camunda:decisionRef, which this engine does not read;"
        " name it in spiffworkflow:calledDecisionId",
    ),
    "dangling_data_input": (
        simple(
            '    <bpmn:task id="task"><bpmn:property id="in" />'
            '<bpmn:dataInputAssociation id="a"><bpmn:sourceRef>nowhere</bpmn:sourceRef>'
            "<bpmn:targetRef>in</bpmn:targetRef></bpmn:dataInputAssociation></bpmn:task>\n"
            '    <bpmn:sequenceFlow id="f_out" sourceRef="task" targetRef="end" />'
        ),
        ":8: task: the data association refers to 'nowhere', which is no data object",
    ),
}


@pytest.mark.parametrize("case", sorted(ELEMENT_CASES))
def test_a_problem_names_its_element_its_line_and_what_to_do(case, runner, tmp_path):
    text, expected = ELEMENT_CASES[case]
    path = tmp_path / f"{case}.bpmn"
    path.write_text(text)

    result = runner.invoke(doleance, ["validate", str(path)])

    assert result.exit_code == 1, result.output
    assert f"{path}{expected}" in result.output.splitlines()[0]
    assert "None" not in result.output and " at 0x" not in result.output


# --- diagram code the sandbox would refuse, refused before it runs -----------------------------

REFUSED_SCRIPTS = {
    "import os\nfolder = os.getcwd()": "imports a module, which diagram code cannot do",
    "content = open('/etc/passwd').read()": "uses 'open', which the sandbox does not give",
    "kind = getattr(customer, 'kind')": "uses 'getattr', which the sandbox does not give",
    "text = '{0.__class__}'.format(customer)": "calls .format(), which diagram code cannot use",
    "print(customer)": "uses 'print', which the sandbox does not give",
}


def script_diagram(code: str) -> str:
    return simple(
        f'    <bpmn:scriptTask id="task"><bpmn:script>{html.escape(code)}</bpmn:script>'
        "</bpmn:scriptTask>\n"
        '    <bpmn:sequenceFlow id="f_out" sourceRef="task" targetRef="end" />'
    )


@pytest.mark.parametrize("code", sorted(REFUSED_SCRIPTS))
def test_a_script_reaching_outside_the_sandbox_is_refused_by_validate(code, runner, tmp_path):
    path = tmp_path / "script.bpmn"
    path.write_text(script_diagram(code))

    result = runner.invoke(doleance, ["validate", str(path)])

    assert result.exit_code == 1
    assert f"{path}:8: task: the script" in result.output
    assert REFUSED_SCRIPTS[code] in result.output


def test_a_script_reaching_outside_the_sandbox_is_refused_by_deploy(uow):
    with pytest.raises(DeploymentError) as refused:
        services.deploy_version({"p.bpmn": script_diagram("import os")}, "olivia", uow())

    assert "imports a module" in str(refused.value.problems[0])


def test_scripts_using_task_data_helpers_and_the_sandbox_builtins_pass(runner, tmp_path):
    path = tmp_path / "script.bpmn"
    path.write_text(
        script_diagram(
            "type = kind or 'letter'\nlabel = type.upper()\n"
            "remedies = sorted(set(chosen))\n"
            "due = deadline('answer', received_at)\nsoon = in_days(3)"
        )
    )

    result = runner.invoke(doleance, ["validate", str(path)])

    assert result.exit_code == 0, result.output
