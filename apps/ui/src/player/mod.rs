//! The player: Kino's own controls over a `<video>` element that hls.js feeds through Media
//! Source Extensions (or the engine's native HLS where hls.js cannot run, as on iOS).
//!
//! The component owns what the viewer sees and decides (controls, menus, shortcuts, the
//! resume prompt, Up next, progress and view reporting); `driver.js` owns the media element
//! and hls.js. They talk over one eval channel: commands go down as JSON, news of the media
//! comes back as [`News`].

mod controls;
mod icons;
mod state;
mod tv;

use crate::gql;
use crate::session::Session;
use crate::storyboard::{self, Tile};
use crate::{PlatformHandle, Route, clock};
use cynic::QueryBuilder;
use dioxus::prelude::*;
use serde_json::json;
use shared::graphql::{VideoArgs, WatchPlayback, WatchQuery};
pub use state::UpNext;
use state::{Media, Menu, News, Track};

const DRIVER: &str = include_str!("driver.js");
const SUBTITLES_KEY: &str = "kino.subtitles";
/// Seconds of playback before a play counts as a view.
const VIEW_AFTER_S: f64 = 5.0;
/// Seconds of playback between progress reports.
const REPORT_EVERY_S: f64 = 10.0;
/// Seconds the Up next countdown runs.
const UP_NEXT_S: u32 = 10;
/// Milliseconds without pointer or key activity before the controls hide while playing.
const HIDE_AFTER_MS: f64 = 3000.0;
/// The same on a TV, where the viewer sits further back and reads more slowly.
const TV_HIDE_AFTER_MS: f64 = 4000.0;
/// Seconds a remote's Left and Right (and its rewind and fast-forward keys) seek.
const TV_SEEK_S: f64 = 10.0;

/// Everything the controls read and change, as one copyable handle.
#[derive(Clone, Copy)]
struct Ctl {
    eval: document::Eval,
    media: Signal<Media>,
    levels: Signal<Vec<u32>>,
    /// The rung asked for; -1 is Auto.
    level: Signal<i32>,
    /// The height of the rung playing now.
    playing_height: Signal<u32>,
    tracks: Signal<Vec<Track>>,
    /// The subtitle track shown; -1 is off.
    subtitle: Signal<i32>,
    menu: Signal<Option<Menu>>,
    visible: Signal<bool>,
    last_activity: Signal<f64>,
    fullscreen: Signal<bool>,
    prompt: Signal<Option<f64>>,
    error: Signal<Option<String>>,
    up_next: Signal<Option<u32>>,
    flash: Signal<Option<&'static str>>,
    tiles: Signal<Vec<Tile>>,
    storyboard_url: Signal<Option<String>>,
    /// Driven by a TV remote: OK plays and pauses, Left and Right seek by 10 s.
    tv: bool,
    /// Where a remote's seek lands, for its storyboard thumbnail while the overlay shows.
    seek_preview: Signal<Option<f64>>,
    /// Up or Down asked for the TV control row: it takes focus once it shows.
    row_focus: Signal<bool>,
}

/// One player's handles are the same handles: components re-render on what they read.
impl PartialEq for Ctl {
    fn eq(&self, other: &Self) -> bool {
        self.media == other.media
    }
}

impl Ctl {
    fn send(&self, cmd: serde_json::Value) {
        if let Err(e) = self.eval.send(cmd) {
            tracing::warn!("player command: {e}");
        }
    }

    /// Where a video plays in this layout.
    fn watch_route(&self, id: String) -> Route {
        if self.tv {
            Route::TvWatch {
                id,
                from: String::new(),
            }
        } else {
            Route::Watch { id }
        }
    }

    fn seek(&self, t: f64) {
        let d = self.media.peek().d;
        let t = if d > 0.0 { t.clamp(0.0, d) } else { t.max(0.0) };
        self.send(json!({ "op": "seek", "t": t }));
    }

    fn seek_by(&self, dt: f64) {
        let t = self.media.peek().t;
        self.seek(t + dt);
    }

    fn toggle(&mut self) {
        self.prompt.set(None);
        self.send(json!({ "op": "toggle" }));
    }

    fn set_volume(&self, v: f64) {
        self.send(json!({ "op": "volume", "v": v.clamp(0.0, 1.0) }));
    }

    fn set_subtitle(&mut self, platform: &PlatformHandle, index: i32) {
        self.subtitle.set(index);
        self.send(json!({ "op": "subtitle", "index": index }));
        let lang = usize::try_from(index)
            .ok()
            .and_then(|i| self.tracks.peek().get(i).map(|t| t.key()));
        platform
            .0
            .save(SUBTITLES_KEY, Some(lang.as_deref().unwrap_or("")));
    }

    /// Shows the controls and restarts the countdown to hiding them.
    fn activity(&mut self, platform: &PlatformHandle) {
        self.last_activity.set(platform.0.now_ms());
        if !*self.visible.peek() {
            self.visible.set(true);
        }
    }

    /// A shortcut from the keyboard (or a TV remote's keys).
    fn key(&mut self, platform: &PlatformHandle, key: &str) {
        self.activity(platform);
        if self.tv {
            self.remote_key(platform, key);
            return;
        }
        let m = self.media.peek().clone();
        match key {
            " " | "k" => self.toggle(),
            "j" => self.seek_by(-10.0),
            "l" => self.seek_by(10.0),
            "ArrowLeft" => self.seek_by(-5.0),
            "ArrowRight" => self.seek_by(5.0),
            "ArrowUp" => self.set_volume(m.volume + 0.1),
            "ArrowDown" => self.set_volume(m.volume - 0.1),
            "f" => self.send(json!({ "op": "fullscreen" })),
            "m" => self.send(json!({ "op": "mute", "on": !m.muted })),
            "c" => {
                let next = if *self.subtitle.peek() >= 0 {
                    -1
                } else {
                    self.remembered_track(platform).unwrap_or(0)
                };
                if !self.tracks.peek().is_empty() {
                    self.set_subtitle(platform, next);
                }
            }
            digit => {
                if let Some(n) = digit.parse::<u8>().ok().filter(|n| *n <= 9) {
                    self.seek(m.d * f64::from(n) / 10.0);
                }
            }
        }
    }

    /// A remote's key while the picture has focus (the control row moves focus itself).
    fn remote_key(&mut self, platform: &PlatformHandle, key: &str) {
        match key {
            "Enter" | "MediaPlayPause" => self.toggle(),
            "MediaPlay" => {
                self.prompt.set(None);
                self.send(json!({ "op": "play" }));
            }
            "MediaPause" => self.send(json!({ "op": "pause" })),
            "ArrowLeft" | "MediaRewind" | "ArrowRight" | "MediaFastForward" => {
                let dt = if key == "ArrowLeft" || key == "MediaRewind" {
                    -TV_SEEK_S
                } else {
                    TV_SEEK_S
                };
                // Presses in a row add up from where the last one landed, not from a
                // playhead the media has not reported yet.
                let from = self.seek_preview.peek().unwrap_or(self.media.peek().t);
                let d = self.media.peek().d;
                let to = if d > 0.0 {
                    (from + dt).clamp(0.0, d)
                } else {
                    (from + dt).max(0.0)
                };
                self.seek_preview.set(Some(to));
                self.seek(to);
                // The thumbnail stays a moment after the last press.
                let (platform, mut preview) = (platform.clone(), self.seek_preview);
                spawn(async move {
                    platform.0.sleep(1500).await;
                    if *preview.peek() == Some(to) {
                        preview.set(None);
                    }
                });
            }
            "ArrowUp" | "ArrowDown" => self.row_focus.set(true),
            "MediaStop" => {
                self.send(json!({ "op": "pause" }));
                navigator().go_back();
            }
            _ => {}
        }
    }

    /// The track the viewer last chose, if this video has one in that language.
    fn remembered_track(&self, platform: &PlatformHandle) -> Option<i32> {
        let want = platform.0.load(SUBTITLES_KEY).filter(|l| !l.is_empty())?;
        self.tracks
            .peek()
            .iter()
            .position(|t| t.key() == want)
            .map(|i| i as i32)
    }
}

/// Plays `video_id`. Keyed by the video at the call site, so the next video starts afresh.
#[component]
pub fn Player(
    video_id: String,
    playback: WatchPlayback,
    /// Where to offer resuming, from the viewer's saved progress.
    resume_at: Option<f64>,
    /// What to offer when this one ends.
    next: ReadSignal<Option<UpNext>>,
    /// The TV layout, driven by a remote.
    #[props(default)]
    tv: bool,
    /// Start at `resume_at` without asking (the viewer already chose Resume).
    #[props(default)]
    no_prompt: bool,
    /// Shown over the picture in the TV layout.
    #[props(default)]
    title: String,
    /// A download played from this device: progress goes to the platform, which owes it to
    /// the server; no view is counted and no link needs refreshing.
    #[props(default)]
    offline: bool,
) -> Element {
    let platform = use_context::<PlatformHandle>();
    let session = Session::get();
    let ctl = use_hook(|| Ctl {
        eval: document::eval(DRIVER),
        media: Signal::new(Media::default()),
        levels: Signal::new(Vec::new()),
        level: Signal::new(-1),
        playing_height: Signal::new(0),
        tracks: Signal::new(Vec::new()),
        subtitle: Signal::new(-1),
        menu: Signal::new(None),
        visible: Signal::new(true),
        last_activity: Signal::new(0.0),
        fullscreen: Signal::new(false),
        prompt: Signal::new(resume_at.filter(|_| !no_prompt)),
        error: Signal::new(None),
        up_next: Signal::new(None),
        flash: Signal::new(None),
        tiles: Signal::new(Vec::new()),
        storyboard_url: Signal::new(
            playback
                .storyboard_url
                .as_deref()
                .map(|u| platform.media_url(u)),
        ),
        tv,
        seek_preview: Signal::new(None),
        row_focus: Signal::new(false),
    });

    // Start the driver: the stream, where to start, and how to report on leaving the page.
    use_hook({
        let platform = platform.clone();
        let (id, src) = (video_id.clone(), platform.media_url(&playback.master_url));
        move || {
            let report = session.token.peek().clone().filter(|_| !offline).map(|token| {
                json!({ "url": format!("{}/api/v1/me/progress/{id}", platform.0.api_base()), "token": token })
            });
            ctl.send(json!({
                "id": "kino-player",
                "src": src,
                "start": resume_at,
                "autoplay": resume_at.is_none() || no_prompt,
                "report": report,
                "tv": tv,
            }));
        }
    });

    // News from the driver.
    use_future({
        let platform = platform.clone();
        let id = video_id.clone();
        move || {
            let (platform, id) = (platform.clone(), id.clone());
            async move { listen(ctl, platform, session, id, next, offline).await }
        }
    });

    // Hide the controls once the viewer stops moving while it plays.
    use_future({
        let platform = platform.clone();
        move || {
            let platform = platform.clone();
            let mut ctl = ctl;
            async move {
                loop {
                    platform.0.sleep(500).await;
                    let after = if ctl.tv {
                        TV_HIDE_AFTER_MS
                    } else {
                        HIDE_AFTER_MS
                    };
                    let idle = platform.0.now_ms() - *ctl.last_activity.peek() > after;
                    let playing = !ctl.media.peek().paused;
                    if idle && playing && ctl.menu.peek().is_none() && *ctl.visible.peek() {
                        ctl.visible.set(false);
                        ctl.seek_preview.set(None);
                    }
                }
            }
        }
    });

    // Seek-bar thumbnails. (Media links may be relative to the api; reqwest needs them whole.)
    use_future({
        let url = playback
            .storyboard_url
            .as_deref()
            .map(|u| platform.media_url(u));
        move || {
            let url = url.clone();
            let mut tiles = ctl.tiles;
            async move {
                let Some(url) = url else { return };
                match reqwest::get(&url).await {
                    Ok(r) if r.status().is_success() => {
                        if let Ok(text) = r.text().await {
                            tiles.set(storyboard::parse(&text));
                        }
                    }
                    _ => tracing::warn!("the storyboard could not be loaded"),
                }
            }
        }
    });

    // Signed links expire: fetch fresh ones a minute before and hand them to the driver,
    // which keeps playing from what it has.
    use_future({
        let platform = platform.clone();
        let (id, expires) = (video_id.clone(), playback.expires_at.clone());
        move || {
            let (platform, id, expires) = (platform.clone(), id.clone(), expires.clone());
            async move {
                if !offline {
                    refresh_links(ctl, platform, session, id, expires).await
                }
            }
        }
    });

    // Leaving the page reports where the viewer stopped and stops the stream.
    use_drop({
        let platform = platform.clone();
        let id = video_id.clone();
        move || {
            let t = ctl.media.peek().t;
            let _ = document::eval("window.__kinoPlayer && window.__kinoPlayer.destroy()");
            if offline {
                platform.0.offline_progress(&id, t);
            } else if let Some(client) = session.client(&platform) {
                dioxus::core::spawn_forever(async move {
                    let _ = client
                        .report_progress(
                            &id,
                            &shared::client::types::ReportProgressRequest { position_s: t },
                        )
                        .await;
                });
            }
        }
    });

    if tv {
        return rsx! {
            tv::TvFrame { ctl, poster: platform.media_url(&playback.poster_url), next, title }
        };
    }
    rsx! {
        controls::Frame { ctl, poster: platform.media_url(&playback.poster_url), next }
    }
}

/// Applies the driver's news until the player goes away.
async fn listen(
    mut ctl: Ctl,
    platform: PlatformHandle,
    session: Session,
    id: String,
    next: ReadSignal<Option<UpNext>>,
    offline: bool,
) {
    let mut eval = ctl.eval;
    let mut played = 0.0;
    let mut viewed = false;
    let mut reported_at = f64::NEG_INFINITY;
    let report = {
        let platform = platform.clone();
        let id = id.clone();
        move |t: f64| {
            if offline {
                platform.0.offline_progress(&id, t);
            } else if let Some(client) = session.client(&platform) {
                let id = id.clone();
                spawn(async move {
                    let body = shared::client::types::ReportProgressRequest { position_s: t };
                    if let Err(e) = client.report_progress(&id, &body).await {
                        tracing::warn!("reporting progress: {e}");
                    }
                });
            }
        }
    };
    loop {
        let news = match eval.recv::<News>().await {
            Ok(n) => n,
            Err(dioxus::document::EvalError::Serialization(e)) => {
                tracing::warn!("player news: {e}");
                continue;
            }
            Err(_) => return,
        };
        match news {
            News::Tick(m) => {
                let before = ctl.media.peek().t;
                let dt = m.t - before;
                if !m.paused && dt > 0.0 && dt < 1.5 {
                    played += dt;
                }
                if played >= VIEW_AFTER_S && !viewed && !offline {
                    viewed = true;
                    let client = session
                        .client(&platform)
                        .unwrap_or_else(|| platform.client());
                    let id = id.clone();
                    spawn(async move {
                        if let Err(e) = client.record_view(&id).await {
                            tracing::warn!("counting the view: {e}");
                        }
                    });
                }
                if !m.paused && (m.t - reported_at).abs() >= REPORT_EVERY_S && m.t > 0.0 {
                    reported_at = m.t;
                    report(m.t);
                }
                if *ctl.media.peek() != m {
                    ctl.media.set(m);
                }
            }
            News::Levels { heights } => ctl.levels.set(heights),
            News::Level { height } => ctl.playing_height.set(height),
            News::Subtitles { tracks } => {
                ctl.tracks.set(tracks);
                // Off by default; the viewer's last choice is remembered.
                if let Some(i) = ctl.remembered_track(&platform) {
                    ctl.set_subtitle(&platform, i);
                }
            }
            News::Played => {
                ctl.prompt.set(None);
                ctl.up_next.set(None);
                ctl.error.set(None);
            }
            News::Paused { t } => {
                ctl.activity(&platform);
                if t > 0.0 {
                    reported_at = t;
                    report(t);
                }
            }
            News::Ended { t } => {
                reported_at = t;
                report(t);
                ctl.activity(&platform);
                if let Some(up) = next.peek().clone() {
                    start_countdown(ctl, platform.clone(), up);
                }
            }
            News::Error { message } => ctl.error.set(Some(message)),
            News::Fullscreen { on } => ctl.fullscreen.set(on),
            News::Pip { .. } => {}
            News::Key { key } => ctl.key(&platform, &key),
            News::Blocked => ctl.activity(&platform),
        }
    }
}

/// Counts down to the next video; cancelling clears `up_next` and stops it.
fn start_countdown(mut ctl: Ctl, platform: PlatformHandle, up: UpNext) {
    ctl.up_next.set(Some(UP_NEXT_S));
    spawn(async move {
        loop {
            platform.0.sleep(1000).await;
            let Some(left) = *ctl.up_next.peek() else {
                return;
            };
            if left <= 1 {
                ctl.up_next.set(None);
                navigator().push(ctl.watch_route(up.id.clone()));
                return;
            }
            ctl.up_next.set(Some(left - 1));
        }
    });
}

async fn refresh_links(
    ctl: Ctl,
    platform: PlatformHandle,
    session: Session,
    id: String,
    mut expires: String,
) {
    let mut storyboard_url = ctl.storyboard_url;
    loop {
        let wait = clock::epoch_ms(&expires)
            .map(|e| e - platform.0.now_ms() - 60_000.0)
            .unwrap_or(3_600_000.0)
            .clamp(5_000.0, 2_000_000_000.0);
        platform.0.sleep(wait as u32).await;
        let token = session.token.peek().clone();
        let args = VideoArgs {
            id: cynic::Id::new(&id),
        };
        match gql::run(&platform, token, WatchQuery::build(args)).await {
            Ok(WatchQuery { video: Some(v), .. }) => {
                if let Some(p) = v.playback {
                    ctl.send(json!({ "op": "refresh", "src": platform.media_url(&p.master_url) }));
                    storyboard_url.set(p.storyboard_url.as_deref().map(|u| platform.media_url(u)));
                    expires = p.expires_at;
                }
            }
            // Gone or hidden meanwhile: what is buffered plays out, then the error shows.
            Ok(_) => return,
            Err(e) => {
                tracing::warn!("refreshing the media links: {e}");
                platform.0.sleep(30_000).await;
            }
        }
    }
}
