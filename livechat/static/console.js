/* The agent console. Talks to the hub's /agent namespace with the agent's
 * signed token; every text from the network is inserted with textContent. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var TOKEN_KEY = "fieldserv.console.token";
  var socket = null;
  var me = null;
  var selected = null;        // conversation dict being shown
  var shownSeqs = {};         // seq -> true for the selected conversation
  var lastSeq = 0;
  var mine = {}, queue = {}, live = {}, agents = [];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function newId() { return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now() + Math.random())).replace(/-/g, ""); }
  function ago(iso) {
    if (!iso) return "";
    var s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    return s < 60 ? s + " s ago" : Math.round(s / 60) + " min ago";
  }
  function label(c) { return c.visitor_name || ("Visitor " + String(c.session_id || "").slice(0, 6)); }

  // ---- login ---------------------------------------------------------------
  $("login").addEventListener("submit", async function (e) {
    e.preventDefault();
    $("login-error").textContent = "";
    var r = await fetch("/console/login", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: $("email").value, password: $("password").value }) });
    var body = await r.json().catch(function () { return {}; });
    if (!r.ok) { $("login-error").textContent = (body.error && body.error.message) || "login failed"; return; }
    sessionStorage.setItem(TOKEN_KEY, body.token);
    start(body.token);
  });
  $("logout").addEventListener("click", function () {
    sessionStorage.removeItem(TOKEN_KEY);
    if (socket) socket.disconnect();
    location.reload();
  });

  function start(token) {
    $("login-view").hidden = true; $("app").hidden = false;
    socket = io("/agent", { auth: { token: token }, transports: ["websocket", "polling"] });
    socket.on("connect", function () { $("conn").textContent = "connected"; sync(); });
    socket.on("disconnect", function () { $("conn").textContent = "reconnecting…"; });
    socket.on("connect_error", function (err) {
      var code = err && err.data && err.data.code;
      if (code === "unauthenticated" || code === "forbidden") {
        sessionStorage.removeItem(TOKEN_KEY);
        $("app").hidden = true; $("login-view").hidden = false;
        $("login-error").textContent = err.message || "log in again";
        socket.disconnect();
      } else { $("conn").textContent = "reconnecting…"; }
    });
    socket.on("queue_update", function (d) { setList(queue, d.queue); renderLists(); });
    socket.on("assigned", function (d) {
      var c = d.conversation; mine[c.id] = c; delete queue[c.id]; delete live[c.id]; lateMine(c.id, c); renderLists();
      if (!selected) select(c.id);
    });
    socket.on("unassigned", function (d) {
      delete mine[d.conversation_id]; lateMine(d.conversation_id, null); renderLists();
      if (selected && selected.id === d.conversation_id) { selected.agent_id = null; refreshButtons(); }
    });
    socket.on("conversation", function (c) {
      if (mine[c.id] && !(c.state === "agent" && c.agent_id === me.user_id)) { delete mine[c.id]; lateMine(c.id, null); }
      else if (c.state === "agent" && c.agent_id === me.user_id) { mine[c.id] = c; lateMine(c.id, c); }
      if (selected && selected.id === c.id) { selected = c; refreshButtons(); }
      renderLists();
    });
    socket.on("conversation_closed", function (d) { delete mine[d.conversation_id]; delete queue[d.conversation_id]; lateMine(d.conversation_id, null); renderLists(); });
    socket.on("message", function (m) {
      if (mine[m.conversation_id]) { mine[m.conversation_id].last_activity = m.created_at; mine[m.conversation_id]._new = !(selected && selected.id === m.conversation_id); renderLists(); }
      if (selected && selected.id === m.conversation_id) addMessage(m);
    });
    socket.on("typing", function (d) {
      if (selected && d.conversation_id === selected.id) $("typing").textContent = d.on ? "Customer is typing…" : "";
    });
  }

  // A sync's answer is a snapshot taken when the server read it; events that
  // arrive while it is on its way (a chat assigned the moment the agent goes
  // available, a status just chosen) are newer, so they are laid over it.
  var syncing = 0, late = null;
  function lateMine(id, c) { if (late) late.mine[id] = c; }
  function sync() {
    var ticket = ++syncing; late = { mine: {}, status: null };
    socket.emit("sync", {}, function (r) {
      if (ticket !== syncing) return;  // a newer sync is on its way
      var newer = late; late = null;
      if (!r || !r.ok) return;
      me = r.me; agents = r.agents;
      if (newer.status) me.status = newer.status;
      $("me").textContent = me.name + " (" + me.role + ")";
      $("status").value = me.status;
      mine = {}; r.mine.forEach(function (c) { mine[c.id] = c; });
      setList(queue, r.queue); setList(live, r.live);
      Object.keys(newer.mine).forEach(function (id) {
        if (newer.mine[id]) { mine[id] = newer.mine[id]; delete queue[id]; delete live[id]; } else delete mine[id];
      });
      var canned = $("canned"); canned.length = 1;
      r.canned.forEach(function (c) { var o = el("option", null, c.title); o.value = c.text; canned.appendChild(o); });
      $("kb-box").hidden = !r.kb;
      renderLists(); renderAgents();
      if (selected) select(selected.id, true);
    });
  }
  function setList(target, list) { Object.keys(target).forEach(function (k) { delete target[k]; }); (list || []).forEach(function (c) { target[c.id] = c; }); }

  function item(c, extra) {
    var li = el("li", (selected && selected.id === c.id ? "sel " : "") + (c._new ? "new" : ""));
    li.appendChild(document.createTextNode(label(c)));
    li.appendChild(el("small", null, extra));
    li.setAttribute("data-id", c.id);
    li.addEventListener("click", function () { select(c.id); });
    return li;
  }
  function renderLists() {
    var q = $("queue"), m = $("mine"), l = $("live");
    q.textContent = ""; m.textContent = ""; l.textContent = "";
    Object.values(queue).sort(function (a, b) { return a.position - b.position; }).forEach(function (c) {
      q.appendChild(item(c, "#" + c.position + " · waiting since " + ago(c.queued_at) + (c.handoff_reason ? " · " + c.handoff_reason : "")));
    });
    Object.values(mine).forEach(function (c) { m.appendChild(item(c, (c.answered_at ? "active " : "NEW — accept · ") + ago(c.last_activity))); });
    Object.values(live).forEach(function (c) { if (!mine[c.id] && !queue[c.id]) l.appendChild(item(c, "bot · " + ago(c.last_activity))); });
    $("queue-count").textContent = Object.keys(queue).length;
    $("mine-count").textContent = Object.keys(mine).length;
  }
  function renderAgents() {
    var sel = $("transfer-to"); sel.textContent = "";
    sel.appendChild(el("option", null, "Transfer to…"));
    agents.forEach(function (a) {
      if (me && a.user_id === me.user_id) return;
      var o = el("option", null, a.name + " (" + a.status + ", " + a.load + "/" + a.max_chats + ")");
      o.value = a.user_id; o.disabled = a.status !== "available"; sel.appendChild(o);
    });
  }

  // ---- one conversation ----------------------------------------------------
  function select(id, keep) {
    socket.emit("watch", { conversation_id: id, after_seq: keep ? lastSeq : 0 }, function (r) {
      if (!r || !r.ok) return;
      if (!keep || !selected || selected.id !== id) { $("transcript").textContent = ""; shownSeqs = {}; lastSeq = 0; }
      selected = r.conversation;
      if (mine[id]) mine[id]._new = false;
      $("chat-title").textContent = label(selected) + " · " + selected.state + (selected.agent_name ? " · " + selected.agent_name : "");
      r.messages.forEach(addMessage);
      refreshButtons(); renderLists();
      $("close-result").textContent = "";
      loadCustomer(selected.customer_id);
    });
  }
  function addMessage(m) {
    if (shownSeqs[m.seq]) return;
    shownSeqs[m.seq] = true; lastSeq = Math.max(lastSeq, m.seq);
    var li = el("li", m.sender);
    var who = m.sender === "agent" ? (m.agent_name || "agent") : m.sender === "customer" ? "customer" : m.sender;
    li.appendChild(el("span", "who", who + " · " + new Date(m.created_at).toLocaleTimeString()));
    var text = m.payload && m.payload.title ? m.payload.title : m.text;
    li.appendChild(document.createTextNode(text || ""));
    if (m.payload && m.payload.quick_replies && m.payload.quick_replies.length) {
      li.appendChild(el("span", "who", "options: " + m.payload.quick_replies.map(function (q) { return q.title; }).join(", ")));
    }
    if (m.payload && m.payload.left_message) {
      var lm = m.payload.left_message;
      li.appendChild(el("span", "who", "left a message · " + [lm.name, lm.contact, lm.reference].filter(Boolean).join(" · ")));
    }
    li.setAttribute("data-seq", m.seq);
    var list = $("transcript"), kids = list.children, placed = false;
    for (var i = 0; i < kids.length; i++) { if (Number(kids[i].getAttribute("data-seq")) > m.seq) { list.insertBefore(li, kids[i]); placed = true; break; } }
    if (!placed) list.appendChild(li);
    list.scrollTop = list.scrollHeight;
  }
  function refreshButtons() {
    var c = selected, isMine = c && c.state === "agent" && me && c.agent_id === me.user_id;
    $("accept").hidden = !(isMine && !c.answered_at);
    $("pick").hidden = !(c && (c.state === "bot" || c.state === "queued"));
    $("transfer").hidden = $("transfer-to").hidden = !isMine;
    $("send").disabled = !isMine; $("reply").disabled = !isMine;
    $("close").disabled = !(isMine || (c && c.state === "queued"));
    $("chat-title").textContent = c ? label(c) + " · " + c.state + (c.agent_name ? " · " + c.agent_name : "") : "Pick a conversation";
  }
  function ack(after) {
    return function (r) {
      if (!r || !r.ok) { alert((r && r.error && r.error.message) || "that did not work"); return; }
      if (after) after(r);
    };
  }

  $("accept").addEventListener("click", function () {
    socket.emit("accept", { conversation_id: selected.id }, ack(function (r) { selected = r.conversation; mine[selected.id] = selected; refreshButtons(); renderLists(); }));
  });
  $("pick").addEventListener("click", function () {
    socket.emit("pick", { conversation_id: selected.id }, ack(function (r) { selected = r.conversation; mine[selected.id] = selected; delete queue[selected.id]; refreshButtons(); renderLists(); }));
  });
  $("transfer").addEventListener("click", function () {
    var to = Number($("transfer-to").value); if (!to) return;
    socket.emit("transfer", { conversation_id: selected.id, to_agent_id: to }, ack(function (r) { delete mine[selected.id]; selected = r.conversation; refreshButtons(); renderLists(); }));
  });
  $("composer").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("reply").value.trim(); if (!text || !selected) return;
    socket.emit("send", { conversation_id: selected.id, text: text, client_id: newId() }, ack(function (r) {
      $("reply").value = "";
      if (r.message && selected && selected.id === r.message.conversation_id) addMessage(r.message);
    }));
  });
  $("reply").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); }
  });
  var typingOn = false, typingTimer = null;
  $("reply").addEventListener("input", function () {
    if (!selected) return;
    if (!typingOn) { socket.emit("typing", { conversation_id: selected.id, on: true }); typingOn = true; }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingOn = false; socket.emit("typing", { conversation_id: selected.id, on: false }); }, 2500);
  });
  $("canned").addEventListener("change", function () {
    if (this.value) { $("reply").value = this.value; this.selectedIndex = 0; $("reply").focus(); }
  });
  $("close-form").addEventListener("submit", function (e) {
    e.preventDefault();
    socket.emit("close", { conversation_id: selected.id, note: $("close-note").value }, ack(function (r) {
      $("close-result").textContent = r.ticket ? "Closed · ticket " + r.ticket : "Closed · " + (r.note || "no ticket");
      $("close-note").value = ""; delete mine[selected.id]; selected = r.conversation; refreshButtons(); renderLists();
    }));
  });
  $("status").addEventListener("change", function () {
    var chosen = this.value;
    if (late) late.status = chosen;
    if (me) me.status = chosen;
    socket.emit("set_status", { status: chosen }, ack(function () { socket.emit("agents", {}, function (r) { if (r && r.ok) { agents = r.agents; renderAgents(); } }); }));
  });
  $("refresh-live").addEventListener("click", refreshLive);
  function refreshLive() { if (socket && socket.connected) socket.emit("live", {}, function (r) { if (r && r.ok) { setList(live, r.live); renderLists(); } }); }
  setInterval(function () { refreshLive(); if (socket && socket.connected) socket.emit("agents", {}, function (r) { if (r && r.ok) { agents = r.agents; renderAgents(); } }); }, 10000);

  // ---- beside the chat -----------------------------------------------------
  function loadCustomer(id) {
    var box = $("customer"); box.textContent = "";
    if (!id) { box.appendChild(el("p", "muted", "No customer identified (anonymous visitor).")); return; }
    socket.emit("customer", { customer_id: id }, function (r) {
      if (!r || !r.ok) { box.appendChild(el("p", "muted", (r && r.error && r.error.message) || "not available")); return; }
      var s = r.summary, c = s.customer, dl = el("dl");
      [["Name", c.name], ["Code", c.code], ["Phone", c.phone], ["E-mail", c.email]].forEach(function (p) {
        dl.appendChild(el("dt", null, p[0])); dl.appendChild(el("dd", null, p[1] || "—"));
      });
      box.appendChild(dl);
      section(box, "Open requests", s.requests, function (x) { return x.number + " · " + x.kind + " · " + (x.problem || "").slice(0, 60); });
      section(box, "Open tickets", s.tickets, function (x) { return x.number + " · " + x.state + " · " + x.subject; });
      section(box, "Jobs", s.jobs, function (x) { return (x.number || x.reference || "job") + " · " + x.state; });
      section(box, "Open invoices", s.invoices, function (x) { return x.number + " · " + x.total + " · due " + x.due_on; });
    });
  }
  function section(box, title, list, fmt) {
    box.appendChild(el("b", null, title));
    var ul = el("ul");
    if (!list || !list.length) ul.appendChild(el("li", "muted", "none"));
    (list || []).forEach(function (x) { ul.appendChild(el("li", null, fmt(x))); });
    box.appendChild(ul);
  }
  $("kb-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var q = $("kb-query").value.trim(); if (!q) return;
    var out = $("kb-results"); out.textContent = "";
    socket.emit("kb_search", { query: q }, function (r) {
      if (!r || !r.ok) { out.appendChild(el("li", "muted", (r && r.error && r.error.message) || "search failed")); return; }
      if (!r.hits.length) out.appendChild(el("li", "muted", "nothing found (" + r.reason + ")"));
      r.hits.forEach(function (h) {
        var li = el("li"); li.appendChild(el("b", null, h.title + (h.heading ? " — " + h.heading : "")));
        li.appendChild(document.createTextNode(h.snippet || h.text));
        var b = el("button", null, "Paste into reply"); b.type = "button";
        b.addEventListener("click", function () { $("reply").value = h.text; $("reply").focus(); });
        li.appendChild(b); out.appendChild(li);
      });
    });
  });

  var saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) start(saved);
})();
