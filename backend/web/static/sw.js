/* fieldserv service worker: the app shell and the technician's day, kept on the phone.
 *
 * Served by the portal at <portal>/sw.js (backend/web/views/pwa.py fills in CONFIG: the shell's
 * versioned URLs, the portal's root, the offline page), so it controls every portal page.
 *
 * - The shell (CSS, scripts, icon, offline page): cached at install, then served from the cache.
 * - The technician's pages (<portal>/t/...): from the network while there is one, each answer kept;
 *   without a network the kept copy (the app also fetches the day's job pages ahead: tech-app.js).
 * - Job photos and signatures (never change once stored): from the cache once seen.
 * - Any other page: the network, else the offline page.
 * - Posts are never touched here: the app queues what the technician does (IndexedDB) and sends it
 *   itself, each with its idempotency key, so nothing is lost and nothing is done twice.
 */
"use strict";
var CONFIG = /*CONFIG*/{};
var SHELL = "fs-shell-" + CONFIG.version;
var PAGES = "fs-pages";
var MEDIA = "fs-media";
var TECH = CONFIG.scope + "t/";
var MEDIA_PATH = /\/jobs\/[^/]+\/(photos\/\d+|signature)$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(CONFIG.shell); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("fs-shell-") === 0 && n !== SHELL; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "forget") {  // logged out, or another person logged in on this phone
    event.waitUntil(Promise.all([caches.delete(PAGES), caches.delete(MEDIA)]));
  }
});

function pageKey(url) {  // one copy per page, whatever ?done=... message it was shown with
  return url.origin + url.pathname;
}

function cacheFirst(request, name) {
  return caches.match(request, {ignoreSearch: name === MEDIA}).then(function (hit) {
    if (hit) return hit;
    return fetch(request).then(function (response) {
      if (response.ok && name === MEDIA) {
        var copy = response.clone();
        caches.open(MEDIA).then(function (c) { return c.put(request, copy); });
      }
      return response;
    });
  });
}

function networkFirst(request, url) {
  var keep = url.pathname.indexOf(TECH) === 0;
  return fetch(request).then(function (response) {
    if (keep && response.ok && !response.redirected && response.type === "basic") {
      var copy = response.clone();
      caches.open(PAGES).then(function (c) { return c.put(pageKey(url), copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(pageKey(url), {cacheName: PAGES}).then(function (hit) {
      return hit || caches.match(CONFIG.offline);
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf(CONFIG.scope) !== 0) return;
  if (url.pathname.indexOf(CONFIG.scope + "static/") === 0) {
    event.respondWith(cacheFirst(request, SHELL));
  } else if (MEDIA_PATH.test(url.pathname)) {
    event.respondWith(cacheFirst(request, MEDIA));
  } else if (request.mode === "navigate" || (request.headers.get("Accept") || "").indexOf("text/html") >= 0) {
    event.respondWith(networkFirst(request, url));
  }
});
