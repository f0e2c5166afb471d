// Rendezvous: the pages' one script. The pages work without it; it only helps.
(function () {
  "use strict";
  // Offer the browser's time zone on a first visit (the page used the practice's): reload in it, once.
  var guess = document.getElementById("zone-guess");
  var select = document.getElementById("tz");
  if (guess && select && window.Intl && Intl.DateTimeFormat) {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var known = Array.prototype.some.call(select.options, function (option) { return option.text === zone; });
    if (zone && known && select.value !== zone) {
      var url = new URL(window.location.href);
      url.searchParams.set("tz", zone);
      window.location.replace(url.toString());
    }
  }
  // A form that books or pays is sent once: its button is disabled after the first press.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-once]"), function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
    });
  });
})();
