/**
 * Script of the admin pages, kept in the program so `deno compile` carries
 * it. Every page works without it; it only tidies filter URLs and helps with
 * the dead-letter checkboxes.
 */
export const ADMIN_SCRIPT = `"use strict";
// Leave empty filter fields out of the query string, so shared links stay short.
for (const form of document.querySelectorAll("form[data-drop-empty]")) {
  form.addEventListener("submit", () => {
    for (const field of form.querySelectorAll("input, select")) {
      if (field.name && field.value === "") field.disabled = true;
    }
  });
}

// "Select all" checkbox and a "Retry selected" button that needs a selection.
for (const form of document.querySelectorAll("form[data-selection]")) {
  const boxes = () => [...form.querySelectorAll('input[type="checkbox"][name="ids"]')];
  const all = form.querySelector("input[data-select-all]");
  const needy = form.querySelectorAll("button[data-needs-selection]");
  const refresh = () => {
    const checked = boxes().filter((box) => box.checked).length;
    for (const button of needy) button.disabled = checked === 0;
    if (all) {
      all.checked = checked > 0 && checked === boxes().length;
      all.indeterminate = checked > 0 && checked < boxes().length;
    }
  };
  all?.addEventListener("change", () => {
    for (const box of boxes()) box.checked = all.checked;
    refresh();
  });
  form.addEventListener("change", refresh);
  refresh();
}
`;
