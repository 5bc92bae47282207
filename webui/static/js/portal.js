// Doléance — customer portal: a "copy the link" button next to the tracking link.
// The page works without it (the link can be selected and copied by hand).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button.copy[data-copy]")) {
    const target = document.getElementById(button.dataset.copy);
    if (!target || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      await navigator.clipboard.writeText(target.textContent.trim());
      button.textContent = button.dataset.copied;
    });
  }
  const errors = document.getElementById("form-errors");
  if (errors) errors.focus();
});
