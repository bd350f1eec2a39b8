//! The HLS player: a `<video>` element driven by hls.js over Media Source Extensions, or by
//! the engine's native HLS where hls.js cannot run (Safari on iOS).

use dioxus::prelude::*;

/// Loads hls.js on demand, then attaches the stream. hls.js 1.7.4 from npm
/// (`dist/hls.min.js`) is vendored so playback needs no third-party host; the bundle names its
/// hashed URL in `<meta name="kino-hls">`. The stream URL arrives over the eval channel,
/// never spliced into the script, so no video data can inject code.
const ATTACH: &str = r#"
const src = await dioxus.recv();
const hlsUrl = document.querySelector('meta[name="kino-hls"]')?.content;
const video = document.getElementById('kino-player');
if (!video) return;
if (!window.Hls && hlsUrl) {
  await new Promise((resolve) => {
    const s = document.createElement('script');
    s.src = hlsUrl; s.onload = resolve; s.onerror = resolve;
    document.head.appendChild(s);
  });
}
if (window.__kinoHls) { window.__kinoHls.destroy(); window.__kinoHls = null; }
const play = () => { const p = video.play(); if (p) p.catch(() => {}); };
if (window.Hls && window.Hls.isSupported()) {
  const hls = new window.Hls({ capLevelToPlayerSize: true });
  window.__kinoHls = hls;
  hls.on(window.Hls.Events.MANIFEST_PARSED, play);
  hls.on(window.Hls.Events.ERROR, (_e, data) => {
    if (!data.fatal) return;
    if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR) hls.startLoad();
    else if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
  });
  hls.loadSource(src);
  hls.attachMedia(video);
} else if (video.canPlayType('application/vnd.apple.mpegurl')) {
  video.src = src;
  video.addEventListener('loadedmetadata', play, { once: true });
}
"#;

#[component]
pub fn Player(src: ReadSignal<String>, poster: String) -> Element {
    use_effect(move || {
        let src = src();
        let eval = document::eval(ATTACH);
        if let Err(e) = eval.send(src) {
            tracing::warn!("starting playback: {e}");
        }
    });
    use_drop(|| {
        let _ = document::eval(
            "if (window.__kinoHls) { window.__kinoHls.destroy(); window.__kinoHls = null; }",
        );
    });
    rsx! {
        div { class: "player",
            video {
                id: "kino-player",
                controls: true,
                autoplay: true,
                playsinline: true,
                poster: "{poster}",
            }
        }
    }
}
