// The app shell's service worker: the page and its files are cached so
// that the app opens from the home screen with no network (a guest outside
// the Wi-Fi may still have Bluetooth). Files come from the hub when it
// answers (an updated hub serves its new app at once) and from the cache
// when it does not. The API is never cached: a stale device state or a
// replayed answer must never pass for the hub's.
'use strict';
const CACHE = 'edgeagent-shell-v1';
const FILES = ['/app.js', '/key.js', '/ble.js', '/qrcodegen.js', '/app.css', '/icon.svg', '/manifest.webmanifest'];
// The page itself is cached by the page (app.js), not here: it is made in
// the resident's language, and only the page's own request carries that
// (the worker's may not).
const SHELL = ['/'].concat(FILES);

self.addEventListener('install', (ev) => {
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});
self.addEventListener('activate', (ev) => {
  ev.waitUntil(caches.keys()
    .then((ks) => Promise.all(ks.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
self.addEventListener('fetch', (ev) => {
  const url = new URL(ev.request.url);
  if (ev.request.method !== 'GET' || url.origin !== self.location.origin || !SHELL.includes(url.pathname)) return;
  ev.respondWith(fetch(ev.request).then((res) => {
    if (res.ok) {
      const copy = res.clone();
      caches.open(CACHE).then((c) => c.put(url.pathname, copy));
    }
    return res;
  }).catch(() => caches.match(url.pathname, { ignoreVary: true }).then((res) => res || Response.error())));
});
