/* fieldserv portal: small progressive enhancements; every page works without it.
 * The app: the service worker (sw.js) that keeps the app shell and the technician's day on the phone.
 * Kanban: drag a card onto another column to ask for that move. The server
 * makes the move through the use case that owns it, or answers why not. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="fs-service-worker"]');
  if (!meta || !("serviceWorker" in navigator)) return;
  var user = document.body.getAttribute("data-user") || "";
  function forget() {  // the pages another person saw on this phone are not for this one
    if (navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage({type: "forget"});
    if (window.caches) { caches.delete("fs-pages"); caches.delete("fs-media"); }
  }
  try {
    var before = window.localStorage.getItem("fs-user");
    if (user && before !== null && before !== user) forget();
    if (user) window.localStorage.setItem("fs-user", user);
  } catch (e) { /* storage may be off: nothing kept, nothing to forget */ }
  document.addEventListener("submit", function (e) {
    if (e.target.matches && e.target.matches("form.who")) {  // logging out
      forget();
      try { window.localStorage.removeItem("fs-user"); } catch (err) { /* nothing kept */ }
    }
  });
  navigator.serviceWorker.register(meta.getAttribute("content"), {scope: meta.getAttribute("data-scope")})
    .catch(function () { /* no worker (e.g. not over HTTPS): the portal works as plain pages */ });
})();

(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var board = document.querySelector(".kanban");
  if (!board) return;
  var status = document.getElementById("kanban-status");
  var moveUrl = board.getAttribute("data-move-url");
  var dragged = null;

  function say(text, bad) {
    status.textContent = text;
    status.className = bad ? "error-box" : "flash";
  }

  board.addEventListener("dragstart", function (e) {
    var card = e.target.closest(".kcard");
    if (!card) return;
    dragged = card;
    e.dataTransfer.setData("text/plain", card.getAttribute("data-job"));
    e.dataTransfer.effectAllowed = "move";
  });
  board.addEventListener("dragover", function (e) {
    var col = e.target.closest(".column");
    if (col && dragged) { e.preventDefault(); col.classList.add("drop"); }
  });
  board.addEventListener("dragleave", function (e) {
    var col = e.target.closest(".column");
    if (col) col.classList.remove("drop");
  });
  board.addEventListener("drop", function (e) {
    var col = e.target.closest(".column");
    if (!col || !dragged) return;
    e.preventDefault();
    col.classList.remove("drop");
    var card = dragged; dragged = null;
    var target = col.getAttribute("data-state");
    if (target === card.getAttribute("data-state")) return;
    var note = "";
    if (target === "cancelled" || target === "closed") {
      note = window.prompt(target === "cancelled" ? "Why is the job cancelled?" : "Why close it without a bill?") || "";
    }
    var body = new URLSearchParams({target: target, note: note, _csrf: csrf});
    fetch(moveUrl.replace("JOBREF", encodeURIComponent(card.getAttribute("data-job"))), {
      method: "POST", credentials: "same-origin", body: body,
      headers: {"Accept": "application/json", "X-CSRF-Token": csrf}
    }).then(function (r) { return r.json(); }).then(function (res) {
      if (res.redirect) { window.location.href = res.redirect; return; }
      if (!res.ok) { say(card.getAttribute("data-job") + ": " + res.code + " — " + res.message, true); return; }
      say(res.message, false);
      window.setTimeout(function () { window.location.reload(); }, 600);
    }).catch(function () { say("The move could not be sent; try the Move button on the card.", true); });
  });
})();
