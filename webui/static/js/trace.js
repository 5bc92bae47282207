/* Doléance — the trace page: draws the path a complaint took on its BPMN diagrams.
 *
 * Reads the path from data-path-url (GET /audit/REF/path.json) and each diagram from the
 * URL the path gives, then marks the rendered SVG with CSS classes:
 *   trace-done (element passed), trace-flow (sequence flow followed), trace-timer (timer
 *   fired), trace-waiting (where it waits now), trace-error, trace-selected (clicked),
 * and a ".trace-count" overlay "×N" on elements passed more than once.
 * When a diagram is drawn, its canvas gets data-trace-process (the process key) and
 * data-trace-ready="true". Page mode: one canvas (#trace-canvas) and a button per process;
 * report mode: one canvas per process, for printing.
 */
(function () {
  "use strict";

  var root = document.getElementById("trace-viewer");
  if (!root) {
    return;
  }
  var statusLine = document.getElementById("trace-status");
  var printButton = document.getElementById("trace-print");
  if (printButton) {
    printButton.addEventListener("click", function () { window.print(); });
  }
  var diagrams = {};  // diagram URL -> promise of its XML
  var viewers = [];

  function say(text) {
    if (statusLine) {
      statusLine.textContent = text;
    }
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }

  function fetchText(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error(url + ": " + response.status);
      }
      return response.text();
    });
  }

  function diagramOf(process) {
    if (!diagrams[process.diagram]) {
      diagrams[process.diagram] = fetchText(process.diagram);
    }
    return diagrams[process.diagram];
  }

  function waitingIds(process) {
    var ids = {};
    process.waiting.forEach(function (w) { ids[w.element_id] = w; });
    return ids;
  }

  function mark(viewer, process) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    var waiting = waitingIds(process);

    function add(id, marker) {
      if (registry.get(id)) {
        canvas.addMarker(id, marker);
      }
    }
    Object.keys(process.completed).forEach(function (id) { add(id, "trace-done"); });
    Object.keys(process.flows).forEach(function (id) { add(id, "trace-flow"); });
    Object.keys(process.fired_timers).forEach(function (id) { add(id, "trace-timer"); });
    Object.keys(waiting).forEach(function (id) { add(id, "trace-waiting"); });
    process.errors.forEach(function (e) {
      if (e.element_id) {
        add(e.element_id, "trace-error");
      }
    });
    Object.keys(process.completed).forEach(function (id) {
      var times = process.completed[id] + (waiting[id] ? 1 : 0);
      if (times > 1 && registry.get(id)) {
        var badge = document.createElement("span");
        badge.className = "trace-count";
        badge.textContent = "×" + times;
        overlays.add(id, "trace-count", { position: { top: -10, right: 10 }, html: badge });
      }
    });
  }

  function draw(viewer, container, process) {
    container.setAttribute("data-trace-ready", "false");
    return diagramOf(process)
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        mark(viewer, process);
        viewer.get("canvas").zoom("fit-viewport", "auto");
        container.setAttribute("data-trace-process", process.key);
        container.setAttribute("data-trace-ready", "true");
      });
  }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  /* The side panel: the events recorded for the element the reader clicked. */
  function listEvents(panel, data, process, element, open) {
    var id = element.id;
    var name = process.names[id] || (element.businessObject && element.businessObject.name) || id;
    var events = process.events[id] || [];
    var waiting = waitingIds(process)[id];
    panel.textContent = "";
    var title = document.createElement("h3");
    title.textContent = format(data.labels.events_of, { name: name });
    panel.appendChild(title);
    var facts = [];
    if (process.completed[id]) {
      facts.push(format(data.labels.passed, { count: process.completed[id] }));
    }
    if (waiting) {
      facts.push(waiting.label + (waiting.due ? " (" + waiting.due + ")" : ""));
    }
    if (facts.length) {
      var p = document.createElement("p");
      p.textContent = facts.join(" · ");
      panel.appendChild(p);
    }
    if (!events.length) {
      var none = document.createElement("p");
      none.textContent = data.labels.no_event;
      panel.appendChild(none);
    } else {
      var list = document.createElement("ol");
      events.forEach(function (e) {
        var item = document.createElement("li");
        item.appendChild(link(e.href, "n° " + e.seq + " — " + e.when + " — " + e.actor + " — " + e.label));
        list.appendChild(item);
      });
      panel.appendChild(list);
    }
    var called = process.calls[id];
    if (called && open) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = data.labels.open_called;
      button.addEventListener("click", function () { open(called); });
      panel.appendChild(button);
    }
  }

  function drawPage(data) {
    var container = document.getElementById("trace-canvas");
    var panel = document.getElementById("trace-element-events");
    var tabs = Array.prototype.slice.call(root.querySelectorAll(".trace-tab"));
    var byKey = {};
    data.processes.forEach(function (p) { byKey[p.key] = p; });
    var viewer = new BpmnJS({ container: container });
    viewers.push(viewer);
    var current = null;
    var selected = null;

    function open(key) {
      var process = byKey[key];
      if (!process) {
        return Promise.resolve();
      }
      current = process;
      selected = null;
      panel.textContent = "";
      tabs.forEach(function (tab) {
        tab.setAttribute("aria-pressed", tab.getAttribute("data-process-key") === key ? "true" : "false");
      });
      return draw(viewer, container, process)
        .then(function () { say(data.labels.loaded + " " + process.label); })
        .catch(function () { say(data.labels.failed); });
    }

    viewer.get("eventBus").on("element.click", function (event) {
      var element = event.element;
      if (!current || !element || element.type === "bpmn:Process" || element.type === "label") {
        return;
      }
      var canvas = viewer.get("canvas");
      if (selected) {
        canvas.removeMarker(selected, "trace-selected");
      }
      selected = element.id;
      canvas.addMarker(element.id, "trace-selected");
      listEvents(panel, data, current, element, open);
    });
    tabs.forEach(function (tab) {
      tab.addEventListener("click", function () { open(tab.getAttribute("data-process-key")); });
    });
    return open(data.processes[0].key);
  }

  function drawReport(data) {
    var holder = document.getElementById("trace-report-diagrams");
    var drawn = data.processes.map(function (process) {
      var figure = document.createElement("figure");
      figure.className = "trace-figure";
      var caption = document.createElement("figcaption");
      caption.textContent = process.label;
      var container = document.createElement("div");
      container.className = "trace-canvas";
      figure.appendChild(caption);
      figure.appendChild(container);
      holder.appendChild(figure);
      var viewer = new BpmnJS({ container: container });
      viewers.push(viewer);
      return draw(viewer, container, process);
    });
    return Promise.all(drawn)
      .then(function () { say(data.labels.loaded); })
      .catch(function () { say(data.labels.failed); });
  }

  function refit() {
    viewers.forEach(function (viewer) {
      var canvas = viewer.get("canvas");
      canvas.resized();
      canvas.zoom("fit-viewport", "auto");
    });
  }
  window.addEventListener("beforeprint", refit);
  window.addEventListener("afterprint", refit);

  if (typeof BpmnJS === "undefined") {
    say(root.getAttribute("data-failed") || "");
    return;
  }
  fetch(root.getAttribute("data-path-url"), {
    credentials: "same-origin",
    headers: { Accept: "application/json" }
  })
    .then(function (response) {
      if (!response.ok) {
        throw new Error(response.status);
      }
      return response.json();
    })
    .then(function (data) {
      return root.getAttribute("data-mode") === "report" ? drawReport(data) : drawPage(data);
    })
    .catch(function () {
      say(root.getAttribute("data-failed") || "");
    });
}());
