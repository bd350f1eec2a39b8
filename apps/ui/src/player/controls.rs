//! The player's frame: the video, its overlays (resume prompt, error, Up next) and the control
//! bar with the seek bar and its thumbnails, and the quality, subtitles and speed menus.

use super::Ctl;
use super::icons::{Glyph, Icon};
use super::state::{Menu, UpNext};
use crate::PlatformHandle;
use crate::storyboard;
use dioxus::prelude::*;
use serde_json::json;
use std::rc::Rc;

const SPEEDS: [f64; 6] = [0.5, 0.75, 1.0, 1.25, 1.5, 2.0];
/// Milliseconds between two taps that make a double tap.
const DOUBLE_TAP_MS: f64 = 300.0;

pub(super) fn clock(t: f64) -> String {
    shared::duration_label(t.max(0.0).floor())
}

#[component]
pub fn Frame(ctl: Ctl, poster: String, next: ReadSignal<Option<UpNext>>) -> Element {
    let platform = use_context::<PlatformHandle>();
    let mut ctl = ctl;
    let media = ctl.media.read().clone();
    let visible = *ctl.visible.read() || media.paused;
    let mut surface = use_signal(|| None::<Rc<MountedData>>);
    let mut last_tap = use_signal(|| (f64::NEG_INFINITY, 0.0_f64));
    let mut last_pointer = use_signal(String::new);

    let class = match (visible, *ctl.fullscreen.read()) {
        (true, true) => "player fullscreen",
        (true, false) => "player",
        (false, true) => "player fullscreen idle",
        (false, false) => "player idle",
    };
    let on_move = {
        let platform = platform.clone();
        move |_| ctl.activity(&platform)
    };
    let on_key = {
        let platform = platform.clone();
        move |_| ctl.activity(&platform)
    };
    let on_tap = {
        let platform = platform.clone();
        move |evt: PointerEvent| {
            let kind = evt.pointer_type();
            last_pointer.set(kind.clone());
            if kind != "touch" {
                return;
            }
            let now = platform.0.now_ms();
            let x = evt.client_coordinates().x;
            let (before, _) = *last_tap.peek();
            if now - before < DOUBLE_TAP_MS {
                // Double tap: the left third seeks back, the right third forward.
                last_tap.set((f64::NEG_INFINITY, 0.0));
                if let Some(el) = surface.peek().clone() {
                    spawn(async move {
                        if let Ok(r) = el.get_client_rect().await {
                            let f = (x - r.origin.x) / r.size.width.max(1.0);
                            if f < 1.0 / 3.0 {
                                ctl.seek_by(-10.0);
                                ctl.flash.set(Some("−10 s"));
                            } else if f > 2.0 / 3.0 {
                                ctl.seek_by(10.0);
                                ctl.flash.set(Some("+10 s"));
                            }
                        }
                    });
                }
            } else {
                last_tap.set((now, x));
                // A single tap shows the controls, or hides them when they show.
                if *ctl.visible.peek() && !ctl.media.peek().paused {
                    ctl.visible.set(false);
                } else {
                    ctl.activity(&platform);
                }
            }
        }
    };

    rsx! {
        div {
            class,
            onpointermove: on_move,
            onkeydown: on_key,
            video {
                id: "kino-player",
                playsinline: true,
                preload: "auto",
                poster: "{poster}",
                aria_label: "Video",
            }
            div {
                class: "surface",
                onmounted: move |e| surface.set(Some(e.data())),
                onpointerup: on_tap,
                onclick: move |_| {
                    if *last_pointer.peek() != "touch" {
                        ctl.menu.set(None);
                        ctl.toggle();
                    }
                },
                ondoubleclick: move |_| {
                    if *last_pointer.peek() != "touch" {
                        ctl.send(json!({ "op": "fullscreen" }));
                    }
                },
                if media.waiting {
                    div { class: "spinner", role: "status", aria_label: "Loading" }
                }
                if let Some(text) = ctl.flash.read().as_ref() {
                    Flash { text: *text, ctl }
                }
            }
            Overlays { ctl, next }
            ControlBar { ctl }
        }
    }
}

/// A short sign of a gesture (a double tap's seek), fading on its own.
#[component]
fn Flash(text: &'static str, ctl: Ctl) -> Element {
    let platform = use_context::<PlatformHandle>();
    use_future(move || {
        let platform = platform.clone();
        let mut flash = ctl.flash;
        async move {
            platform.0.sleep(700).await;
            flash.set(None);
        }
    });
    rsx! { div { class: "flash", aria_live: "polite", "{text}" } }
}

/// The resume prompt, a playback error with a retry, and Up next.
#[component]
pub(super) fn Overlays(ctl: Ctl, next: ReadSignal<Option<UpNext>>) -> Element {
    let mut ctl = ctl;
    if let Some(message) = ctl.error.read().clone() {
        return rsx! {
            div { class: "overlay", role: "alert", "data-tv-layer": "true",
                p { "{message}" }
                button { class: "button", autofocus: true,
                    onclick: move |_| {
                        ctl.error.set(None);
                        ctl.send(json!({ "op": "retry" }));
                    },
                    "Try again"
                }
            }
        };
    }
    if let Some(at) = *ctl.prompt.read() {
        let label = clock(at);
        return rsx! {
            div { class: "overlay resume", role: "dialog", aria_label: "Resume", "data-at": "{at:.1}", "data-tv-layer": "true",
                p { "You stopped at {label}." }
                div { class: "actions",
                    button { class: "button", autofocus: true,
                        onclick: move |_| {
                            ctl.prompt.set(None);
                            ctl.send(json!({ "op": "play" }));
                        },
                        "Resume from {label}"
                    }
                    button { class: "button secondary",
                        onclick: move |_| {
                            ctl.prompt.set(None);
                            ctl.seek(0.0);
                            ctl.send(json!({ "op": "play" }));
                        },
                        "Start over"
                    }
                }
            }
        };
    }
    if let (Some(left), Some(up)) = (*ctl.up_next.read(), next()) {
        return rsx! {
            div { class: "overlay up-next", role: "dialog", aria_label: "Up next", "data-tv-layer": "true",
                p { class: "muted", "Up next in {left} s" }
                p { class: "next-title", "{up.title}" }
                div { class: "actions",
                    button { class: "button", autofocus: true,
                        onclick: move |_| {
                            ctl.up_next.set(None);
                            navigator().push(ctl.watch_route(up.id.clone()));
                        },
                        "Play now"
                    }
                    button { class: "button secondary", onclick: move |_| ctl.up_next.set(None), "Cancel" }
                }
            }
        };
    }
    rsx! {}
}

/// Play, seek, time, volume, and the menus.
#[component]
fn ControlBar(ctl: Ctl) -> Element {
    let platform = use_context::<PlatformHandle>();
    let mut ctl = ctl;
    let m = ctl.media.read().clone();
    let menu = *ctl.menu.read();
    let mut toggle_menu = move |which: Menu| {
        let open = *ctl.menu.peek() == Some(which);
        ctl.menu.set(if open { None } else { Some(which) });
    };
    let (play_label, play_icon) = if m.paused {
        ("Play", Icon::Play)
    } else {
        ("Pause", Icon::Pause)
    };
    let (mute_label, mute_icon) = if m.muted || m.volume == 0.0 {
        ("Unmute", Icon::Muted)
    } else {
        ("Mute", Icon::Volume)
    };
    let (full_label, full_icon) = if *ctl.fullscreen.read() {
        ("Exit full screen", Icon::ExitFullScreen)
    } else {
        ("Full screen", Icon::FullScreen)
    };
    let quality = {
        let h = *ctl.playing_height.read();
        let auto = *ctl.level.read() < 0;
        match (auto, h) {
            (true, 0) => "Auto".to_owned(),
            (true, h) => format!("Auto ({h}p)"),
            (false, h) => format!("{h}p"),
        }
    };
    let subtitles_on = *ctl.subtitle.read() >= 0;
    let volume = if m.muted { 0.0 } else { m.volume };
    rsx! {
        div {
            class: "controls",
            onkeydown: move |e: KeyboardEvent| {
                if e.key() == Key::Escape {
                    ctl.menu.set(None);
                }
            },
            SeekBar { ctl }
            div { class: "row",
                button { class: "icon", aria_label: "{play_label}", title: "{play_label} (k)",
                    onclick: move |_| ctl.toggle(), Glyph { icon: play_icon } }
                button { class: "icon desktop-only", aria_label: "Back 10 seconds", title: "Back 10 s (j)",
                    onclick: move |_| ctl.seek_by(-10.0), "↺" }
                button { class: "icon desktop-only", aria_label: "Forward 10 seconds", title: "Forward 10 s (l)",
                    onclick: move |_| ctl.seek_by(10.0), "↻" }
                span { class: "time", "{clock(m.t)} / {clock(m.d)}" }
                button { class: "icon", aria_label: "{mute_label}", title: "{mute_label} (m)",
                    onclick: move |_| ctl.send(json!({ "op": "mute", "on": !m.muted })), Glyph { icon: mute_icon } }
                input {
                    class: "volume",
                    r#type: "range",
                    min: "0",
                    max: "1",
                    step: "0.05",
                    aria_label: "Volume",
                    value: "{volume}",
                    oninput: move |e| ctl.set_volume(e.value().parse().unwrap_or(1.0)),
                }
                span { class: "spacer" }
                if !ctl.tracks.read().is_empty() {
                    div { class: "menu-anchor",
                        button { class: if subtitles_on { "icon on" } else { "icon" },
                            aria_haspopup: "menu",
                            aria_expanded: "{menu == Some(Menu::Subtitles)}", title: "Subtitles (c)",
                            onclick: move |_| toggle_menu(Menu::Subtitles),
                            span { aria_hidden: "true", "CC" }
                            span { class: "visually-hidden", "Subtitles" }
                        }
                        if menu == Some(Menu::Subtitles) {
                            SubtitlesMenu { ctl }
                        }
                    }
                }
                if ctl.levels.read().len() > 1 {
                    div { class: "menu-anchor",
                        button { class: "text", aria_label: "Quality: {quality}", aria_haspopup: "menu",
                            aria_expanded: "{menu == Some(Menu::Quality)}",
                            onclick: move |_| toggle_menu(Menu::Quality), "{quality}" }
                        if menu == Some(Menu::Quality) {
                            QualityMenu { ctl }
                        }
                    }
                }
                div { class: "menu-anchor",
                    button { class: "text", aria_label: "Speed: {m.rate}×", aria_haspopup: "menu",
                        aria_expanded: "{menu == Some(Menu::Speed)}",
                        onclick: move |_| toggle_menu(Menu::Speed), "{m.rate}×" }
                    if menu == Some(Menu::Speed) {
                        div { class: "menu", role: "menu", aria_label: "Speed",
                            for r in SPEEDS {
                                button { role: "menuitemradio", aria_checked: "{m.rate == r}",
                                    onclick: move |_| {
                                        ctl.send(json!({ "op": "rate", "r": r }));
                                        ctl.menu.set(None);
                                    },
                                    if r == 1.0 { "Normal" } else { "{r}×" }
                                }
                            }
                        }
                    }
                }
                button { class: "icon desktop-only", aria_label: "Picture in picture", title: "Picture in picture",
                    onclick: move |_| ctl.send(json!({ "op": "pip" })), Glyph { icon: Icon::PictureInPicture } }
                button { class: "icon",
                    aria_label: "{full_label}",
                    title: "Full screen (f)",
                    onclick: move |_| {
                        ctl.activity(&platform);
                        ctl.send(json!({ "op": "fullscreen" }));
                    },
                    Glyph { icon: full_icon }
                }
            }
        }
    }
}

#[component]
pub(super) fn QualityMenu(ctl: Ctl) -> Element {
    let mut ctl = ctl;
    let mut heights: Vec<(usize, u32)> = ctl.levels.read().iter().copied().enumerate().collect();
    heights.sort_by_key(|h| std::cmp::Reverse(h.1));
    let chosen = *ctl.level.read();
    let mut pick = move |i: i32| {
        ctl.level.set(i);
        ctl.send(json!({ "op": "level", "index": i }));
        ctl.menu.set(None);
    };
    rsx! {
        div { class: "menu", role: "menu", aria_label: "Quality", "data-tv-layer": "true",
            button { role: "menuitemradio", aria_checked: "{chosen < 0}", onclick: move |_| pick(-1), "Auto" }
            for (i, h) in heights {
                button { role: "menuitemradio", aria_checked: "{chosen == i as i32}", "data-height": "{h}",
                    onclick: move |_| pick(i as i32), "{h}p" }
            }
        }
    }
}

#[component]
pub(super) fn SubtitlesMenu(ctl: Ctl) -> Element {
    let platform = use_context::<PlatformHandle>();
    let mut ctl = ctl;
    let chosen = *ctl.subtitle.read();
    let tracks = ctl.tracks.read().clone();
    let off = {
        let platform = platform.clone();
        move |_| {
            ctl.set_subtitle(&platform, -1);
            ctl.menu.set(None);
        }
    };
    rsx! {
        div { class: "menu", role: "menu", aria_label: "Subtitles", "data-tv-layer": "true",
            button { role: "menuitemradio", aria_checked: "{chosen < 0}", onclick: off, "Off" }
            for (i, t) in tracks.into_iter().enumerate() {
                button { role: "menuitemradio", aria_checked: "{chosen == i as i32}", lang: "{t.lang}",
                    onclick: {
                        let platform = platform.clone();
                        move |_| {
                            ctl.set_subtitle(&platform, i as i32);
                            ctl.menu.set(None);
                        }
                    },
                    "{t.name}"
                }
            }
        }
    }
}

/// The seek bar: a range input (so it works by keyboard and screen reader) over the buffered
/// range, with the storyboard's thumbnail of the time under the pointer or the drag.
#[component]
fn SeekBar(ctl: Ctl) -> Element {
    let m = ctl.media.read().clone();
    let mut drag = use_signal(|| None::<f64>);
    let mut hover = use_signal(|| None::<f64>);
    let mut el = use_signal(|| None::<Rc<MountedData>>);
    let shown = drag().unwrap_or(m.t);
    let d = m.d.max(0.001);
    let buffered = (m.buffered / d * 100.0).clamp(0.0, 100.0);
    let played = (shown / d * 100.0).clamp(0.0, 100.0);
    let preview_t = drag().or(hover());
    let preview = preview_t.and_then(|t| {
        let tiles = ctl.tiles.read();
        let tile = storyboard::at(&tiles, t)?.clone();
        let base = ctl.storyboard_url.read().clone()?;
        let url = storyboard::sheet_url(&base, &tile.sheet);
        Some((t, tile, url))
    });
    rsx! {
        div {
            class: "seek",
            onmounted: move |e| el.set(Some(e.data())),
            onpointermove: move |e: PointerEvent| {
                let x = e.client_coordinates().x;
                if let Some(el) = el.peek().clone() {
                    spawn(async move {
                        if let Ok(r) = el.get_client_rect().await {
                            let f = ((x - r.origin.x) / r.size.width.max(1.0)).clamp(0.0, 1.0);
                            hover.set(Some(f * d));
                        }
                    });
                }
            },
            onpointerleave: move |_| hover.set(None),
            div { class: "track",
                span { class: "buffered", style: "width: {buffered:.2}%" }
                span { class: "played", style: "width: {played:.2}%" }
            }
            input {
                class: "seek",
                r#type: "range",
                min: "0",
                max: "{d}",
                step: "0.1",
                value: "{shown}",
                aria_label: "Seek",
                aria_valuetext: "{clock(shown)} of {clock(m.d)}",
                oninput: move |e| drag.set(e.value().parse().ok()),
                onchange: move |e| {
                    if let Ok(t) = e.value().parse::<f64>() {
                        ctl.seek(t);
                    }
                    drag.set(None);
                },
            }
            if let Some((t, tile, url)) = preview {
                div {
                    class: "thumb",
                    style: "left: {(t / d * 100.0).clamp(0.0, 100.0):.2}%; width: {tile.w}px; height: {tile.h}px; background-image: url('{url}'); background-position: -{tile.x}px -{tile.y}px;",
                    span { "{clock(t)}" }
                }
            } else if let Some(t) = preview_t {
                div { class: "thumb bare", style: "left: {(t / d * 100.0).clamp(0.0, 100.0):.2}%;",
                    span { "{clock(t)}" }
                }
            }
        }
    }
}
