/* Injected by the browser tests after axe-core, into every document (never served by Doléance).
 *
 * Once the page has loaded, its fetches have come back and its scripts have stopped changing
 * the DOM (or after a few seconds of changes), axe-core audits it and hands the violations to
 * the test through the binding window.doleanceAccessibilityReport. A test that wants the page
 * as it is now calls window.doleanceAudit(), which reports (and returns) the violations the
 * same way and makes the audit on load needless.
 */
(function () {
  "use strict";

  if (window.top !== window || !/^https?:$/.test(location.protocol)) {
    return;  // axe-core audits frames from their top document; blank pages are not ours
  }
  // RGAA 4 follows WCAG 2.1 A and AA: the rules axe-core tags so, or RGAAv4 (the others, best
  // practices, would double the time of an audit for findings that are seldom serious).
  var OPTIONS = {
    resultTypes: ["violations"],
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "RGAAv4"] },
  };
  var QUIET_MS = 100;
  var LONGEST_MS = 3000;
  var previous = Promise.resolve();
  var fetching = 0;
  var settled = function () {};  // the timer of whenQuiet, restarted when a fetch comes back
  var pageFetch = window.fetch;

  window.fetch = function () {
    fetching += 1;
    return pageFetch.apply(this, arguments).finally(function () {
      fetching -= 1;
      settled();
    });
  };

  function run() {
    return axe.run(document, OPTIONS).then(function (results) {
      return results.violations.map(function (violation) {
        return {
          rule: violation.id,
          impact: violation.impact,
          summary: violation.help,
          targets: violation.nodes.map(function (node) { return node.target.join(" "); }),
        };
      });
    });
  }

  var loadAuditDue = true;

  /* One audit after the one before (axe-core refuses two at once), reported to the test. */
  function auditAndReport() {
    previous = previous.then(run, run);
    return previous.then(
      function (violations) {
        window.doleanceAccessibilityReport({ violations: violations });
        return violations;
      },
      function (error) {
        window.doleanceAccessibilityReport({ error: String(error) });
        throw error;
      }
    );
  }

  window.doleanceAudit = function () {
    loadAuditDue = false;  // the test audits the page itself, once it is ready
    return auditAndReport();
  };

  function whenQuiet(callback) {
    var timer = null;
    var done = false;
    var observer = new MutationObserver(restart);
    var deadline = setTimeout(finish, LONGEST_MS);

    function finish() {
      if (!done) {
        done = true;
        observer.disconnect();
        clearTimeout(timer);
        clearTimeout(deadline);
        settled = function () {};
        callback();
      }
    }

    function restart() {
      clearTimeout(timer);
      if (!fetching) {
        timer = setTimeout(finish, QUIET_MS);
      }
    }

    settled = restart;
    observer.observe(document, { subtree: true, childList: true, attributes: true });
    restart();
  }

  window.addEventListener("load", function () {
    whenQuiet(function () {
      if (loadAuditDue) {
        auditAndReport().catch(function () {});  // reported already
      }
    });
  });
})();
