// The player's driver: it owns the <video> element and hls.js; the Dioxus component owns the
// controls. Commands arrive over the eval channel (`dioxus.recv`), news of the media goes back
// as small objects (`dioxus.send`). Data never gets spliced into this script, so no title or
// URL can inject code.
const config = await dioxus.recv();
const video = document.getElementById(config.id);
if (!video) return;
const frame = video.closest('.player');
const send = (m) => { try { dioxus.send(m); } catch (_) { /* the component is gone */ } };

// Signed links expire: every request is sent with the newest media token, so a refreshed
// link keeps playback going without reloading the stream.
let token = tokenOf(config.src);
function tokenOf(url) { const m = /\/media\/([^/]+)\//.exec(url); return m ? m[1] : null; }
const current = (url) => (token ? url.replace(/\/media\/[^/]+\//, `/media/${token}/`) : url);

// hls.js loads on the watch page only; the bundle names its hashed URL in the page's head.
const hlsUrl = document.querySelector('meta[name="kino-hls"]')?.content;
if (!window.Hls && hlsUrl) {
  await new Promise((resolve) => {
    const s = document.createElement('script');
    s.src = hlsUrl; s.onload = resolve; s.onerror = resolve;
    document.head.appendChild(s);
  });
}
if (window.__kinoPlayer) window.__kinoPlayer.destroy();

let hls = null;
let mediaRetries = 0;
const Hls = window.Hls;
const native = !(Hls && Hls.isSupported()) && video.canPlayType('application/vnd.apple.mpegurl');

function heights() {
  return hls ? hls.levels.map((l) => l.height || 0) : [];
}

function attach(src, at) {
  if (hls) { hls.destroy(); hls = null; }
  if (Hls && Hls.isSupported()) {
    hls = new Hls({
      capLevelToPlayerSize: false,
      startPosition: at ?? -1,
      xhrSetup: (xhr, url) => { xhr.open('GET', current(url), true); },
    });
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      send({ ev: 'levels', heights: heights() });
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, (_e, d) => {
      send({ ev: 'level', index: d.level, auto: hls.autoLevelEnabled, height: heights()[d.level] || 0 });
    });
    hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, (_e, d) => {
      send({ ev: 'subtitles', tracks: d.subtitleTracks.map((t) => ({ name: t.name || t.lang || 'Subtitles', lang: t.lang || '' })) });
    });
    hls.on(Hls.Events.FRAG_BUFFERED, () => { mediaRetries = 0; });
    hls.on(Hls.Events.ERROR, (_e, d) => {
      if (!d.fatal) return;
      if (d.type === Hls.ErrorTypes.NETWORK_ERROR && mediaRetries < 3) {
        mediaRetries += 1; hls.startLoad();
      } else if (d.type === Hls.ErrorTypes.MEDIA_ERROR && mediaRetries < 3) {
        mediaRetries += 1; hls.recoverMediaError();
      } else {
        send({ ev: 'error', message: d.type === Hls.ErrorTypes.NETWORK_ERROR
          ? 'The video could not be loaded: check your connection.'
          : 'The video could not be decoded.' });
      }
    });
    hls.subtitleDisplay = false;
    hls.loadSource(src);
    hls.attachMedia(video);
  } else if (native) {
    video.src = src;
    if (at != null) video.addEventListener('loadedmetadata', () => { video.currentTime = at; }, { once: true });
    video.addEventListener('loadedmetadata', () => {
      const tracks = [...video.textTracks].filter((t) => t.kind === 'subtitles' || t.kind === 'captions');
      send({ ev: 'subtitles', tracks: tracks.map((t) => ({ name: t.label || t.language, lang: t.language })) });
    }, { once: true });
  } else {
    send({ ev: 'error', message: 'This browser cannot play HLS video.' });
  }
}

function buffered() {
  const b = video.buffered;
  for (let i = 0; i < b.length; i++) {
    if (b.start(i) <= video.currentTime + 0.5 && video.currentTime <= b.end(i)) return b.end(i);
  }
  return 0;
}

function tick() {
  send({
    ev: 'tick', t: video.currentTime, d: Number.isFinite(video.duration) ? video.duration : 0,
    buffered: buffered(), paused: video.paused, waiting: video.readyState < 3 && !video.paused,
    height: video.videoHeight, volume: video.volume, muted: video.muted, rate: video.playbackRate,
  });
}

const on = [];
function listen(target, name, f, opts) { target.addEventListener(name, f, opts); on.push([target, name, f, opts]); }
for (const name of ['timeupdate', 'progress', 'play', 'pause', 'waiting', 'playing', 'volumechange', 'ratechange', 'durationchange', 'seeked', 'resize']) {
  listen(video, name, tick);
}
listen(video, 'play', () => send({ ev: 'played' }));
listen(video, 'pause', () => send({ ev: 'paused', t: video.currentTime }));
listen(video, 'ended', () => send({ ev: 'ended', t: video.currentTime }));
listen(video, 'error', () => {
  if (!hls) send({ ev: 'error', message: 'The video could not be played.' });
});
listen(document, 'fullscreenchange', () => send({ ev: 'fullscreen', on: document.fullscreenElement === frame }));
listen(video, 'enterpictureinpicture', () => send({ ev: 'pip', on: true }));
listen(video, 'leavepictureinpicture', () => send({ ev: 'pip', on: false }));

// Shortcuts work anywhere on the page except while typing, and leave Space and Enter to a
// focused button or link.
const KEYS = new Set([' ', 'k', 'j', 'l', 'f', 'm', 'c', 'ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown',
  '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
// On a TV the remote's media keys work anywhere, and OK and the arrows drive playback while
// the picture has focus; the TV app's focus engine names the keys (Tizen and webOS send codes).
function remote(e) {
  const name = window.__kinoKey ? window.__kinoKey(e) : e.key;
  const key = name === ' ' ? 'Enter' : name;
  const own = e.target && e.target.closest && e.target.closest('[data-keys=own]');
  if (key.startsWith('Media') || (own && (key === 'Enter' || key.startsWith('Arrow')))) {
    e.preventDefault();
    send({ ev: 'key', key });
  }
}
listen(document, 'keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (config.tv) { remote(e); return; }
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (!KEYS.has(key)) return;
  const t = e.target;
  if (t && t.closest('input:not(.seek), textarea, select, [contenteditable=true]')) return;
  if (key === ' ' && t && t.closest('button, a, [role=menuitemradio]')) return;
  if ((key === 'ArrowUp' || key === 'ArrowDown') && t && t.closest('[role=menu]')) return;
  e.preventDefault();
  send({ ev: 'key', key });
});

// Leaving the page (tab closed, reload, app to the background) reports where the viewer
// stopped; a request with `keepalive` outlives the page.
function report() {
  if (!config.report || !(video.currentTime > 0)) return;
  fetch(config.report.url, {
    method: 'PUT', keepalive: true,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${config.report.token}` },
    body: JSON.stringify({ position_s: video.currentTime }),
  }).catch(() => {});
}
listen(window, 'pagehide', report);
listen(document, 'visibilitychange', () => { if (document.visibilityState === 'hidden') report(); });

const play = () => { const p = video.play(); if (p) p.catch(() => send({ ev: 'blocked' })); };

window.__kinoPlayer = {
  destroy() {
    for (const [target, name, f, opts] of on) target.removeEventListener(name, f, opts);
    on.length = 0;
    if (hls) { hls.destroy(); hls = null; }
    video.removeAttribute('src');
    if (window.__kinoPlayer === this) window.__kinoPlayer = null;
  },
};
const me = window.__kinoPlayer;

// The first decoded frame, for real-user timing and the web benchmark.
if (video.requestVideoFrameCallback) {
  video.requestVideoFrameCallback(() => performance.mark('kino:first-frame'));
} else {
  listen(video, 'playing', () => performance.mark('kino:first-frame'), { once: true });
}

attach(config.src, config.start);
if (config.autoplay) play();

for (;;) {
  const c = await dioxus.recv();
  if (window.__kinoPlayer !== me) return;
  switch (c.op) {
    case 'play': play(); break;
    case 'pause': video.pause(); break;
    case 'toggle': if (video.paused || video.ended) play(); else video.pause(); break;
    case 'seek': video.currentTime = Math.max(0, Math.min(c.t, video.duration || c.t)); tick(); break;
    case 'volume': video.volume = Math.max(0, Math.min(1, c.v)); if (c.v > 0) video.muted = false; break;
    case 'mute': video.muted = c.on; break;
    case 'rate': video.playbackRate = c.r; break;
    // `nextLevel` switches at the next fragment: what is buffered keeps playing, no stall.
    case 'level': if (hls) hls.nextLevel = c.index; break;
    case 'subtitle':
      if (hls) {
        hls.subtitleTrack = c.index;
        hls.subtitleDisplay = c.index >= 0;
      } else {
        const tracks = [...video.textTracks].filter((t) => t.kind === 'subtitles' || t.kind === 'captions');
        tracks.forEach((t, i) => { t.mode = i === c.index ? 'showing' : 'disabled'; });
      }
      break;
    case 'fullscreen':
      if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
      else if (frame.requestFullscreen) frame.requestFullscreen().catch(() => {});
      else if (video.webkitEnterFullscreen) video.webkitEnterFullscreen();
      break;
    case 'pip':
      if (document.pictureInPictureElement) document.exitPictureInPicture().catch(() => {});
      else if (video.requestPictureInPicture) video.requestPictureInPicture().catch(() => {});
      break;
    case 'refresh':
      token = tokenOf(c.src);
      if (native) { const at = video.currentTime; const was = !video.paused; attach(c.src, at); if (was) play(); }
      break;
    case 'retry': {
      mediaRetries = 0;
      const at = video.currentTime;
      attach(c.src || config.src, at > 0 ? at : config.start);
      play();
      break;
    }
    default: break;
  }
}
