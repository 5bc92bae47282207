"""Small diagrams written by tests: one process, its elements given as BPMN text."""

from __future__ import annotations

from xml.sax.saxutils import escape


def process(process_id: str, elements: str) -> str:
    """A BPMN file holding one executable process made of ``elements``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="tests"
                  targetNamespace="https://doleance.example/tests">
  <bpmn:process id="{process_id}" isExecutable="true">
    <bpmn:startEvent id="start" />
{elements}
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""


def task_then_script(process_id: str, task_name: str, script_name: str, script: str) -> str:
    """A person completes the task ``fill``, then the script task ``compute`` runs ``script``."""
    return process(
        process_id,
        f"""    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill" />
    <bpmn:task id="fill" name="{escape(task_name)}" />
    <bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="compute" />
    <bpmn:scriptTask id="compute" name="{escape(script_name)}">
      <bpmn:script>{escape(script)}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="compute" targetRef="end" />""",
    )


def gateway(process_id: str, gateway_name: str, condition: str) -> str:
    """The gateway ``route`` takes its conditional flow when ``condition`` holds."""
    return process(
        process_id,
        f"""    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="route" />
    <bpmn:exclusiveGateway id="route" name="{escape(gateway_name)}" default="f3" />
    <bpmn:sequenceFlow id="f2" sourceRef="route" targetRef="end">
      <bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="route" targetRef="end" />""",
    )
