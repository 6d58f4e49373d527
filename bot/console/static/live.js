/* The console's live updates (queue and chat pages): an EventSource on /console/events.
 * Text from parents is only ever set with textContent, never as HTML. Without this script the
 * pages still work: forms post normally and a reload shows what is new. */
(function () {
  "use strict";

  var queueList = document.getElementById("wachtrij");
  var chat = document.getElementById("gesprek");
  if ((!queueList && !chat) || !window.EventSource) return;

  var FIELDS = [["waiting", "Wacht al"], ["topic", "Onderwerp"], ["municipality", "Gemeente"],
                ["channel", "Kanaal"], ["screening", "Risicocheck"], ["reason", "Reden"]];
  var ENDED = {
    left: "De ouder is teruggegaan naar de digitale assistent. Dit gesprek is afgelopen.",
    expired: "Dit gesprek is afgelopen.",
    handed_back: "Het gesprek is teruggegeven aan de digitale assistent.",
    closed: "Het gesprek is gesloten.",
    erased: "De ouder heeft het gesprek gewist. Dit gesprek is afgelopen."
  };

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    var field = document.querySelector('input[name="csrf"]');
    return (meta && meta.content) || (field && field.value) || "";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // --- the queue page ---------------------------------------------------------------------------

  function queueCard(item) {
    var li = el("li", "console-card");
    li.dataset.id = item.id;
    li.appendChild(el("h3", "utrecht-heading-3", item.topic));
    var dl = el("dl", "utrecht-data-list utrecht-data-list--rows console-facts");
    FIELDS.forEach(function (pair) {
      var row = el("div", "utrecht-data-list__item");
      row.appendChild(el("dt", "utrecht-data-list__item-key", pair[1]));
      var dd = el("dd", "utrecht-data-list__item-value utrecht-data-list__item-value--html-dd", item[pair[0]]);
      dd.dataset.field = pair[0];
      row.appendChild(dd);
      dl.appendChild(row);
    });
    li.appendChild(dl);
    var form = el("form");
    form.method = "post";
    form.action = "/console/overnemen/" + encodeURIComponent(item.id);
    var csrf = el("input");
    csrf.type = "hidden";
    csrf.name = "csrf";
    csrf.value = csrfToken();
    form.appendChild(csrf);
    var button = el("button", "utrecht-button utrecht-button--primary-action console-button", "Gesprek overnemen");
    button.type = "submit";
    form.appendChild(button);
    li.appendChild(form);
    return li;
  }

  function mineCard(item) {
    var li = el("li", "utrecht-unordered-list__item console-card");
    var p = el("p", "utrecht-paragraph");
    var a = el("a", "utrecht-link", "Ga naar het gesprek over " + item.topic);
    a.href = "/console/gesprek/" + encodeURIComponent(item.id);
    p.appendChild(a);
    p.appendChild(document.createTextNode(" (overgenomen om " + item.taken_at + ")"));
    li.appendChild(p);
    return li;
  }

  function renderQueue(data) {
    // Keep the keyboard focus on the list when the focused card disappears.
    var focusedInList = queueList.contains(document.activeElement);
    var cards = data.queue.map(queueCard);
    queueList.replaceChildren.apply(queueList, cards);
    var mine = document.getElementById("mijn-gesprekken");
    if (mine) mine.replaceChildren.apply(mine, data.mine.map(mineCard));
    var empty = document.getElementById("mijn-leeg");
    if (empty) empty.hidden = data.mine.length > 0;
    var status = document.getElementById("wachtrij-status");
    var n = data.queue.length;
    var text = n === 0 ? "Er wacht nu niemand." :
      n + (n === 1 ? " ouder wacht" : " ouders wachten") + " op een medewerker.";
    if (status && status.textContent.trim() !== text) status.textContent = text;
    if (focusedInList) {
      var first = queueList.querySelector("button");
      (first || document.getElementById("wachtrij-kop")).focus();
    }
  }

  var fetching = false, again = false;
  function refreshQueue() {
    if (fetching) { again = true; return; }
    fetching = true;
    fetch(queueList.dataset.api, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (response.status === 401 || response.redirected) { window.location.reload(); return null; }
        return response.ok ? response.json() : null;
      })
      .then(function (data) { if (data) renderQueue(data); })
      .catch(function () { /* the next event or the timer tries again */ })
      .then(function () {
        fetching = false;
        if (again) { again = false; refreshQueue(); }
      });
  }

  // --- the chat page ----------------------------------------------------------------------------

  var handoffId = chat ? chat.dataset.handoffId : null;
  var log = document.getElementById("berichten");
  var form = document.getElementById("bericht");
  var textarea = document.getElementById("tekst");

  function addLine(data) {
    var li = el("li", "console-line console-line--" + (data.author === "expert" ? "expert" : "user"));
    var meta = el("p", "console-line__meta");
    meta.appendChild(el("span", "console-line__who", data.who));
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(el("time", "", data.time));
    li.appendChild(meta);
    li.appendChild(el("p", "console-line__text", data.text));
    log.appendChild(li);
    li.scrollIntoView({block: "nearest"});
  }

  function showEnded(reason) {
    var box = document.getElementById("gesprek-einde");
    if (!box) {
      box = el("div", "utrecht-alert utrecht-alert--info console-alert console-alert--info");
      box.id = "gesprek-einde";
      box.setAttribute("role", "status");
      box.appendChild(el("p", "utrecht-paragraph"));
      log.parentNode.insertBefore(box, log.nextSibling);
    }
    box.querySelector("p").textContent = ENDED[reason] || ENDED.closed;
    chat.querySelectorAll("form button, form textarea").forEach(function (control) {
      control.disabled = true;
    });
  }

  function showError(message) {
    var error = document.getElementById("tekst-fout");
    if (!error) {
      error = el("p", "utrecht-form-field-error-message");
      error.id = "tekst-fout";
      error.setAttribute("role", "alert");
      textarea.parentNode.insertBefore(error, textarea);
      textarea.setAttribute("aria-describedby", "tekst-uitleg tekst-fout");
    }
    error.textContent = message;
    textarea.setAttribute("aria-invalid", "true");
  }

  function clearError() {
    var error = document.getElementById("tekst-fout");
    if (error) error.remove();
    textarea.removeAttribute("aria-invalid");
    textarea.setAttribute("aria-describedby", "tekst-uitleg");
  }

  if (form && textarea) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!textarea.value.trim()) { showError("Typ eerst een bericht."); textarea.focus(); return; }
      var button = form.querySelector("button");
      button.disabled = true;
      fetch(form.action, {
        method: "POST", credentials: "same-origin", body: new FormData(form),
        headers: {"Accept": "application/json", "X-CSRF-Token": csrfToken()}
      }).then(function (response) {
        return response.json().catch(function () { return {error: "Er ging iets mis. Probeer het nog een keer."}; });
      }).then(function (data) {
        if (data.error) { showError(data.error); return; }
        clearError();
        textarea.value = "";  // the message itself arrives through the live stream
      }).catch(function () {
        showError("Versturen lukte niet. Controleer je verbinding en probeer het nog een keer.");
      }).then(function () {
        button.disabled = false;
        textarea.focus();
      });
    });
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", {cancelable: true}));
      }
    });
  }

  // --- the stream -------------------------------------------------------------------------------

  var source = new EventSource("/console/events");
  source.addEventListener("queue", function () { if (queueList) refreshQueue(); });
  source.addEventListener("message", function (event) {
    var data = JSON.parse(event.data);
    if (log && data.handoff_id === handoffId) addLine(data);
  });
  source.addEventListener("ended", function (event) {
    var data = JSON.parse(event.data);
    if (chat && data.handoff_id === handoffId) showEnded(data.reason);
  });
  // Reconnected after a gap: the queue may have changed meanwhile.
  source.addEventListener("open", function () { if (queueList) refreshQueue(); });
  // The browser gave up (for instance the login expired): say so instead of showing a stale page.
  source.addEventListener("error", function () {
    if (source.readyState !== EventSource.CLOSED || document.getElementById("live-verbroken")) return;
    var notice = el("p", "utrecht-alert utrecht-alert--error console-alert console-alert--error",
                    "De live-verbinding is verbroken. Laad de pagina opnieuw om verder te werken.");
    notice.id = "live-verbroken";
    notice.setAttribute("role", "alert");
    var main = document.getElementById("inhoud");
    main.insertBefore(notice, main.firstChild);
  });
  // Waiting times move on without events.
  if (queueList) window.setInterval(refreshQueue, 60000);
})();
