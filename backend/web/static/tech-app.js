/* fieldserv technician app: works without a signal.
 *
 * Every step form of a job's page (data-queue="...") goes through this phone's outbox, an IndexedDB
 * store: the action is saved first (with its idempotency key, the form's `key`), then sent. With a
 * signal it is sent at once and the page moves on as after a plain form post; without one it waits,
 * the page shows the next step as if it had been sent (confirm -> confirmed, arrival -> in progress,
 * completion -> resolved), and everything waiting is sent in order when the signal returns (the
 * browser's `online` event, every 20 s, or "Send now"). A resend after a lost answer carries the same
 * key, so the server does it once. What the server refuses when it finally arrives (the job given to
 * another technician meanwhile, stock gone, ...) stays in the outbox with its code, the server's words
 * and what to do, until the technician dismisses it.
 *
 * Photos are scaled down on the phone (canvas, at most 1600 px, JPEG) before they are saved; the
 * customer's signature is drawn on a canvas and saved as a PNG; arrival carries the phone's position
 * when the technician allows it (else why not). On the list of jobs, each job's page is fetched ahead
 * into the service worker's cache, so the day can be worked with the network off.
 */
(function () {
  "use strict";
  var body = document.body;
  if (!body.classList.contains("role-technician") || !window.indexedDB || !window.fetch) return;
  var user = body.getAttribute("data-user") || "";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var jobEl = document.getElementById("job");
  var DB_NAME = "fieldserv-app", STORE = "outbox", PAGES = "fs-pages";
  var PHOTO_MAX = 1600, PHOTO_QUALITY = 0.82, RETRY_MS = 20000;
  var NEXT = {confirm: ["scheduled", "confirmed"], arrive: ["released", "in_progress"],
              complete: ["in_progress", "resolved"]};
  var ADVICE = {
    not_found: "This job is not yours any more (given to another technician, or withdrawn). Nothing was " +
      "changed on it; call the help desk if you did this work.",
    forbidden: "You may not do this on this job. Call the help desk.",
    illegal_transition: "The job moved on while this waited on the phone. Open the job to see where it " +
      "stands, and call the help desk if that is wrong.",
    already_done: "It was already recorded: nothing more to do.",
    out_of_stock: "The stock ran out before this arrived. Record what you used again, or ask the store.",
    signature_required: "Ask the customer to sign on the job's page, then complete the job again.",
    upload_too_large: "Take the photo again.",
    upload_type_not_allowed: "Take the photo again with the camera.",
    invalid_input: "Correct it on the job's page and record it again.",
    idempotency_conflict: "Record it again.",
    conflict: "Record it again; if it is refused again, call the help desk."
  };
  var dirty = false;

  function csrf() { return csrfMeta ? csrfMeta.getAttribute("content") : ""; }

  function newKey() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return "app-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // --- the outbox (IndexedDB) -----------------------------------------------------------------------
  var opened = null;
  function db() {
    if (!opened) {
      opened = new Promise(function (resolve, reject) {
        var req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = function () { req.result.createObjectStore(STORE, {keyPath: "id", autoIncrement: true}); };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return opened;
  }
  function inStore(mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction(STORE, mode);
        var req = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(req ? req.result : undefined); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function mine() {
    return inStore("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return items.filter(function (i) { return i.user === user; }).sort(function (a, b) { return a.id - b.id; });
    });
  }
  function save(item) { return inStore("readwrite", function (s) { return s.put(item); }); }
  function remove(id) { return inStore("readwrite", function (s) { return s.delete(id); }); }

  // --- turning a form into queued actions -----------------------------------------------------------
  function refusal(code, message, reason) {
    var e = new Error(message); e.code = code; e.details = reason ? {reason: reason} : {}; return e;
  }
  function advice(error) {  // what to do: by the refusal's reason when it gives one, else by its code
    return ADVICE[(error.details || {}).reason] || ADVICE[error.code] ||
      "Open the job to see where it stands, or call the help desk.";
  }

  function fieldsOf(form) {
    var fields = [], files = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.name === "_csrf" || el.tagName === "BUTTON") return;
      if (el.type === "file") {
        Array.prototype.forEach.call(el.files || [], function (f) { files.push({name: el.name, blob: f, filename: f.name}); });
        return;
      }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      fields.push([el.name, el.value]);
    });
    return {fields: fields, files: files};
  }
  function field(fields, name) {
    for (var i = 0; i < fields.length; i++) if (fields[i][0] === name) return fields[i][1];
    return "";
  }
  function setField(fields, name, value) {
    for (var i = 0; i < fields.length; i++) if (fields[i][0] === name) { fields[i][1] = value; return; }
    fields.push([name, value]);
  }

  function position() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) { resolve({location: "unsupported"}); return; }
      var done = false;
      var timer = window.setTimeout(function () { if (!done) { done = true; resolve({location: "unavailable"}); } }, 12000);
      navigator.geolocation.getCurrentPosition(function (p) {
        if (done) return;
        done = true; window.clearTimeout(timer);
        resolve({location: "shared", latitude: p.coords.latitude.toFixed(6), longitude: p.coords.longitude.toFixed(6),
                 accuracy_m: Math.min(p.coords.accuracy || 0, 100000).toFixed(1)});
      }, function (err) {
        if (done) return;
        done = true; window.clearTimeout(timer);
        resolve({location: err && err.code === 1 ? "denied" : "unavailable"});
      }, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
    });
  }

  function shrink(file) {  // a camera photo of several MB becomes a JPEG of at most PHOTO_MAX pixels a side
    return new Promise(function (resolve, reject) {
      var src = URL.createObjectURL(file), img = new Image();
      img.onload = function () {
        var scale = Math.min(1, PHOTO_MAX / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
        canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
        var ctx = canvas.getContext("2d");
        ctx.fillStyle = "#fff";
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(src);
        canvas.toBlob(function (blob) {
          if (blob) resolve(blob); else reject(refusal("upload_type_not_allowed", "the photo could not be prepared"));
        }, "image/jpeg", PHOTO_QUALITY);
      };
      img.onerror = function () {
        URL.revokeObjectURL(src);
        reject(refusal("upload_type_not_allowed", "this file is not a picture the phone can read"));
      };
      img.src = src;
    });
  }

  var pads = [];
  function signaturePad(canvas) {
    var ctx, drawing = false, inked = false, last = null;
    function fit() {
      var box = canvas.getBoundingClientRect(), ratio = window.devicePixelRatio || 1;
      canvas.width = Math.max(1, Math.round(box.width * ratio));
      canvas.height = Math.max(1, Math.round(box.height * ratio));
      ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.6; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
      inked = false;
    }
    function at(e) { var box = canvas.getBoundingClientRect(); return {x: e.clientX - box.left, y: e.clientY - box.top}; }
    canvas.addEventListener("pointerdown", function (e) {
      if (!ctx) fit();
      drawing = true; last = at(e);
      if (canvas.setPointerCapture) canvas.setPointerCapture(e.pointerId);
      ctx.beginPath(); ctx.arc(last.x, last.y, 1.2, 0, 2 * Math.PI); ctx.fillStyle = "#111"; ctx.fill();
      inked = true; e.preventDefault();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) return;
      var p = at(e);
      ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
      last = p; inked = true; e.preventDefault();
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () { drawing = false; });
    });
    var pad = {
      canvas: canvas, clear: fit, inked: function () { return inked; },
      blob: function () { return new Promise(function (resolve) { canvas.toBlob(resolve, "image/png"); }); }
    };
    pads.push(pad);
    return pad;
  }

  function padOf(form) {
    for (var i = 0; i < pads.length; i++) if (form.contains(pads[i].canvas)) return pads[i];
    return null;
  }

  function jobOf(form) {
    var m = /\/jobs\/([^/]+)\//.exec(new URL(form.action, location.href).pathname);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function prepare(form) {
    var kind = form.getAttribute("data-queue"), got = fieldsOf(form), now = new Date().toISOString();
    var base = {user: user, job: jobOf(form), action: kind, url: form.action, status: "waiting", queued_at: now,
                label: form.getAttribute("data-label") || kind};
    if (!field(got.fields, "key")) setField(got.fields, "key", newKey());
    setField(got.fields, "at", now);
    function one(extra) {
      var item = Object.assign({}, base, {fields: got.fields, files: got.files}, extra || {});
      return [item];
    }
    if (kind === "arrive") {
      return position().then(function (where) {
        Object.keys(where).forEach(function (k) { setField(got.fields, k, where[k]); });
        var said = where.location === "shared" ? "position shared (±" + Math.round(Number(where.accuracy_m)) + " m)"
          : "position not shared (" + where.location + ")";
        return one({label: "Arrival, " + said});
      });
    }
    if (kind === "parts") {
      var select = form.querySelector("select[name=part_sku]");
      var part = select && select.selectedOptions[0] ? select.selectedOptions[0].textContent.split(" — ")[0] : "";
      return Promise.resolve(one({label: "Part " + part + " × " + field(got.fields, "qty")}));
    }
    if (kind === "note") {
      return Promise.resolve(one({label: "Note: " + field(got.fields, "note").slice(0, 60)}));
    }
    if (kind === "photo") {
      var shots = got.files.filter(function (f) { return f.name === "file"; });
      if (!shots.length) return Promise.reject(refusal("invalid_input", "choose or take a photo first"));
      var photoKind = field(got.fields, "kind") || "before";
      return Promise.all(shots.map(function (f) { return shrink(f.blob); })).then(function (blobs) {
        return blobs.map(function (blob, i) {
          var fields = got.fields.map(function (pair) { return pair.slice(); });
          if (i > 0) setField(fields, "key", newKey());
          var name = (shots[i].filename || "photo").replace(/\.[^.]*$/, "") + ".jpg";
          return Object.assign({}, base, {fields: fields, files: [{name: "file", blob: blob, filename: name}],
                                          label: photoKind.charAt(0).toUpperCase() + photoKind.slice(1) + " photo",
                                          thumb: blob});
        });
      });
    }
    if (kind === "signature") {
      var pad = padOf(form), signer = field(got.fields, "signer_name").trim();
      if (!signer) return Promise.reject(refusal("invalid_input", "type the customer's name"));
      if (!pad || !pad.inked()) return Promise.reject(refusal("invalid_input", "ask the customer to sign in the box"));
      return pad.blob().then(function (blob) {
        return [Object.assign({}, base, {fields: got.fields, files: [{name: "file", blob: blob, filename: "signature.png"}],
                                         label: "Signature of " + signer, thumb: blob})];
      });
    }
    if (kind === "complete") {
      return signedHere().then(function (signed) {
        if (jobEl && jobEl.getAttribute("data-signature-required") && !signed) {
          throw refusal("illegal_transition", "this job is completed only with the customer's signature: " +
                        "ask the customer to sign first", "signature_required");
        }
        return one({label: "Completion"});
      });
    }
    if (kind === "claim") {
      var total = 0;
      got.fields.forEach(function (pair) { if (/^amount_/.test(pair[0]) && pair[1]) total += Number(pair[1]) || 0; });
      return Promise.resolve(one({label: "Expense claim of " + total.toFixed(2)}));
    }
    return Promise.resolve(one());
  }

  function signedHere() {
    if (!jobEl) return Promise.resolve(false);
    if (jobEl.getAttribute("data-signed")) return Promise.resolve(true);
    var job = jobEl.getAttribute("data-job");
    return mine().then(function (items) {
      return items.some(function (i) { return i.job === job && i.action === "signature" && i.status === "waiting"; });
    });
  }

  // --- sending --------------------------------------------------------------------------------------
  function post(item) {
    var data = new FormData();
    item.fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
    (item.files || []).forEach(function (f) { data.append(f.name, f.blob, f.filename); });
    return fetch(item.url, {method: "POST", body: data, credentials: "same-origin",
                            headers: {"Accept": "application/json", "X-CSRF-Token": csrf()}})
      .then(function (r) {
        return r.json().catch(function () { return null; }).then(function (answer) {
          if (r.ok && answer && answer.ok) return {outcome: "sent", answer: answer};
          if (r.status === 401 || (r.status === 403 && !(answer && answer.code))) return {outcome: "login"};
          if (r.status >= 500 || r.status === 408 || r.status === 429) return {outcome: "later"};
          if (r.status === 413 && !(answer && answer.code)) {  // refused by the server's body limit itself
            return {outcome: "refused", error: {code: "upload_too_large", message: "the file is larger than the server accepts"}};
          }
          if (answer && answer.code) {
            return {outcome: "refused", error: {code: answer.code, message: answer.message, details: answer.details || {}}};
          }
          return {outcome: "refused", error: {code: "http_" + r.status, message: "the server answered " + r.status}};
        });
      }, function () { return {outcome: "offline"}; });
  }

  var sending = null, stopped = null;
  function sendAll(now) {
    if (sending) return sending.then(function () { return sendAll(now); });  // once more, after the pass under way
    var outcome = {sent: [], refused: [], stopped: null};
    sending = mine().then(function (items) {
      var waiting = items.filter(function (i) { return i.status === "waiting"; });
      function next(n) {
        if (n >= waiting.length) return outcome;
        var item = waiting[n];
        return post(item).then(function (res) {
          if (res.outcome === "sent") {
            outcome.sent.push({item: item, answer: res.answer});
            return remove(item.id).then(function () { return next(n + 1); });
          }
          if (res.outcome === "refused") {
            item.status = "refused"; item.error = res.error; item.refused_at = new Date().toISOString();
            delete item.thumb;
            outcome.refused.push(item);
            return save(item).then(function () { return next(n + 1); });
          }
          outcome.stopped = res.outcome;  // offline, the session ended, or the server is down: later
          return outcome;
        });
      }
      return next(0);
    });
    return sending.then(function (result) {
      sending = null;
      stopped = result.stopped;
      return refresh().then(function () { return result; });
    }, function (err) { sending = null; throw err; });
  }

  // --- what the page shows ---------------------------------------------------------------------------
  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) el.className = cls;
    return el;
  }
  function when(iso) {
    try { return new Date(iso).toLocaleTimeString([], {hour: "2-digit", minute: "2-digit", hour12: false}); } catch (e) { return ""; }
  }
  function jobLink(item) {
    var a = document.createElement("a");
    a.href = new URL(item.url, location.href).pathname.replace(/\/[^/]+$/, "");
    a.textContent = item.job;
    return a;
  }

  function renderOutbox(items) {
    var box = document.getElementById("outbox");
    if (!box) return;
    var waiting = items.filter(function (i) { return i.status === "waiting"; });
    var refused = items.filter(function (i) { return i.status === "refused"; });
    var net = document.getElementById("net-status");
    net.textContent = !navigator.onLine ? "Offline: what you record is kept on this phone and sent when the signal returns."
      : stopped === "login" ? "Log in again to send what is waiting (it stays on this phone)."
      : waiting.length ? "Online: sending what is waiting…" : "";
    net.className = "net" + (navigator.onLine ? "" : " off");
    document.getElementById("waiting-count").textContent = waiting.length;
    document.getElementById("refused-count").textContent = refused.length;
    var wl = document.getElementById("waiting-list"), rl = document.getElementById("refused-list");
    wl.textContent = ""; rl.textContent = "";
    waiting.forEach(function (i) {
      var li = document.createElement("li");
      li.appendChild(jobLink(i));
      li.appendChild(text("span", " " + i.label + " · " + when(i.queued_at)));
      wl.appendChild(li);
    });
    refused.forEach(function (i) {
      var li = document.createElement("li");
      li.className = "refused";
      li.appendChild(jobLink(i));
      li.appendChild(text("span", " " + i.label + " · " + when(i.queued_at) + ": "));
      li.appendChild(text("code", i.error.code));
      li.appendChild(text("span", " " + i.error.message));
      li.appendChild(text("p", advice(i.error), "advice"));
      var dismiss = text("button", "Dismiss");
      dismiss.type = "button";
      dismiss.setAttribute("aria-label", "Dismiss the refused " + i.label.toLowerCase() + " of " + i.job);
      dismiss.addEventListener("click", function () { remove(i.id).then(refresh); });
      li.appendChild(dismiss);
      rl.appendChild(li);
    });
    document.getElementById("outbox-waiting").hidden = !waiting.length;
    document.getElementById("outbox-refused").hidden = !refused.length;
    box.hidden = !(waiting.length || refused.length || !navigator.onLine);
  }

  function words(state) { return state.replace(/_/g, " "); }

  function applyView(items) {  // the job's page as if what waits had been sent
    if (!jobEl) return;
    var job = jobEl.getAttribute("data-job"), state = jobEl.getAttribute("data-state"), server = state;
    var here = items.filter(function (i) { return i.job === job && i.status === "waiting"; });
    here.forEach(function (i) { var n = NEXT[i.action]; if (n && state === n[0]) state = n[1]; });
    Array.prototype.forEach.call(document.querySelectorAll("[data-when]"), function (el) {
      el.hidden = el.getAttribute("data-when").split(" ").indexOf(state) < 0;
    });
    var signed = here.some(function (i) { return i.action === "signature"; });
    Array.prototype.forEach.call(document.querySelectorAll("form[data-queue=signature]"), function (f) {
      if (signed) f.hidden = true;
    });
    var badge = document.getElementById("job-state");
    if (badge) badge.textContent = words(state) + (state !== server ? " (waiting to send)" : "");
    Array.prototype.forEach.call(document.querySelectorAll("ul.pending"), function (ul) {
      var actions = ul.getAttribute("data-pending").split(" ");
      ul.textContent = "";
      here.filter(function (i) { return actions.indexOf(i.action) >= 0; }).forEach(function (i) {
        var li = document.createElement("li");
        if (i.thumb) {
          var img = document.createElement("img");
          img.src = URL.createObjectURL(i.thumb);
          img.alt = i.label + " (waiting to send)";
          li.appendChild(img);
        }
        li.appendChild(text("span", i.label + " "));
        li.appendChild(text("span", "waiting to send", "badge warn"));
        ul.appendChild(li);
      });
    });
  }

  function refresh() {
    return mine().then(function (items) { renderOutbox(items); applyView(items); return items; });
  }

  function formMessage(form, cls, html) {
    var old = form.querySelector(".app-message");
    if (old) old.remove();
    var p = document.createElement("p");
    p.className = "app-message " + cls;
    if (cls === "error") p.setAttribute("role", "alert"); else p.setAttribute("role", "status");
    html.forEach(function (node) { p.appendChild(typeof node === "string" ? document.createTextNode(node) : node); });
    form.appendChild(p);
  }

  function reset(form) {
    var key = form.querySelector("input[name=key]");
    var keep = {};
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (s) { keep[s.name] = s.value; });
    form.reset();
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (s) { if (s.name in keep) s.value = keep[s.name]; });
    if (key) key.value = newKey();
    var pad = padOf(form);
    if (pad) pad.clear();
    dirty = false;
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-queue]")) return;
    e.preventDefault();
    Array.prototype.forEach.call(document.querySelectorAll("main .flash"), function (f) { f.remove(); });  // said before
    var button = form.querySelector("[type=submit]");
    if (button) { button.disabled = true; window.setTimeout(function () { button.disabled = false; }, 1500); }
    prepare(form).then(function (items) {
      return items.reduce(function (chain, item) {
        return chain.then(function (ids) { return save(item).then(function (id) { return ids.concat([id]); }); });
      }, Promise.resolve([])).then(function (ids) {
        reset(form);
        return refresh().then(function () { return sendAll(ids); }).then(function (result) {
          var mineSent = result.sent.filter(function (s) { return ids.indexOf(s.item.id) >= 0; });
          var mineRefused = result.refused.filter(function (i) { return ids.indexOf(i.id) >= 0; });
          if (mineRefused.length) {  // refused while the technician is looking: said here, not kept
            var r = mineRefused[0];
            return Promise.all(mineRefused.map(function (i) { return remove(i.id); })).then(refresh).then(function () {
              formMessage(form, "error", [text("code", r.error.code), " " + r.error.message + ". " + advice(r.error)]);
            });
          }
          if (mineSent.length === ids.length && mineSent.length) {
            window.location.assign(mineSent[mineSent.length - 1].answer.redirect);
            return null;
          }
          return mine().then(function (items) {
            var left = items.filter(function (i) { return ids.indexOf(i.id) >= 0; });
            if (!left.length && !mineSent.length) { window.location.reload(); return; }  // a pass under way sent it
            formMessage(form, "saved", ["Saved on this phone: it will be sent when the signal returns."]);
          });
        });
      });
    }).catch(function (err) {
      formMessage(form, "error", [text("code", err.code || "error"), " " + err.message]);
    });
  });

  // --- the day, kept on the phone ahead of time --------------------------------------------------------
  function keepTheDay() {
    var links = Array.prototype.map.call(document.querySelectorAll("a.jobcard, a[data-keep]"), function (a) { return a.href; });
    var status = document.getElementById("day-saved");
    if (!links.length || !window.caches || !navigator.onLine) return;
    caches.open(PAGES).then(function (cache) {
      return Promise.all(links.map(function (href) {
        var u = new URL(href, location.href);
        return fetch(u.pathname, {credentials: "same-origin", headers: {"Accept": "text/html"}}).then(function (r) {
          if (r.ok && !r.redirected) return cache.put(u.origin + u.pathname, r).then(function () { return 1; });
          return 0;
        }, function () { return 0; });
      }));
    }).then(function (done) {
      var n = done.reduce(function (a, b) { return a + b; }, 0);
      if (status) status.textContent = n + " page" + (n === 1 ? "" : "s") + " saved on this phone for working offline · " + when(new Date().toISOString());
    });
  }

  // --- start -------------------------------------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("form[data-queue] input[name=key]"), function (k) {
    k.value = newKey();  // one key per form and page: the forms of a page never share one
  });
  Array.prototype.forEach.call(document.querySelectorAll("canvas.sigpad"), function (c) {
    var pad = signaturePad(c);
    var clear = c.closest("form").querySelector("[data-clear-signature]");
    if (clear) clear.addEventListener("click", pad.clear);
  });
  document.addEventListener("input", function (e) { if (e.target.closest && e.target.closest("form[data-queue]")) dirty = true; });
  document.getElementById("send-now") && document.getElementById("send-now").addEventListener("click", function () { syncNow(); });

  function syncNow() {
    return sendAll().then(function (result) {
      if (result && result.sent.length && !result.stopped && !dirty && navigator.onLine) {
        return mine().then(function (items) {
          if (!items.some(function (i) { return i.status === "waiting"; })) window.location.reload();
        });
      }
      return null;
    });
  }
  window.addEventListener("online", function () { refresh(); syncNow(); });
  window.addEventListener("offline", function () { refresh(); });
  window.setInterval(function () { if (navigator.onLine) syncNow(); }, RETRY_MS);
  refresh().then(function (items) {
    if (navigator.onLine && items.some(function (i) { return i.status === "waiting"; })) syncNow();
  });
  keepTheDay();
  window.fieldservOutbox = {items: mine, send: syncNow};  // for the browser tests and a curious technician
})();
