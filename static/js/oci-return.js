/* OCI punch-out: submits the basket form back to the shop as soon as the page is read
   (templates/showroom/oci_return.html). A static file, not an inline script, so a strict CSP holds;
   without JavaScript the form's own button does the same. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-oci-autosubmit]");
  if (form && !form.dataset.ociSubmitted) {
    form.dataset.ociSubmitted = "1";
    form.submit();
  }
})();
