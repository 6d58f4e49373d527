/* Shared helper for the console's pages: the CSRF token and a POST that sends it.
 * Console.post(url, data): data is FormData, URLSearchParams or a plain object (sent as a form, so
 * the same handler serves the plain HTML form and the script). Returns fetch's promise. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") || "" : "";

  function post(url, data) {
    var body = data;
    if (data && !(data instanceof FormData) && !(data instanceof URLSearchParams)) {
      body = new URLSearchParams();
      Object.keys(data).forEach(function (key) { body.append(key, data[key]); });
    }
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"X-CSRF-Token": csrf, "Accept": "application/json"},
      body: body
    });
  }

  window.Console = {csrf: csrf, post: post};
})();
