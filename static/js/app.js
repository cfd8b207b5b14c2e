// Starts the GOV.UK Frontend components on every page (no inline scripts: the CSP forbids them).
import { initAll } from "./govuk-frontend.min.js";

initAll();

// Conditional reveals for radios marked data-reveals="<id of the section>": only the chosen option's section
// shows. GOV.UK Frontend's own reveal puts aria-expanded on the radio, which ARIA does not allow on a radio
// (axe-core flags it), so these radios use this instead; the section follows its radio in reading order.
// Without JavaScript every section shows.
document.querySelectorAll("input[type=radio][data-reveals]").forEach(function (radio) {
  function sync() {
    document.querySelectorAll("input[type=radio][data-reveals][name='" + radio.name + "']").forEach(function (other) {
      var section = document.getElementById(other.getAttribute("data-reveals"));
      if (section) { section.classList.toggle("govuk-radios__conditional--hidden", !other.checked); }
    });
  }
  radio.addEventListener("change", sync);
  sync();
});
