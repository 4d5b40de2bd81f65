// Small behaviours for every page, without inline event handlers (so a strict Content-Security-Policy
// can forbid them):
// - data-select-on-focus: an input whose text is selected when it gets focus (a secret to copy);
// - data-check-all="<name>": a checkbox that ticks or clears every checkbox named <name> in its form.
(function () {
  "use strict";
  document.addEventListener("focusin", function (event) {
    var el = event.target;
    if (el instanceof HTMLInputElement && el.hasAttribute("data-select-on-focus")) {
      el.select();
    }
  });
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-check-all")) {
      return;
    }
    var scope = box.form || document;
    var name = box.getAttribute("data-check-all");
    scope.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (other) {
      other.checked = box.checked;
    });
  });
})();
