/*
 * The studio's diagram and decision-table editors (bpmn-js and dmn-js modelers).
 *
 * The page gives everything through data-* attributes of #studio-editor: the kind (bpmn or
 * dmn), where to load the file from (a JSON answer with its text and source hash) and where to
 * save it. Saving POSTs the XML; the server checks the whole would-be version and either keeps
 * the draft or answers with the problems, which are listed and marked on the canvas.
 */
(function () {
  "use strict";

  var editor = document.getElementById("studio-editor");
  if (!editor) {
    return;
  }

  var kind = editor.dataset.kind;
  var saveButton = document.getElementById("save-diagram");
  var statusLine = document.getElementById("save-status");
  var problemsSection = document.getElementById("problems-section");
  var problemsList = document.getElementById("problems");
  var loadError = document.getElementById("load-error");
  var csrfToken = document.getElementById("csrf-token").value;
  var PROBLEM_MARKER = "studio-problem";

  /* Words come from the page (data-msg-*), so they follow the reader's language. */
  function message(name, values) {
    var text = editor.dataset["msg" + name] || name;
    Object.keys(values || {}).forEach(function (key) {
      text = text.replace("%(" + key + ")s", values[key]);
    });
    return text;
  }

  var state = { sourceHash: null, dirty: false, saving: false, marked: [] };
  var modeler = null;

  function say(message, tone) {
    statusLine.textContent = message;
    statusLine.className = "save-status" + (tone ? " save-status-" + tone : "");
  }

  function setDirty(dirty) {
    state.dirty = dirty;
    editor.classList.toggle("is-dirty", dirty);
    if (dirty) {
      say(message("Dirty"), "pending");
    }
  }

  window.addEventListener("beforeunload", function (event) {
    if (state.dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // --- loading -----------------------------------------------------------------------------

  function load() {
    return fetch(editor.dataset.contentUrl, { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (file) {
        state.sourceHash = file.source_hash;
        return modeler.importXML(file.text);
      })
      .then(function (result) {
        if (result && result.warnings && result.warnings.length) {
          say(message("Warnings", {
            warnings: result.warnings.map(function (w) { return w.message; }).join(" ; ")
          }), "error");
        }
        afterImport();
        setDirty(false);
      })
      .catch(function (error) {
        loadError.hidden = false;
        loadError.textContent = message("LoadFailed", { reason: error.message });
      });
  }

  // --- saving ------------------------------------------------------------------------------

  function save() {
    if (state.saving) {
      return;
    }
    state.saving = true;
    saveButton.disabled = true;
    say(message("Saving"), "pending");
    modeler.saveXML({ format: true })
      .then(function (result) {
        return fetch(editor.dataset.saveUrl, {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            Accept: "application/json",
            "X-CSRFToken": csrfToken
          },
          body: JSON.stringify({ text: result.xml, source_hash: state.sourceHash })
        });
      })
      .then(function (response) {
        return response.json().then(function (answer) {
          return { status: response.status, answer: answer };
        });
      })
      .then(function (result) {
        var answer = result.answer;
        showProblems(answer.problems || []);
        if (answer.saved) {
          state.sourceHash = answer.source_hash;
          setDirty(false);
          say(answer.message, "ok");
          editor.dataset.saved = "true";
        } else {
          say(answer.message || message("NotSaved"), "error");
        }
      })
      .catch(function (error) {
        say(message("SaveFailed", { reason: error.message }), "error");
      })
      .then(function () {
        state.saving = false;
        saveButton.disabled = false;
      });
  }

  saveButton.addEventListener("click", save);
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
      event.preventDefault();
      save();
    }
  });

  // --- problems ------------------------------------------------------------------------------

  function showProblems(problems) {
    unmarkAll();
    problemsList.textContent = "";
    problemsSection.hidden = problems.length === 0;
    problems.forEach(function (problem) {
      var item = document.createElement("li");
      item.className = "problem";
      var where = [];
      if (!problem.in_this_file) {
        where.push(problem.file);
      }
      if (problem.line) {
        where.push(message("Line", { line: problem.line }));
      }
      var text = (where.length ? where.join(", ") + " : " : "") + problem.message;
      if (problem.element_id && problem.in_this_file) {
        item.dataset.elementId = problem.element_id;
        var button = document.createElement("button");
        button.type = "button";
        button.className = "link problem-link";
        button.textContent = problem.element_id;
        button.addEventListener("click", function () {
          focusElement(problem.element_id);
        });
        item.appendChild(button);
        item.appendChild(document.createTextNode(" : " + text));
        mark(problem.element_id);
      } else {
        item.textContent = (problem.element_id ? problem.element_id + " : " : "") + text;
      }
      problemsList.appendChild(item);
    });
    if (problems.length) {
      problemsSection.scrollIntoView({ block: "nearest" });
    }
  }

  // --- the BPMN modeler --------------------------------------------------------------------

  function bpmnEditor() {
    modeler = new window.BpmnJS({
      container: "#canvas",
      moddleExtensions: { spiffworkflow: window.DoleanceSpiffworkflowModdle }
    });
    var sidebar = propertiesSidebar(modeler);

    afterImport = function () {
      modeler.get("canvas").zoom("fit-viewport");
      sidebar.show(null);
    };
    modeler.on("commandStack.changed", function () {
      setDirty(true);
      sidebar.refresh();
    });
    modeler.on("selection.changed", function (event) {
      sidebar.show(event.newSelection.length === 1 ? event.newSelection[0] : null);
    });

    mark = function (id) {
      var element = modeler.get("elementRegistry").get(id);
      if (element) {
        modeler.get("canvas").addMarker(element, PROBLEM_MARKER);
        state.marked.push(element);
      }
    };
    unmarkAll = function () {
      state.marked.forEach(function (element) {
        modeler.get("canvas").removeMarker(element, PROBLEM_MARKER);
      });
      state.marked = [];
    };
    focusElement = function (id) {
      var element = modeler.get("elementRegistry").get(id);
      if (!element) {
        return;
      }
      var canvas = modeler.get("canvas");
      if (typeof canvas.scrollToElement === "function") {
        canvas.scrollToElement(element);
      }
      modeler.get("selection").select(element);
      document.getElementById("canvas").focus();
    };
  }

  /* The properties our processes use, for the selected element:
     name, documentation, lane, form file, timer, clock and condition. */
  function propertiesSidebar(bpmn) {
    var form = document.getElementById("properties-form");
    var empty = document.getElementById("properties-empty");
    var fields = {
      name: document.getElementById("prop-name"),
      documentation: document.getElementById("prop-documentation"),
      lane: document.getElementById("prop-lane"),
      form: document.getElementById("prop-form"),
      timerType: document.getElementById("prop-timer-type"),
      timer: document.getElementById("prop-timer"),
      clock: document.getElementById("prop-clock"),
      clockRole: document.getElementById("prop-clock-role"),
      condition: document.getElementById("prop-condition")
    };
    var current = null;

    function modeling() { return bpmn.get("modeling"); }
    function moddle() { return bpmn.get("moddle"); }
    function is(element, type) { return element.businessObject.$instanceOf(type); }

    function timerDefinition(element) {
      var definitions = element.businessObject.eventDefinitions || [];
      return definitions.filter(function (d) {
        return d.$type === "bpmn:TimerEventDefinition";
      })[0] || null;
    }

    function spiffProperties(element) {
      var extensions = element.businessObject.extensionElements;
      var values = extensions ? extensions.get("values") : [];
      return values.filter(function (v) { return v.$type === "spiffworkflow:Properties"; })[0] || null;
    }

    function spiffProperty(element, name) {
      var properties = spiffProperties(element);
      var found = properties ? properties.get("properties").filter(function (p) {
        return p.name === name;
      })[0] : null;
      return found ? found.value || "" : "";
    }

    function setSpiffProperty(element, name, value) {
      var properties = spiffProperties(element);
      var existing = properties ? properties.get("properties").filter(function (p) {
        return p.name === name;
      })[0] : null;
      if (existing && value) {
        modeling().updateModdleProperties(element, existing, { value: value });
      } else if (existing) {
        modeling().updateModdleProperties(element, properties, {
          properties: properties.get("properties").filter(function (p) { return p !== existing; })
        });
      } else if (value && properties) {
        var added = moddle().create("spiffworkflow:Property", { name: name, value: value });
        added.$parent = properties;
        modeling().updateModdleProperties(element, properties, {
          properties: properties.get("properties").concat([added])
        });
      } else if (value) {
        var bo = element.businessObject;
        var extensions = bo.extensionElements;
        var property = moddle().create("spiffworkflow:Property", { name: name, value: value });
        var created = moddle().create("spiffworkflow:Properties", { properties: [property] });
        property.$parent = created;
        if (extensions) {
          created.$parent = extensions;
          modeling().updateModdleProperties(element, extensions, {
            values: extensions.get("values").concat([created])
          });
        } else {
          extensions = moddle().create("bpmn:ExtensionElements", { values: [created] });
          created.$parent = extensions;
          extensions.$parent = bo;
          modeling().updateProperties(element, { extensionElements: extensions });
        }
      }
    }

    function documentation(element) {
      var docs = element.businessObject.get("documentation") || [];
      return docs.map(function (d) { return d.text || ""; }).join("\n");
    }

    function lanes() {
      return bpmn.get("elementRegistry").filter(function (e) { return e.type === "bpmn:Lane"; });
    }

    function laneOf(element) {
      var bo = element.businessObject;
      var found = lanes().filter(function (lane) {
        return (lane.businessObject.get("flowNodeRef") || []).indexOf(bo) >= 0;
      });
      return found.length ? found[found.length - 1] : null;
    }

    function show(element) {
      if (element && element.type === "label") {
        element = element.labelTarget;  // a flow's or an event's name: edit its element
      }
      current = element;
      var usable = element && element.businessObject && !is(element, "bpmn:Definitions");
      form.hidden = !usable;
      empty.hidden = !!usable;
      if (!usable) {
        return;
      }
      var bo = element.businessObject;
      document.getElementById("prop-id").textContent = bo.id;
      document.getElementById("prop-type").textContent = bo.$type.replace("bpmn:", "");
      var timer = timerDefinition(element);
      var flowNode = is(element, "bpmn:FlowNode");
      var visible = {
        name: true,
        documentation: true,
        lane: flowNode && !is(element, "bpmn:BoundaryEvent") && lanes().length > 0,
        form: is(element, "bpmn:UserTask"),
        timer: !!timer,
        clock: !!timer,
        condition: is(element, "bpmn:SequenceFlow")
      };
      Array.prototype.forEach.call(form.querySelectorAll("[data-property]"), function (box) {
        box.hidden = !visible[box.dataset.property];
      });
      fields.name.value = bo.name || "";
      fields.documentation.value = documentation(element);
      if (visible.lane) {
        fields.lane.textContent = "";
        var inLane = laneOf(element);
        lanes().forEach(function (lane) {
          var option = document.createElement("option");
          option.value = lane.id;
          option.textContent = lane.businessObject.name || lane.id;
          option.selected = inLane === lane;
          fields.lane.appendChild(option);
        });
      }
      if (visible.form) {
        var formFile = spiffProperty(element, "form");
        if (formFile && !Array.prototype.some.call(fields.form.options, function (o) {
          return o.value === formFile;
        })) {
          var missing = document.createElement("option");
          missing.value = formFile;
          missing.textContent = message("MissingForm", { form: formFile });
          fields.form.appendChild(missing);
        }
        fields.form.value = formFile;
      }
      if (timer) {
        var timerType = ["timeDate", "timeDuration", "timeCycle"].filter(function (t) {
          return timer.get(t);
        })[0] || "timeDate";
        fields.timerType.value = timerType;
        fields.timer.value = timer.get(timerType) ? timer.get(timerType).body || "" : "";
        fields.clock.value = spiffProperty(element, "clock");
        fields.clockRole.value = spiffProperty(element, "clock_role");
      }
      if (visible.condition) {
        fields.condition.value = bo.conditionExpression ? bo.conditionExpression.body || "" : "";
      }
    }

    function onChange(field, apply) {
      field.addEventListener("change", function () {
        if (current) {
          apply(current, field.value.trim());
        }
      });
    }

    onChange(fields.name, function (element, value) {
      modeling().updateProperties(element, { name: value || undefined });
    });
    onChange(fields.documentation, function (element, value) {
      var docs = value ? [moddle().create("bpmn:Documentation", { text: value })] : [];
      modeling().updateProperties(element, { documentation: docs });
    });
    onChange(fields.lane, function (element, laneId) {
      var lane = bpmn.get("elementRegistry").get(laneId);
      if (!lane || laneOf(element) === lane) {
        return;
      }
      var delta = (lane.y + lane.height / 2) - (element.y + element.height / 2);
      modeling().moveElements([element], { x: 0, y: delta });
    });
    onChange(fields.form, function (element, value) {
      setSpiffProperty(element, "form", value);
    });
    function applyTimer(element) {
      var timer = timerDefinition(element);
      var expression = fields.timer.value.trim();
      var changes = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
      if (expression) {
        changes[fields.timerType.value] = moddle().create("bpmn:FormalExpression", { body: expression });
      }
      modeling().updateModdleProperties(element, timer, changes);
    }
    onChange(fields.timer, applyTimer);
    onChange(fields.timerType, applyTimer);
    onChange(fields.clock, function (element, value) {
      setSpiffProperty(element, "clock", value);
    });
    onChange(fields.clockRole, function (element, value) {
      setSpiffProperty(element, "clock_role", value);
    });
    onChange(fields.condition, function (element, value) {
      var expression = value ? moddle().create("bpmn:FormalExpression", { body: value }) : undefined;
      modeling().updateProperties(element, { conditionExpression: expression });
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });

    return {
      show: show,
      refresh: function () {
        var focused = document.activeElement;
        if (current && !(focused && form.contains(focused))) {
          var still = bpmn.get("elementRegistry").get(current.id);
          show(still || null);
        }
      }
    };
  }

  // --- the DMN modeler ---------------------------------------------------------------------

  function dmnEditor() {
    var tabs = document.getElementById("dmn-views");
    modeler = new window.DmnJS({ container: "#canvas" });

    function watch(viewer) {
      viewer.get("eventBus").on("elements.changed", function () {
        setDirty(true);
      });
    }

    function showTabs() {
      tabs.textContent = "";
      var active = modeler.getActiveView();
      modeler.getViews().forEach(function (view) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "secondary";
        button.textContent = (view.element.name || view.element.id) +
          (view.type === "drd" ? " " + message("Drd") : "");
        button.setAttribute("aria-pressed", String(active && active.element === view.element &&
          active.type === view.type));
        button.addEventListener("click", function () {
          modeler.open(view);
        });
        tabs.appendChild(button);
      });
    }

    modeler.on("views.changed", function () {
      var viewer = modeler.getActiveViewer();
      if (viewer && !viewer.doleanceWatched) {
        viewer.doleanceWatched = true;
        watch(viewer);
      }
      showTabs();
    });

    afterImport = function () {
      var table = modeler.getViews().filter(function (v) { return v.type === "decisionTable"; })[0];
      if (table) {
        modeler.open(table);
      }
    };

    mark = function (id) {
      var cells = document.querySelectorAll(
        '[data-row-id="' + cssEscape(id) + '"], [data-col-id="' + cssEscape(id) + '"], ' +
        '[data-element-id="' + cssEscape(id) + '"]'
      );
      Array.prototype.forEach.call(cells, function (cell) {
        cell.classList.add(PROBLEM_MARKER);
        state.marked.push(cell);
      });
    };
    unmarkAll = function () {
      state.marked.forEach(function (cell) { cell.classList.remove(PROBLEM_MARKER); });
      state.marked = [];
    };
    focusElement = function (id) {
      var cell = document.querySelector('[data-row-id="' + cssEscape(id) + '"]');
      if (cell) {
        cell.scrollIntoView({ block: "center" });
        cell.focus();
      }
    };
  }

  function cssEscape(text) {
    return window.CSS && CSS.escape ? CSS.escape(text) : String(text).replace(/"/g, '\\"');
  }

  var afterImport = function () {};
  var mark = function () {};
  var unmarkAll = function () {};
  var focusElement = function () {};

  if (kind === "bpmn") {
    bpmnEditor();
  } else {
    dmnEditor();
  }
  load();
})();
