/*
 * The spiffworkflow: extension elements our diagrams use, described for bpmn-js (moddle),
 * so that the modeler reads, edits and writes them back instead of dropping them.
 * One type per element of SpiffWorkflow's spiffworkflow.xsd, plus the ones its parser reads.
 */
(function (global) {
  "use strict";

  function textElement(name) {
    return {
      name: name,
      superClass: ["Element"],
      properties: [{ name: "value", type: "String", isBody: true }]
    };
  }

  global.DoleanceSpiffworkflowModdle = {
    name: "SpiffWorkflow",
    uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
    prefix: "spiffworkflow",
    xml: { tagAlias: "lowerCase" },
    associations: [],
    types: [
      textElement("CalledDecisionId"),
      textElement("InstructionsForEndUser"),
      textElement("MessagePayload"),
      textElement("MessageVariable"),
      textElement("PayloadExpression"),
      textElement("VariableName"),
      textElement("PreScript"),
      textElement("PostScript"),
      textElement("InputJson"),
      textElement("ExpectedOutputJson"),
      {
        name: "Properties",
        superClass: ["Element"],
        properties: [{ name: "properties", type: "Property", isMany: true }]
      },
      {
        name: "Property",
        superClass: ["Element"],
        properties: [
          { name: "name", type: "String", isAttr: true },
          { name: "value", type: "String", isAttr: true }
        ]
      },
      {
        name: "ServiceTaskOperator",
        superClass: ["Element"],
        properties: [
          { name: "id", type: "String", isAttr: true },
          { name: "resultVariable", type: "String", isAttr: true },
          { name: "parameterList", type: "Parameters" },
          { name: "retry", type: "Retry" }
        ]
      },
      {
        name: "Parameters",
        superClass: ["Element"],
        properties: [{ name: "parameters", type: "Parameter", isMany: true }]
      },
      {
        name: "Parameter",
        superClass: ["Element"],
        properties: [
          { name: "id", type: "String", isAttr: true },
          { name: "type", type: "String", isAttr: true },
          { name: "value", type: "String", isAttr: true }
        ]
      },
      {
        name: "Retry",
        superClass: ["Element"],
        properties: [
          { name: "retries", type: "Integer", isAttr: true },
          { name: "backoff_base", type: "Integer", isAttr: true }
        ]
      },
      {
        name: "UnitTests",
        superClass: ["Element"],
        properties: [{ name: "unitTests", type: "UnitTest", isMany: true }]
      },
      {
        name: "UnitTest",
        superClass: ["Element"],
        properties: [
          { name: "id", type: "String", isAttr: true },
          { name: "inputJson", type: "InputJson" },
          { name: "expectedOutputJson", type: "ExpectedOutputJson" }
        ]
      },
      {
        name: "ProcessVariableCorrelation",
        superClass: ["Element"],
        properties: [
          { name: "propertyId", type: "PropertyId" },
          { name: "expression", type: "Expression" }
        ]
      },
      textElement("PropertyId"),
      textElement("Expression"),
      {
        name: "TaskMetadataValues",
        superClass: ["Element"],
        properties: [{ name: "values", type: "TaskMetadataValue", isMany: true }]
      },
      {
        name: "TaskMetadataValue",
        superClass: ["Element"],
        properties: [
          { name: "name", type: "String", isAttr: true },
          { name: "value", type: "String", isAttr: true }
        ]
      }
    ]
  };
})(typeof window !== "undefined" ? window : globalThis);
