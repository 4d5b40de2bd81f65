/* Buttons with data-copy-target="<input id>" copy that input's value to the clipboard and say so in
   the element with data-copy-status="<input id>" (a role="status" region). No inline scripts. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-copy-target]") : null;
    if (!button) { return; }
    var id = button.getAttribute("data-copy-target");
    var input = document.getElementById(id);
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (!input) { return; }
    input.focus();
    input.select();
    var say = function (text) { if (status) { status.textContent = text; } };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(
        function () { say("Copied to the clipboard."); },
        function () { say("Select the link and copy it yourself."); }
      );
    } else {
      say("The link is selected: copy it with your keyboard or menu.");
    }
  });
})();
