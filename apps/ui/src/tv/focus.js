// The TV app's focus engine: spatial navigation by arrow keys, the remote's keys named the
// same on every platform, focus remembered per page and per rail, and posters loaded as
// focus comes near them. Geometry lives here because it is read from layout on every key
// press; what a key means for the app (Back) goes to the Dioxus shell as `{ ev: 'back' }`.
// The shell starts the engine once its frame is in the page.
await dioxus.recv();
if (window.__kinoTv) window.__kinoTv.destroy();
const root = document.querySelector('.tv-app');
if (!root) return;
const send = (m) => { try { dioxus.send(m); } catch (_) { /* the shell is gone */ } };

// Remote keys by name (browsers, Android TV) and by code (Tizen and webOS send codes with
// no standard name).
const NAMES = {
  Escape: 'Back', Backspace: 'Back', BrowserBack: 'Back', GoBack: 'Back', XF86Back: 'Back',
  Pause: 'MediaPause', XF86PlayBack: 'MediaPlayPause',
};
const CODES = {
  10009: 'Back', 461: 'Back', 10252: 'MediaPlayPause', 415: 'MediaPlay', 19: 'MediaPause',
  413: 'MediaStop', 417: 'MediaFastForward', 412: 'MediaRewind',
  37: 'ArrowLeft', 38: 'ArrowUp', 39: 'ArrowRight', 40: 'ArrowDown', 13: 'Enter',
};
function keyOf(e) {
  if (NAMES[e.key]) return NAMES[e.key];
  if ((!e.key || e.key === 'Unidentified' || e.keyCode > 255) && CODES[e.keyCode]) return CODES[e.keyCode];
  return e.key;
}
window.__kinoKey = keyOf;

// The keys the app uses, registered where the platform asks for it (Tizen); a browser
// without the API goes on without it.
try {
  const input = window.tizen && window.tizen.tvinputdevice;
  if (input) {
    for (const k of ['MediaPlayPause', 'MediaPlay', 'MediaPause', 'MediaStop', 'MediaFastForward', 'MediaRewind']) {
      try { input.registerKey(k); } catch (_) { /* not on this model */ }
    }
  }
} catch (_) { /* no Tizen API */ }

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), [tabindex="0"]';
const here = () => location.pathname + location.search;
const keyAttr = (el) => el && el.getAttribute && el.getAttribute('data-focus-key');
const find = (scope, key) => (key ? scope.querySelector(`[data-focus-key="${CSS.escape(key)}"]`) : null);
const shown = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };

// The topmost layer (a dialog or an open menu) traps focus; otherwise the whole app.
function scope() {
  const layers = root.querySelectorAll('[data-tv-layer]');
  return layers.length ? layers[layers.length - 1] : root;
}

const pages = new Map();   // page -> focus key last focused there
const rails = new Map();   // page + rail -> focus key last focused in it
const returns = [];        // elements to go back to when a layer closes
let page = here();

function remember(el) {
  const key = keyAttr(el);
  // A stand-in while the page loads is not where the viewer left it.
  if (!key || provisional) return;
  pages.set(page, key);
  const rail = el.closest('[data-rail]');
  if (rail) rails.set(`${page}|${rail.getAttribute('data-rail')}`, key);
}

// Keeps the focused element, and the whole of its rail, in view; near the top of a page the
// page goes back to its top so the menu and the hero show again.
function reveal(el) {
  el.scrollIntoView({ block: 'nearest', inline: 'nearest', behavior: 'instant' });
  const target = el.closest('[data-rail]') || el;
  if (target.getBoundingClientRect().bottom + scrollY <= innerHeight * 0.92) {
    scrollTo({ top: 0, behavior: 'instant' });
  } else {
    target.scrollIntoView({ block: 'nearest', behavior: 'instant' });
  }
}

function focus(el) {
  if (!el) return false;
  el.focus({ preventScroll: true });
  reveal(el);
  loadNear();
  return true;
}

// How far `r` lies from `from` going `dir`; Infinity when it is not that way.
function distance(from, r, dir) {
  const fx = (from.left + from.right) / 2, fy = (from.top + from.bottom) / 2;
  const cx = (r.left + r.right) / 2, cy = (r.top + r.bottom) / 2;
  let along, across;
  if (dir === 'ArrowRight') {
    if (cx <= fx + 1 || r.right <= from.right) return Infinity;
    along = Math.max(0, r.left - from.right);
    across = Math.max(0, r.top - from.bottom, from.top - r.bottom);
  } else if (dir === 'ArrowLeft') {
    if (cx >= fx - 1 || r.left >= from.left) return Infinity;
    along = Math.max(0, from.left - r.right);
    across = Math.max(0, r.top - from.bottom, from.top - r.bottom);
  } else if (dir === 'ArrowDown') {
    if (cy <= fy + 1 || r.bottom <= from.bottom) return Infinity;
    along = Math.max(0, r.top - from.bottom);
    across = Math.max(0, r.left - from.right, from.left - r.right);
  } else {
    if (cy >= fy - 1 || r.top >= from.top) return Infinity;
    along = Math.max(0, from.top - r.bottom);
    across = Math.max(0, r.left - from.right, from.left - r.right);
  }
  // Staying in line counts for more than being close: a card straight below beats a nearer
  // one off to the side; the centres break ties.
  const offset = dir === 'ArrowLeft' || dir === 'ArrowRight' ? Math.abs(cy - fy) : Math.abs(cx - fx);
  return along + across * 3 + offset * 0.01;
}

function move(dir) {
  const within = scope();
  const cur = document.activeElement;
  if (!cur || cur === document.body || !within.contains(cur) || !shown(cur)) return focusDefault();
  const from = cur.getBoundingClientRect();
  let best = null, bestScore = Infinity;
  for (const el of within.querySelectorAll(FOCUSABLE)) {
    if (el === cur || el.closest('[inert]')) continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    const s = distance(from, r, dir);
    if (s < bestScore) { bestScore = s; best = el; }
  }
  if (!best) return false;
  // Going up or down into another rail lands on the card last focused there.
  const to = best.closest('[data-rail]');
  if (to && to !== cur.closest('[data-rail]') && (dir === 'ArrowUp' || dir === 'ArrowDown')) {
    const back = find(to, rails.get(`${page}|${to.getAttribute('data-rail')}`));
    if (back && shown(back)) best = back;
  }
  return focus(best);
}

// Where focus goes on a page: what the viewer left there, else what the page asks for,
// else its first control.
// Until then (a page still loading), focus waits on the first control and moves once the
// page's own place shows up, unless the viewer moved it meanwhile.
let provisional = false;
function focusDefault() {
  const within = scope();
  const candidates = [find(within, pages.get(page)), within.querySelector('[data-autofocus]')];
  for (const el of candidates) {
    if (el && shown(el)) { provisional = false; return focus(el); }
  }
  provisional = true;
  for (const el of within.querySelectorAll(FOCUSABLE)) if (shown(el)) return focus(el);
  return false;
}

// Focus is never lost: whenever the page changes, a layer closes or the focused element
// goes away (a rail reloaded, controls hidden), it lands somewhere sensible.
function settle() {
  const now = here();
  if (now !== page) { page = now; returns.length = 0; focusDefault(); return; }
  const cur = document.activeElement;
  const within = scope();
  if (cur && cur !== document.body && within.contains(cur) && shown(cur)) {
    if (provisional && within === root) focusDefault();
    return;
  }
  while (returns.length) {
    const el = returns.pop();
    if (el.isConnected && within.contains(el) && shown(el)) { focus(el); return; }
  }
  const key = keyAttr(cur) || pages.get(page);
  const same = find(within, key);
  if (same && shown(same)) { focus(same); return; }
  focusDefault();
}

let pending = false;
function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; settle(); loadNear(); });
}

// Posters carry `data-src` and load once they come within a screen of the view.
function loadNear() {
  const w = innerWidth, h = innerHeight;
  for (const img of root.querySelectorAll('img[data-src]')) {
    const r = img.getBoundingClientRect();
    if (!r.width && !r.height) continue;
    if (r.right > -w / 2 && r.left < w * 1.5 && r.bottom > -h / 2 && r.top < h * 1.5) {
      img.src = img.getAttribute('data-src');
      img.removeAttribute('data-src');
    }
  }
}

const handlers = [];
function on(target, name, f, opts) { target.addEventListener(name, f, opts); handlers.push([target, name, f, opts]); }

on(document, 'keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const key = keyOf(e);
  const t = e.target;
  const typing = t && t.closest && t.closest('input, textarea, [contenteditable=true]');
  if (key === 'Back') {
    if (typing && e.key === 'Backspace') return;
    e.preventDefault();
    send({ ev: 'back' });
    return;
  }
  provisional = false;
  if (!key.startsWith('Arrow')) return;
  // An element that reads the arrows itself (the player's picture) keeps them.
  if (t && t.closest && t.closest('[data-keys=own]')) return;
  if (typing && (key === 'ArrowLeft' || key === 'ArrowRight')) return;
  e.preventDefault();
  const t0 = performance.now();
  move(key);
  // The engine's own share of a key press, for the benchmark.
  window.__kinoMoveMs = performance.now() - t0;
}, true);

on(document, 'focusin', (e) => {
  const el = e.target;
  const layer = el.closest && el.closest('[data-tv-layer]');
  const prev = e.relatedTarget;
  if (layer && prev && !layer.contains(prev)) returns.push(prev);
  remember(el);
});

const observer = new MutationObserver(schedule);
observer.observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ['hidden', 'class', 'data-tv-layer'] });
on(window, 'popstate', schedule);
on(window, 'resize', loadNear);

window.__kinoTv = {
  destroy() {
    observer.disconnect();
    for (const [target, name, f, opts] of handlers) target.removeEventListener(name, f, opts);
    handlers.length = 0;
    if (window.__kinoTv === this) window.__kinoTv = null;
    if (window.__kinoKey === keyOf) window.__kinoKey = null;
  },
  // For the benchmark and the tests: where focus is, by key.
  focused() { return keyAttr(document.activeElement); },
};
schedule();

// The shell asks for nothing but to leave the app.
for (;;) {
  const c = await dioxus.recv();
  if (c.op === 'exit') {
    try { window.tizen.application.getCurrentApplication().exit(); } catch (_) { /* not Tizen */ }
    try { if (window.webOS && window.webOS.platformBack) { window.webOS.platformBack(); } } catch (_) { /* not webOS */ }
    location.assign('/');
  }
}
