/* "Toon nummer" without reloading the page: the number appears in its own row only.
 * Without this script the form posts and the page shows the number at the top (same handler).
 * Text is set with textContent only; the server records every look (PhoneView). */
(function () {
  "use strict";
  if (!window.Console || !window.fetch) { return; }

  function show(cell, parts) {
    var out = cell.querySelector(".console-callback__number");
    if (!out) { return; }
    while (out.firstChild) { out.removeChild(out.firstChild); }
    parts.forEach(function (part) { out.appendChild(part); });
  }

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }

  function numberParts(body) {
    var link = document.createElement("a");
    link.className = "utrecht-link";
    link.setAttribute("href", "tel:" + body.tel);
    link.textContent = body.number;
    var note = document.createElement("small");
    note.textContent = " " + body.note;
    return [link, note];
  }

  document.querySelectorAll("form.console-callback__reveal").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var cell = form.parentElement;
      var button = form.querySelector("button");
      if (button) { button.disabled = true; }
      window.Console.post(form.action, new FormData(form))
        .then(function (response) {
          return response.json().then(function (body) { return {ok: response.ok, body: body}; });
        })
        .then(function (result) {
          var body = result.body || {};
          if (!result.ok) {
            show(cell, [text(body.error || "Dat lukte niet. Laad de pagina opnieuw.")]);
          } else if (body.erased) {
            form.hidden = true;
            show(cell, [text(body.message)]);
          } else {
            form.hidden = true;
            show(cell, numberParts(body));
          }
        })
        .catch(function () {
          show(cell, [text("Dat lukte niet. Controleer je verbinding en probeer het opnieuw.")]);
        })
        .then(function () { if (button) { button.disabled = false; } });
    });
  });
})();
