/*
 * Scheidingspunt web chat widget. Embed with one line:
 *   <script src="https://chat.example.nl/widget/widget.js" data-gateway="https://chat.example.nl"
 *           data-gemeente="zwolle" defer></script>
 * Optional: data-gemeente (whose look: /widget/theme/<key>.css; default twenterand),
 * data-exit-url (where "Snel weg" goes), data-title (panel title).
 * The look is NL Design System: the Utrecht component CSS and design tokens vendored under
 * /widget/vendor/nlds/, and the municipality's tokens on top (bot/gateway/theme.py).
 *
 * Vanilla JS, no build step. Message text is only ever set with textContent (never innerHTML):
 * everything a bot, expert or user types is untrusted.
 *
 * A new conversation starts with the assistant's greeting: opening the panel with no transcript sends
 * the hidden payload "/greet" (like rasa-webchat's initPayload); it is never shown as the parent's words,
 * and a reload or reconnect of the same conversation does not send it again.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__scheidingspuntWidget) {
    return;
  }
  window.__scheidingspuntWidget = true;

  var MAX_LENGTH = 1000;
  var MAX_KEPT = 200; // messages kept for a reload
  var PREFIX = "scheidingspunt.";
  var KEYS = { session: PREFIX + "session", transcript: PREFIX + "transcript", open: PREFIX + "open",
    greeted: PREFIX + "greeted" };
  var GREET_PAYLOAD = "/greet"; // answered by Rasa's utter_greet (with the first choices as buttons)
  // NL Design System button classes (the colours come from the theme's tokens).
  var PRIMARY = "utrecht-button utrecht-button--primary-action";
  var SECONDARY = "utrecht-button utrecht-button--secondary-action";
  // A URL in bot text; trailing punctuation is cut off below.
  var URL_PATTERN = /https?:\/\/[^\s<>"']+/g;

  var gateway = new URL(script.getAttribute("data-gateway") || "/", script.src || location.href);
  var gatewayBase = gateway.href.replace(/\/+$/, "");
  var exitUrl = script.getAttribute("data-exit-url") || gatewayBase + "/widget/neutral.html";
  var title = script.getAttribute("data-title") || "Chat over scheiden en geld";
  // Only a municipality key goes into the theme URL (the same rule as the data files' keys).
  var gemeente = script.getAttribute("data-gemeente") || "";
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(gemeente)) {
    gemeente = "twenterand";
  }

  var socket = null;
  var confirmed = false;
  var outbox = []; // messages typed while not connected; sent after the next session_confirm
  var eraseWanted = null; // a "Nieuw gesprek" asked for while not connected
  var typingTimer = null;
  var lastEscape = 0;
  var noticeFoldable = null; // the privacy notice folds to one line once the parent has written
  var ui = {};

  // ---- storage (sessionStorage: gone when the tab closes) -------------------------------------

  function load(key, fallback) {
    try {
      var raw = sessionStorage.getItem(key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) {
      return fallback;
    }
  }

  function save(key, value) {
    try {
      sessionStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      /* private mode or full storage: the chat still works, only without reload memory */
    }
  }

  function wipeStorage() {
    [window.sessionStorage, window.localStorage].forEach(function (store) {
      try {
        for (var i = store.length - 1; i >= 0; i--) {
          var key = store.key(i);
          if (key && key.indexOf(PREFIX) === 0) {
            store.removeItem(key);
          }
        }
      } catch (e) {
        /* storage unavailable: nothing to wipe */
      }
    });
  }

  var transcript = load(KEYS.transcript, []);

  // ---- DOM helpers -------------------------------------------------------------------------------

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function safeHttpUrl(candidate) {
    try {
      var url = new URL(candidate);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  /** Text with its http(s) links made clickable; every piece is a text node or a checked <a>. */
  function linkify(parent, text) {
    var last = 0;
    text.replace(URL_PATTERN, function (match, offset) {
      var link = match.replace(/[.,;:!?)\]]+$/, "");
      var href = safeHttpUrl(link);
      if (!href) {
        return match;
      }
      parent.appendChild(document.createTextNode(text.slice(last, offset)));
      var a = el("a", { href: href, target: "_blank", rel: "noopener noreferrer",
        class: "utrecht-link utrecht-link--html-a" }, link);
      parent.appendChild(a);
      last = offset + link.length;
      return match;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  var SENDERS = { bot: "Assistent", expert: "Medewerker", user: "Jij" };

  function renderMessage(entry) {
    var item = el("div", { class: "sp-msg sp-msg--" + entry.who });
    item.appendChild(el("span", { class: "sp-msg__sender" }, SENDERS[entry.who] || SENDERS.bot));
    var body = el("p", { class: "sp-msg__text utrecht-paragraph" });
    if (entry.who === "user") {
      body.textContent = entry.text;
    } else {
      linkify(body, entry.text || "");
    }
    if (entry.text) {
      item.appendChild(body);
    }
    var src = entry.image && safeHttpUrl(entry.image);
    if (src) {
      item.appendChild(el("img", { class: "sp-msg__image", src: src, alt: "Afbeelding van de assistent" }));
    }
    ui.list.appendChild(item);
  }

  function renderQuickReplies(replies) {
    ui.replies.textContent = "";
    (replies || []).forEach(function (reply) {
      var button = el("button", { type: "button", class: "sp-reply " + SECONDARY }, String(reply.title || ""));
      button.addEventListener("click", function () {
        send(String(reply.payload || reply.title || ""), String(reply.title || ""));
      });
      ui.replies.appendChild(button);
    });
    ui.replies.hidden = !ui.replies.firstChild;
    ui.replies.scrollLeft = 0;
    markReplyEdges();
  }

  /** The row of quick replies fades out at a side where more of them are (scroll to see them). */
  function markReplyEdges() {
    var row = ui.replies;
    var hidden = row.scrollWidth - row.clientWidth;
    row.classList.toggle("sp-replies--more-before", row.scrollLeft > 1);
    row.classList.toggle("sp-replies--more-after", row.scrollLeft < hidden - 1);
  }

  function scrollDown() {
    ui.list.scrollTop = ui.list.scrollHeight;
  }

  /** After an answer: show the parent's question and the answer from its start. A long answer is read
   *  from its first line (not from its end); a short one simply ends at the bottom. */
  function scrollToAnswer() {
    var items = ui.list.children;
    var start = null;
    for (var i = items.length - 1; i >= 0; i--) {
      if (items[i].classList.contains("sp-msg--user")) {
        start = items[i];
        break;
      }
    }
    start = start || items[0];
    if (!start) {
      return;
    }
    var offset = start.getBoundingClientRect().top - ui.list.getBoundingClientRect().top + ui.list.scrollTop;
    var gap = parseFloat(getComputedStyle(ui.list).paddingTop) || 0;
    ui.list.scrollTop = Math.min(ui.list.scrollHeight - ui.list.clientHeight, Math.max(0, offset - gap));
  }

  function setNoticeExpanded(expanded) {
    ui.notice.classList.toggle("sp-notice--folded", !expanded);
    ui.noticeToggle.setAttribute("aria-expanded", String(expanded));
    ui.noticeToggle.textContent = expanded ? "Minder" : "Lees meer";
  }

  /** In full until the parent's first message, then one line with "Lees meer" to open it again. */
  function updateNotice() {
    var foldable = transcript.some(function (entry) {
      return entry.who === "user";
    });
    if (foldable === noticeFoldable) {
      return;
    }
    noticeFoldable = foldable;
    ui.noticeToggle.hidden = !foldable;
    setNoticeExpanded(!foldable);
  }

  function addEntry(entry) {
    transcript.push(entry);
    if (transcript.length > MAX_KEPT) {
      transcript = transcript.slice(-MAX_KEPT); // keep sessionStorage small on very long chats
    }
    save(KEYS.transcript, transcript);
    renderMessage(entry);
    updateNotice();
    if (entry.who === "user") {
      scrollDown();
    } else {
      scrollToAnswer();
    }
  }

  function renderTranscript() {
    ui.list.textContent = "";
    transcript.forEach(renderMessage);
    var last = transcript[transcript.length - 1];
    renderQuickReplies(last && last.who !== "user" ? last.quick_replies : []);
    updateNotice();
    scrollDown();
  }

  function setTyping(on) {
    clearTimeout(typingTimer);
    ui.typing.hidden = !on;
    if (on) {
      // Never spin forever when an answer got lost.
      typingTimer = setTimeout(function () {
        ui.typing.hidden = true;
      }, 60000);
    }
  }

  function setStatus(text) {
    ui.status.textContent = text;
    ui.status.hidden = !text;
  }

  // ---- socket.io -----------------------------------------------------------------------------------

  function loadSocketIo(callback) {
    if (window.io) {
      callback();
      return;
    }
    var tag = el("script", { src: gatewayBase + "/widget/vendor/socket.io.min.js" });
    tag.onload = callback;
    tag.onerror = function () {
      setStatus("De chat kan nu niet laden. Probeer het later nog een keer.");
    };
    document.head.appendChild(tag);
  }

  function connect() {
    if (socket) {
      return;
    }
    setStatus("Verbinding maken…");
    loadSocketIo(function () {
      if (socket) {
        return;
      }
      socket = window.io(gateway.origin, { path: gateway.pathname.replace(/\/+$/, "") + "/socket.io" });
      socket.on("connect", function () {
        socket.emit("session_request", { session_id: load(KEYS.session, null) });
      });
      socket.on("session_confirm", function (sessionId) {
        if (typeof sessionId === "string") {
          save(KEYS.session, sessionId);
        }
        confirmed = true;
        setStatus("");
        flush();
      });
      socket.on("disconnect", function () {
        confirmed = false;
        setStatus("Geen verbinding. We proberen het opnieuw…");
      });
      socket.on("typing", function () {
        setTyping(true);
      });
      socket.on("bot_uttered", onBotUttered);
    });
  }

  function onBotUttered(data) {
    if (!data || typeof data !== "object") {
      return;
    }
    setTyping(false);
    var attachment = data.attachment && data.attachment.payload;
    var entry = {
      who: data.from === "expert" ? "expert" : "bot",
      text: typeof data.text === "string" ? data.text : "",
      quick_replies: Array.isArray(data.quick_replies) ? data.quick_replies : [],
      image: attachment && typeof attachment.src === "string" ? attachment.src : null,
    };
    if (!entry.text && !entry.image && !entry.quick_replies.length) {
      return;
    }
    renderQuickReplies(entry.quick_replies); // first: the row's height decides where the answer starts
    addEntry(entry);
  }

  function flush() {
    if (eraseWanted && confirmed && socket && socket.connected) {
      socket.emit("erase_session", { session_id: eraseWanted });
      eraseWanted = null;
    }
    while (confirmed && socket && socket.connected && outbox.length) {
      var message = outbox.shift();
      if (message === GREET_PAYLOAD) {
        // Noted when it goes out: a reload while the greeting is on its way does not ask for a second one.
        save(KEYS.greeted, true);
      }
      // customData as in Rasa's socketio protocol: the site's municipality, for the anonymous figures.
      socket.emit("user_uttered", { message: message, session_id: load(KEYS.session, null),
                                    customData: { gemeente: gemeente } });
    }
  }

  /** A new conversation (nothing in the transcript, no greeting asked for yet): the assistant speaks
   *  first. The payload goes out like a typed message, but the chat shows no bubble for it. */
  function greetIfNew() {
    if (transcript.length || load(KEYS.greeted, false) || outbox.indexOf(GREET_PAYLOAD) !== -1) {
      return;
    }
    outbox.push(GREET_PAYLOAD);
    setTyping(true);
    connect();
    flush();
  }

  /** Send `payload` to the assistant; the chat shows `shown` (a quick reply's title) as the user's words. */
  function send(payload, shown) {
    payload = payload.trim().slice(0, MAX_LENGTH);
    if (!payload) {
      return;
    }
    addEntry({ who: "user", text: shown || payload });
    renderQuickReplies([]);
    setTyping(true);
    outbox.push(payload);
    connect();
    flush();
  }

  // ---- actions -------------------------------------------------------------------------------------

  function quickExit() {
    wipeStorage();
    location.replace(exitUrl);
    try {
      if (socket) {
        socket.disconnect();
      }
    } catch (e) {
      /* leaving anyway */
    }
  }

  function newConversation() {
    var sessionId = load(KEYS.session, null);
    transcript = [];
    save(KEYS.transcript, transcript);
    save(KEYS.greeted, false);
    outbox = [];
    renderTranscript();
    setTyping(false);
    if (sessionId) {
      eraseWanted = sessionId;
      flush();
    }
    greetIfNew(); // sent after the erase: the fresh conversation starts with the greeting and its choices
    ui.input.focus();
  }

  function updateCounter() {
    ui.counter.textContent = ui.input.value.length + "/" + MAX_LENGTH;
  }

  /** The input grows with what is typed (up to its CSS max-height), and shrinks again after sending. */
  function fitInput() {
    ui.input.style.height = "";
    var borders = ui.input.offsetHeight - ui.input.clientHeight;
    if (ui.input.scrollHeight > ui.input.clientHeight) {
      ui.input.style.height = ui.input.scrollHeight + borders + "px";
    }
  }

  function setOpen(open) {
    ui.panel.hidden = !open;
    ui.root.classList.toggle("sp-widget--open", open); // on a phone the panel then fills the screen
    ui.launcher.setAttribute("aria-expanded", String(open));
    save(KEYS.open, open);
    if (open) {
      connect();
      greetIfNew();
      scrollDown();
      markReplyEdges(); // the row had no width while the panel was closed
      // Into the chat. On a touch screen not into the input: its keyboard would cover the greeting's
      // choices; the message list takes the focus there (a screen reader starts in the chat).
      var touch = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
      (touch ? ui.list : ui.input).focus({ preventScroll: true });
    }
  }

  // ---- build ---------------------------------------------------------------------------------------

  function build() {
    // In cascade order: base tokens, components, the widget's own rules, the municipality's tokens.
    ["/widget/vendor/nlds/utrecht-tokens.css", "/widget/vendor/nlds/utrecht-components.css", "/widget/widget.css",
      "/widget/theme/" + gemeente + ".css"].forEach(function (path) {
      document.head.appendChild(el("link", { rel: "stylesheet", href: gatewayBase + path }));
    });

    // voorbeeld-theme: the base tokens apply to the widget only, never to the host page.
    var root = el("div", { class: "sp-widget voorbeeld-theme", "data-gemeente": gemeente });
    ui.root = root;
    ui.launcher = el("button", { type: "button", class: "sp-launcher " + PRIMARY, "aria-expanded": "false",
      "aria-controls": "sp-panel" }, "Chat met ons");

    ui.panel = el("div", { id: "sp-panel", class: "sp-panel", role: "dialog", "aria-modal": "false",
      "aria-labelledby": "sp-title" });
    ui.panel.hidden = true;

    var header = el("div", { class: "sp-header" });
    var brand = el("div", { class: "sp-brand" });
    // The municipality's name comes from its theme CSS; the host page already says whose site it is.
    brand.appendChild(el("span", { class: "sp-logo", "aria-hidden": "true" }));
    brand.appendChild(el("h2", { id: "sp-title", class: "sp-title" }, title));
    header.appendChild(brand);
    var exit = el("button", { type: "button", class: "sp-exit " + PRIMARY + " utrecht-button--danger",
      title: "Verlaat deze pagina meteen (of druk 2 keer op Esc)" }, "Snel weg");
    var close = el("button", { type: "button", class: "sp-close utrecht-button utrecht-button--subtle",
      "aria-label": "Chat sluiten" });
    // The × is only a picture of "close": screen readers say the label instead.
    close.appendChild(el("span", { "aria-hidden": "true" }, "×"));
    header.appendChild(exit);
    header.appendChild(close);

    // In full before the parent's first message; then folded to one line, one click from the full text.
    ui.notice = el("div", { class: "sp-notice" });
    ui.notice.appendChild(el("p", { id: "sp-notice-text", class: "sp-notice__text utrecht-paragraph" },
      "Je chat anoniem. Typ geen naam, BSN of adres. Druk 2 keer op Esc of kies ‘Snel weg’ om meteen weg te gaan."));
    ui.noticeToggle = el("button", { type: "button", class: "sp-notice__toggle", "aria-expanded": "true",
      "aria-controls": "sp-notice-text" }, "Minder");
    ui.noticeToggle.hidden = true;
    ui.notice.appendChild(ui.noticeToggle);

    ui.list = el("div", { class: "sp-messages", role: "log", "aria-live": "polite",
      "aria-label": "Berichten", tabindex: "0" });
    ui.replies = el("div", { class: "sp-replies", role: "group", "aria-label": "Kies een antwoord" });
    ui.typing = el("p", { class: "sp-typing utrecht-paragraph", role: "status" }, "Aan het typen…");
    ui.typing.hidden = true;
    ui.status = el("p", { class: "sp-status utrecht-paragraph", role: "status" });
    ui.status.hidden = true;

    var form = el("form", { class: "sp-form" });
    // The label and the counter share one line above the input.
    var labelRow = el("div", { class: "sp-form__top" });
    labelRow.appendChild(el("label", { for: "sp-input", class: "sp-label utrecht-form-label" }, "Je bericht"));
    ui.input = el("textarea", { id: "sp-input", class: "sp-input utrecht-textarea utrecht-textarea--html-textarea",
      rows: "1", maxlength: String(MAX_LENGTH), "aria-describedby": "sp-counter" });
    ui.counter = el("span", { id: "sp-counter", class: "sp-counter utrecht-form-field-description" });
    var sendButton = el("button", { type: "submit", class: "sp-send " + PRIMARY + " utrecht-button--submit" },
      "Verstuur");
    labelRow.appendChild(ui.counter);
    var row = el("div", { class: "sp-form__row" });
    row.appendChild(ui.input);
    row.appendChild(sendButton);
    form.appendChild(labelRow);
    form.appendChild(row);

    var actions = el("div", { class: "sp-actions" });
    var human = el("button", { type: "button", class: "sp-secondary " + SECONDARY }, "Praat met een mens");
    var fresh = el("button", { type: "button", class: "sp-secondary " + SECONDARY }, "Nieuw gesprek");
    actions.appendChild(human);
    actions.appendChild(fresh);

    [header, ui.notice, ui.status, ui.list, ui.replies, ui.typing, form, actions].forEach(function (part) {
      ui.panel.appendChild(part);
    });
    root.appendChild(ui.panel);
    root.appendChild(ui.launcher);
    document.body.appendChild(root);

    ui.launcher.addEventListener("click", function () {
      setOpen(ui.panel.hidden);
    });
    close.addEventListener("click", function () {
      setOpen(false);
      ui.launcher.focus();
    });
    exit.addEventListener("click", quickExit);
    human.addEventListener("click", function () {
      send("/request_human", "Praat met een mens");
    });
    fresh.addEventListener("click", newConversation);
    ui.noticeToggle.addEventListener("click", function () {
      setNoticeExpanded(ui.noticeToggle.getAttribute("aria-expanded") !== "true");
    });
    // A mouse wheel scrolls the row of quick replies sideways (a trackpad and the keyboard already do).
    ui.replies.addEventListener("wheel", function (event) {
      if (Math.abs(event.deltaY) <= Math.abs(event.deltaX)) {
        return;
      }
      var before = ui.replies.scrollLeft;
      ui.replies.scrollLeft += event.deltaY;
      if (ui.replies.scrollLeft !== before) {
        event.preventDefault(); // at either end the wheel scrolls the page as usual
      }
    }, { passive: false });
    ui.replies.addEventListener("scroll", markReplyEdges, { passive: true });
    window.addEventListener("resize", markReplyEdges);
    ui.input.addEventListener("input", function () {
      updateCounter();
      fitInput();
    });
    ui.input.addEventListener("keydown", function (event) {
      // Enter sends, Shift+Enter makes a new line.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = ui.input.value;
      ui.input.value = "";
      updateCounter();
      fitInput();
      send(text);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") {
        return;
      }
      var now = Date.now();
      if (now - lastEscape < 1500) {
        quickExit();
      }
      lastEscape = now;
    });

    updateCounter();
    renderTranscript();
    // A reload keeps the conversation: reconnect with the same session and reopen the panel.
    if (load(KEYS.open, false) || load(KEYS.session, null)) {
      connect();
    }
    if (load(KEYS.open, false)) {
      setOpen(true);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", build);
  } else {
    build();
  }
})();
