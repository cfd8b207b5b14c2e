// Starts the GOV.UK Frontend components on every page (no inline scripts: the CSP forbids them).
import { initAll } from "./govuk-frontend.min.js";

initAll();
