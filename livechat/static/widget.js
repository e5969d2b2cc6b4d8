/* fieldserv chat widget — include with one tag:
 *
 *   <script src="https://HUB/widget.js" data-title="Chat with us" async></script>
 *
 * Optional attributes: data-title, data-open="true" (start opened),
 * data-fullscreen="true" (fill the page: technician phones), data-token (the
 * signed login token of a logged-in customer or technician).
 * JavaScript: window.FieldservChat.open() / .close() / .setToken(t) / .send(text).
 *
 * Speaks Rasa's Socket.IO channel protocol to the hub (session_request,
 * user_uttered, bot_uttered) plus the hub's additions (handoff_state,
 * user_message, typing, business_hours, chat_error, leave_message, end_chat).
 * Every message a customer types gets a client id and stays in a local outbox
 * until the hub acknowledges that it is stored, so nothing is lost on a
 * network drop or a page reload. The session id survives reloads; after a
 * reload the page asks for the whole history (last_seq 0), after a network
 * drop only for what it missed (last_seq = the last message shown). Text from
 * the network is only ever inserted with textContent, never as HTML.
 */
(function () {
  "use strict";
  if (window.FieldservChat) return;

  var script = document.currentScript || (function () {
    var all = document.querySelectorAll("script[src*='widget.js']");
    return all[all.length - 1];
  })();
  var HUB = new URL(script.src, location.href).origin;
  var cfg = {
    title: script.getAttribute("data-title") || "Chat with us",
    open: script.getAttribute("data-open") === "true",
    fullscreen: script.getAttribute("data-fullscreen") === "true",
    token: script.getAttribute("data-token") || null
  };
  var KEY = "fieldserv.chat." + HUB + ".";
  var store = {
    get: function (k, d) {
      try { var v = localStorage.getItem(KEY + k); return v === null ? d : JSON.parse(v); } catch (e) { return d; }
    },
    set: function (k, v) { try { localStorage.setItem(KEY + k, JSON.stringify(v)); } catch (e) { /* private mode */ } }
  };

  // ---- state ---------------------------------------------------------------
  var sessionId = store.get("session", null);
  var lastSeq = 0;                               // all messages up to here are shown (this page)
  var outbox = store.get("outbox", []);          // [{client_id, message, title}] not yet stored
  var seen = {};                                 // seq -> element
  var socket = null, confirmed = false, typingTimer = null, myTyping = false;
  if (cfg.token === null) cfg.token = store.get("token", null);

  // ---- DOM -----------------------------------------------------------------
  var css = [
    ".fsc-launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;",
    "padding:14px 20px;background:#0b6e4f;color:#fff;font:600 15px/1 system-ui,sans-serif;cursor:pointer;",
    "box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".fsc-panel{position:fixed;right:20px;bottom:84px;z-index:2147483001;width:360px;height:520px;",
    "max-height:calc(100vh - 104px);display:none;flex-direction:column;background:#fff;border-radius:12px;",
    "box-shadow:0 8px 30px rgba(0,0,0,.3);font:14px/1.4 system-ui,sans-serif;color:#1d2327;overflow:hidden}",
    ".fsc-panel.fsc-open{display:flex}",
    ".fsc-head{background:#0b6e4f;color:#fff;padding:12px 14px;display:flex;align-items:center;gap:8px}",
    ".fsc-head b{flex:1;font-size:15px}.fsc-head button{background:none;border:0;color:#fff;font-size:20px;cursor:pointer}",
    ".fsc-status{background:#e8f4ef;color:#0b4f3a;padding:6px 14px;font-size:13px;min-height:18px}",
    ".fsc-net{background:#fff3cd;color:#6b4e00;padding:4px 14px;font-size:12px;display:none}",
    ".fsc-log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:6px;background:#f7f8f9}",
    ".fsc-msg{max-width:80%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}",
    ".fsc-link{color:inherit;text-decoration:underline;word-break:break-all}",
    ".fsc-me{align-self:flex-end;background:#0b6e4f;color:#fff;border-bottom-right-radius:3px}",
    ".fsc-me.fsc-pending{opacity:.6}",
    ".fsc-bot,.fsc-agent{align-self:flex-start;background:#fff;border:1px solid #dde1e4;border-bottom-left-radius:3px}",
    ".fsc-notice{border-left:4px solid #0b6e4f;background:#f2faf6}",
    ".fsc-agent{border-color:#8cc9b2}.fsc-who{display:block;font-size:11px;color:#5c6b73;margin-bottom:2px}",
    ".fsc-system{align-self:center;background:none;color:#5c6b73;font-size:12px;text-align:center;max-width:95%}",
    ".fsc-error{align-self:center;color:#a4161a;font-size:12px}",
    ".fsc-msg img{max-width:100%;border-radius:6px;display:block}",
    ".fsc-replies{display:flex;flex-wrap:wrap;gap:6px;padding:0 12px 8px;background:#f7f8f9}",
    ".fsc-replies button{border:1px solid #0b6e4f;background:#fff;color:#0b6e4f;border-radius:16px;padding:6px 12px;",
    "cursor:pointer;font:inherit}",
    ".fsc-typing{padding:0 14px 6px;font-size:12px;color:#5c6b73;min-height:16px;background:#f7f8f9}",
    ".fsc-panel .fsc-form{display:flex;flex-direction:row;border-top:1px solid #dde1e4;margin:0;padding:0;gap:0;",
    "max-width:none;width:auto;background:#fff}",
    ".fsc-panel .fsc-form textarea{flex:1;border:0;margin:0;padding:10px;font:inherit;resize:none;height:44px;",
    "width:auto;max-width:none;border-radius:0;box-sizing:border-box}",
    ".fsc-panel .fsc-form button{border:0;margin:0;background:#0b6e4f;color:#fff;padding:0 16px;border-radius:0;",
    "font:600 14px system-ui,sans-serif;cursor:pointer;width:auto}",
    ".fsc-panel,.fsc-panel *{box-sizing:border-box}",
    ".fsc-full .fsc-close{display:none}",
    ".fsc-leave{display:none;flex-direction:column;gap:6px;padding:10px 12px;border-top:1px solid #dde1e4;background:#fffdf5}",
    ".fsc-leave.fsc-show{display:flex}.fsc-leave input,.fsc-leave textarea{font:inherit;padding:6px;border:1px solid #ccd}",
    ".fsc-leave button{align-self:flex-end;border:0;background:#0b6e4f;color:#fff;padding:6px 14px;border-radius:4px}",
    ".fsc-head .fsc-end{background:none;border:0;color:#fff;text-decoration:underline;cursor:pointer;font-size:12px;display:none}",
    "@media (max-width:600px){.fsc-panel{right:0;bottom:0;width:100%;height:100%;max-height:100%;border-radius:0}",
    ".fsc-launch{right:12px;bottom:12px}}",
    ".fsc-full.fsc-panel{right:0;bottom:0;width:100%;height:100%;max-height:100%;border-radius:0}"
  ].join("");

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  var style = el("style"); style.textContent = css; document.head.appendChild(style);
  var launch = el("button", "fsc-launch", cfg.title); launch.type = "button";
  launch.setAttribute("aria-label", cfg.title);
  var panel = el("div", "fsc-panel" + (cfg.fullscreen ? " fsc-full" : ""));
  panel.setAttribute("role", "dialog"); panel.setAttribute("aria-label", cfg.title);
  var head = el("div", "fsc-head"); var titleEl = el("b", null, cfg.title);
  var endBtn = el("button", "fsc-end", "End chat"); endBtn.type = "button";
  var closeBtn = el("button", "fsc-close", "\u00d7"); closeBtn.type = "button"; closeBtn.setAttribute("aria-label", "Close");
  head.appendChild(titleEl); head.appendChild(endBtn); head.appendChild(closeBtn);
  var status = el("div", "fsc-status", "Connecting\u2026"); status.setAttribute("aria-live", "polite");
  var net = el("div", "fsc-net", "Connection lost \u2014 reconnecting\u2026");
  var log = el("div", "fsc-log"); log.setAttribute("aria-live", "polite");
  var replies = el("div", "fsc-replies");
  var typing = el("div", "fsc-typing");
  var leave = el("div", "fsc-leave");
  var leaveText = el("textarea"); leaveText.placeholder = "Your message"; leaveText.rows = 3;
  var leaveName = el("input"); leaveName.placeholder = "Your name";
  var leaveContact = el("input"); leaveContact.placeholder = "Phone or e-mail";
  var leaveRef = el("input"); leaveRef.placeholder = "Request, job or invoice number (optional)";
  var leaveBtn = el("button", null, "Leave message"); leaveBtn.type = "button";
  [el("b", null, "Leave us a message"), leaveName, leaveContact, leaveRef, leaveText, leaveBtn].forEach(function (x) { leave.appendChild(x); });
  var form = el("form", "fsc-form");
  var input = el("textarea"); input.placeholder = "Type a message\u2026"; input.setAttribute("aria-label", "Message");
  input.maxLength = 2000;
  var send = el("button", null, "Send"); send.type = "submit";
  form.appendChild(input); form.appendChild(send);
  [head, status, net, log, replies, typing, leave, form].forEach(function (x) { panel.appendChild(x); });

  function mount() {
    if (!cfg.fullscreen) document.body.appendChild(launch);
    document.body.appendChild(panel);
    outbox.forEach(function (m) { renderMine(m.title || m.message, null, m.client_id); });
    if (cfg.open || cfg.fullscreen || store.get("open", false)) open();
  }

  // ---- rendering -----------------------------------------------------------
  function scroll() { log.scrollTop = log.scrollHeight; }

  function place(node, seq) {
    // keep the log in seq order; pending (unsent) messages stay at the bottom
    node.setAttribute("data-seq", seq === null ? "" : String(seq));
    if (seq === null) { log.appendChild(node); return; }
    var kids = log.children;
    for (var i = 0; i < kids.length; i++) {
      var s = kids[i].getAttribute("data-seq");
      if (s === "" || (s !== null && Number(s) > seq)) { log.insertBefore(node, kids[i]); return; }
    }
    log.appendChild(node);
  }

  function advance(seq) {
    if (seq === lastSeq + 1 || seq <= lastSeq) {
      while (seen[lastSeq + 1]) lastSeq++;
    }
  }

  function safeUrl(u) {
    try { var p = new URL(u, location.href); return (p.protocol === "https:" || p.protocol === "http:") ? p.href : null; }
    catch (e) { return null; }
  }

  // Bot and agent text: http(s) addresses become links (an <a> whose text and
  // href are set as properties, never parsed as HTML); the rest stays text.
  var URL_RE = /https?:\/\/[^\s<>"']+/g;
  function appendLinked(node, text) {
    var last = 0, m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text)) !== null) {
      var url = m[0].replace(/[).,;:!?]+$/, "");
      var href = safeUrl(url);
      if (!href) continue;
      node.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = el("a", "fsc-link", url); a.href = href; a.target = "_blank"; a.rel = "noopener noreferrer";
      node.appendChild(a);
      last = m.index + url.length;
      URL_RE.lastIndex = last;
    }
    node.appendChild(document.createTextNode(text.slice(last)));
  }

  function showReplies(list) {
    replies.textContent = "";
    (list || []).forEach(function (q) {
      var b = el("button", null, q.title || q.payload); b.type = "button";
      b.addEventListener("click", function () { replies.textContent = ""; sendText(q.payload || q.title, q.title); });
      replies.appendChild(b);
    });
  }

  function renderBot(data) {
    var meta = data.metadata || {};
    var seq = typeof meta.seq === "number" ? meta.seq : null;
    if (seq !== null && seen[seq]) return;
    var sender = meta.sender || "bot";
    var node = el("div", "fsc-msg fsc-" + (sender === "agent" ? "agent" : sender === "system" ? "system" : "bot") +
      (meta.notice ? " fsc-notice" : ""));
    if (meta.notice && meta.notice.event) node.setAttribute("data-notice", String(meta.notice.event));
    if (sender === "agent" && meta.agent_name) node.appendChild(el("span", "fsc-who", meta.agent_name));
    if (data.text) appendLinked(node, String(data.text));
    var att = data.attachment;
    if (att && att.type === "image" && att.payload && safeUrl(att.payload.src)) {
      var img = el("img"); img.src = safeUrl(att.payload.src); img.alt = "image"; node.appendChild(img);
    } else if (att && !data.text) {
      node.appendChild(document.createTextNode("[attachment]"));
    }
    place(node, seq);
    if (seq !== null) { seen[seq] = node; advance(seq); }
    if (!meta.replay) showReplies(data.quick_replies);
    scroll();
  }

  function renderMine(text, seq, clientId) {
    if (seq !== null && seen[seq]) return seen[seq];
    var node = clientId ? log.querySelector("[data-client='" + clientId + "']") : null;
    if (!node) { node = el("div", "fsc-msg fsc-me", text); if (clientId) node.setAttribute("data-client", clientId); }
    if (seq === null) { node.classList.add("fsc-pending"); place(node, null); }
    else { node.classList.remove("fsc-pending"); if (node.parentNode) log.removeChild(node); place(node, seq); seen[seq] = node; advance(seq); }
    scroll();
    return node;
  }

  function note(text, cls) { var n = el("div", "fsc-msg " + (cls || "fsc-system"), text); log.appendChild(n); scroll(); }

  function setState(st) {
    var text = "Our assistant is here to help";
    if (st.state === "queued") {
      text = st.position ? "You are number " + st.position + " in the queue" : "Waiting for a person\u2026";
      if (st.estimated_wait_s) text += " \u00b7 about " + Math.max(1, Math.round(st.estimated_wait_s / 60)) + " min";
    } else if (st.state === "agent") {
      text = (st.agent_name || "An agent") + " is with you";
    } else if (st.state === "closed") {
      text = "Chat ended \u2014 write again any time";
    }
    status.textContent = text;
    endBtn.style.display = (st.state === "queued" || st.state === "agent") ? "inline" : "none";
    if (st.state === "agent") titleEl.textContent = st.agent_name || cfg.title; else titleEl.textContent = cfg.title;
  }

  // ---- network -------------------------------------------------------------
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function custom() { return cfg.token ? { token: cfg.token } : {}; }

  function flush() {
    if (!socket || !confirmed) return;
    outbox.forEach(function (m) { emitMessage(m); });
  }

  function emitMessage(m) {
    socket.timeout(10000).emit("user_uttered",
      { message: m.message, title: m.title || undefined, session_id: sessionId, customData: custom(), client_id: m.client_id },
      function (err, ack) {
        if (err || !ack) return; // still in the outbox; sent again on reconnect
        var code = ack.error && ack.error.code;
        if (code === "shutting_down") return; // the hub is restarting: kept, sent again on reconnect
        if (ack.ok || (code && code !== "rate_limited")) {
          outbox = outbox.filter(function (x) { return x.client_id !== m.client_id; });
          store.set("outbox", outbox);
        }
        if (ack.ok) renderMine(m.title || m.message, ack.seq, m.client_id);
        else if (ack.error && ack.error.code === "rate_limited") setTimeout(function () { emitMessage(m); }, 2000);
      });
  }

  function sendText(text, title) {
    text = String(text || "").trim();
    if (!text) return;
    var m = { client_id: newId(), message: text, title: title || null };
    outbox.push(m); store.set("outbox", outbox);
    renderMine(title || text, null, m.client_id);
    if (socket && socket.connected && confirmed) emitMessage(m);
  }

  function connect() {
    if (socket) return;
    function start() {
      socket = window.io(HUB, { transports: ["websocket", "polling"], reconnectionDelayMax: 5000 });
      socket.on("connect", function () {
        net.style.display = "none"; confirmed = false;
        socket.emit("session_request", { session_id: sessionId, last_seq: lastSeq, customData: custom() });
      });
      socket.on("disconnect", function () { net.style.display = "block"; confirmed = false; });
      socket.on("session_confirm", function (id) {
        if (id !== sessionId) {
          if (sessionId) { log.textContent = ""; seen = {}; }
          sessionId = id; store.set("session", id); lastSeq = 0;
        }
        confirmed = true; flush();
      });
      socket.on("bot_uttered", function (d) { typing.textContent = ""; renderBot(d || {}); });
      socket.on("user_message", function (d) { if (d) renderMine(d.text, d.seq, d.client_id); });
      socket.on("handoff_state", function (d) { if (d) setState(d); });
      socket.on("typing", function (d) {
        typing.textContent = d && d.on ? ((d.who === "agent" ? (d.name || "Agent") : "Assistant") + " is typing\u2026") : "";
      });
      socket.on("business_hours", function (d) {
        if (d && d.leave_message) { leave.classList.add("fsc-show"); }
      });
      socket.on("chat_error", function (d) { if (d && d.message) note(d.message, "fsc-error"); });
    }
    if (window.io) start();
    else {
      var s = document.createElement("script");
      s.src = HUB + "/static/socket.io.min.js"; s.onload = start;
      s.onerror = function () { status.textContent = "Chat is unavailable right now"; };
      document.head.appendChild(s);
    }
  }

  // ---- interaction ---------------------------------------------------------
  function open() { panel.classList.add("fsc-open"); store.set("open", true); connect(); setTimeout(function () { input.focus(); }, 0); }
  function close() { panel.classList.remove("fsc-open"); store.set("open", false); }

  launch.addEventListener("click", function () { panel.classList.contains("fsc-open") ? close() : open(); });
  closeBtn.addEventListener("click", close);
  endBtn.addEventListener("click", function () { if (socket) socket.emit("end_chat", {}); });
  form.addEventListener("submit", function (e) { e.preventDefault(); sendText(input.value); input.value = ""; stopTyping(); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
  });
  function stopTyping() { if (myTyping && socket) socket.emit("typing", { on: false }); myTyping = false; }
  input.addEventListener("input", function () {
    if (!myTyping && socket && confirmed) { socket.emit("typing", { on: true }); myTyping = true; }
    clearTimeout(typingTimer); typingTimer = setTimeout(stopTyping, 3000);
  });
  leaveBtn.addEventListener("click", function () {
    if (!socket || !leaveText.value.trim()) return;
    socket.emit("leave_message", { text: leaveText.value, name: leaveName.value, contact: leaveContact.value,
      reference: leaveRef.value, client_id: newId() }, function (ack) {
      if (ack && ack.ok) { leave.classList.remove("fsc-show"); leaveText.value = ""; }
      else if (ack && ack.error) note(ack.error.message, "fsc-error");
    });
  });

  window.FieldservChat = {
    open: open, close: close, send: sendText,
    setToken: function (t) {
      cfg.token = t || null; store.set("token", cfg.token);
      if (socket && socket.connected) socket.emit("session_request", { session_id: sessionId, last_seq: lastSeq, customData: custom() });
    },
    state: function () { return { session_id: sessionId, last_seq: lastSeq, outbox: outbox.length, connected: !!(socket && socket.connected) }; }
  };

  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
