// Django admin's autocomplete boxes (select2) draw a combobox named only by the option chosen, so an empty
// box has no accessible name (axe: aria-input-field-name). Name each one by the label of its select as
// well. Loaded from a file (no inline script: the Content-Security-Policy allows none).
(function () {
  "use strict";
  function nameBoxes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = document.querySelector('label[for="' + select.id + '"]');
      var box = select.nextElementSibling && select.nextElementSibling.querySelector(".select2-selection[role=combobox]");
      if (!label || !box) {
        return;
      }
      if (!label.id) {
        label.id = select.id + "-label";
      }
      var rendered = box.querySelector(".select2-selection__rendered");
      box.setAttribute("aria-labelledby", label.id + (rendered && rendered.id ? " " + rendered.id : ""));
    });
  }
  // After the admin's own script has made the boxes (on DOMContentLoaded), and again when one changes.
  window.addEventListener("load", function () {
    nameBoxes();
    new MutationObserver(nameBoxes).observe(document.body, { childList: true, subtree: true });
  });
})();
