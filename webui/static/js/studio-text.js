/*
 * The text editors of the studio (form definitions in JSON, the policy in TOML):
 * a live preview fetched from the server as you type, and problems that take you to their line.
 * Without this script the page still works: "Prévisualiser" and "Enregistrer" post the form.
 */
(function () {
  "use strict";

  var form = document.getElementById("text-editor");
  if (!form) {
    return;
  }
  var textarea = document.getElementById("file-text");
  var preview = document.getElementById("live-preview");
  var original = textarea.value;
  var submitting = false;
  var timer = null;
  var sent = 0;
  var DELAY = 600;

  function refreshPreview() {
    var body = new FormData();
    body.append("text", textarea.value);
    body.append("csrf_token", form.elements.csrf_token.value);
    var ticket = ++sent;
    fetch(form.dataset.previewUrl, { method: "POST", body: body })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        if (ticket === sent) {  // an older answer never replaces a newer one
          preview.innerHTML = html;
          linkLines(preview);
        }
      })
      .catch(function () { /* the preview button still works */ });
  }

  textarea.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refreshPreview, DELAY);
  });

  function goToLine(line) {
    var lines = textarea.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) {
      start += lines[i].length + 1;
    }
    var end = start + (lines[line - 1] || "").length;
    textarea.focus();
    textarea.setSelectionRange(start, end);
    var lineHeight = parseFloat(window.getComputedStyle(textarea).lineHeight) || 18;
    textarea.scrollTop = Math.max(0, (line - 3) * lineHeight);
  }

  /* Each problem with a line number becomes a button that selects that line. */
  function linkLines(root) {
    Array.prototype.forEach.call(root.querySelectorAll("li[data-line]"), function (item) {
      if (item.querySelector(".goto-line")) {
        return;
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link goto-line";
      button.textContent = "↵ " + item.dataset.line;
      button.setAttribute("aria-label", (form.dataset.msgGoto || "") + " " + item.dataset.line);
      button.addEventListener("click", function () { goToLine(Number(item.dataset.line)); });
      item.insertBefore(button, item.firstChild);
    });
  }

  linkLines(document);
  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && textarea.value !== original) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
