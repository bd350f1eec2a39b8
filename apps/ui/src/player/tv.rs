//! The player at ten feet: the picture has focus and takes the remote's keys (OK plays and
//! pauses, Left and Right seek 10 s with the storyboard's thumbnail, Up and Down bring up
//! the control row); the row's buttons open the subtitle and quality menus, and Back closes
//! an open menu before it leaves the player.

use super::Ctl;
use super::controls::{Overlays, QualityMenu, SubtitlesMenu, clock};
use super::icons::{Glyph, Icon};
use super::state::{Menu, UpNext};
use crate::storyboard;
use crate::tv::TvBack;
use dioxus::prelude::*;
use std::rc::Rc;

#[component]
pub fn TvFrame(
    ctl: Ctl,
    poster: String,
    next: ReadSignal<Option<UpNext>>,
    title: String,
) -> Element {
    let platform = use_context::<crate::PlatformHandle>();
    let mut ctl = ctl;
    let media = ctl.media.read().clone();
    let visible = *ctl.visible.read() || media.paused;
    let menu = *ctl.menu.read();
    let mut row_button = use_signal(|| None::<Rc<MountedData>>);

    // Back closes an open menu first.
    let back = TvBack::get();
    use_effect(move || {
        let open = ctl.menu.read().is_some();
        if let Some(mut back) = back {
            back.0
                .set(open.then(|| Callback::new(move |_| ctl.menu.set(None))));
        }
    });
    use_drop(move || {
        if let Some(mut back) = back {
            back.0.set(None);
        }
    });
    // Up or Down on the picture: the row shows, then takes focus.
    use_effect(move || {
        if *ctl.row_focus.read()
            && *ctl.visible.read()
            && let Some(el) = row_button.peek().clone()
        {
            ctl.row_focus.set(false);
            spawn(async move {
                let _ = el.set_focus(true).await;
            });
        }
    });

    let d = media.d.max(0.001);
    let shown_t = ctl.seek_preview.read().unwrap_or(media.t);
    let played = (shown_t / d * 100.0).clamp(0.0, 100.0);
    let buffered = (media.buffered / d * 100.0).clamp(0.0, 100.0);
    let thumb = ctl.seek_preview.read().and_then(|t| {
        let tiles = ctl.tiles.read();
        let tile = storyboard::at(&tiles, t)?.clone();
        let base = ctl.storyboard_url.read().clone()?;
        Some((t, storyboard::sheet_url(&base, &tile.sheet), tile))
    });
    let (play_label, play_icon) = if media.paused {
        ("Play", Icon::Play)
    } else {
        ("Pause", Icon::Pause)
    };
    let has_tracks = !ctl.tracks.read().is_empty();
    let has_levels = ctl.levels.read().len() > 1;
    let quality = match (*ctl.level.read() < 0, *ctl.playing_height.read()) {
        (true, 0) => "Auto".to_owned(),
        (true, h) => format!("Auto ({h}p)"),
        (false, h) => format!("{h}p"),
    };
    let subtitles_on = *ctl.subtitle.read() >= 0;
    // Down reaches the subtitles first, then quality; the play button when there are none.
    let row_target = if has_tracks {
        Menu::Subtitles
    } else if has_levels {
        Menu::Quality
    } else {
        Menu::Speed
    };
    let mounted = move |which: Menu| {
        move |e: MountedEvent| {
            if which == row_target {
                row_button.set(Some(e.data()));
            }
        }
    };
    let mut toggle_menu = move |which: Menu| {
        let open = *ctl.menu.peek() == Some(which);
        ctl.menu.set(if open { None } else { Some(which) });
    };

    rsx! {
        div { class: if visible { "player tv-player" } else { "player tv-player idle" },
            // Any key, also one that moves focus along the row, keeps the controls up.
            onkeydown: move |_| ctl.activity(&platform),
            video { id: "kino-player", playsinline: true, preload: "auto", poster: "{poster}", aria_label: "Video" }
            div {
                class: "surface",
                tabindex: "0",
                "data-keys": "own",
                "data-autofocus": "true",
                "data-focus-key": "player:picture",
                aria_label: "{title}: OK plays or pauses, Left and Right seek, Down shows the controls",
                if media.waiting {
                    div { class: "spinner", role: "status", aria_label: "Loading" }
                }
            }
            Overlays { ctl, next }
            div { class: if visible { "tv-controls" } else { "tv-controls hidden" },
                h2 { class: "tv-player-title", "{title}" }
                div { class: "tv-seek",
                    div { class: "track",
                        span { class: "buffered", style: "width: {buffered:.2}%" }
                        span { class: "played", style: "width: {played:.2}%" }
                    }
                    if let Some((t, url, tile)) = thumb {
                        div {
                            class: "thumb",
                            style: "left: {(t / d * 100.0).clamp(0.0, 100.0):.2}%; width: {tile.w}px; height: {tile.h}px; background-image: url('{url}'); background-position: -{tile.x}px -{tile.y}px;",
                            span { "{clock(t)}" }
                        }
                    }
                }
                div { class: "tv-row-controls",
                    span { class: "time", "{clock(shown_t)} / {clock(media.d)}" }
                    button { class: "tv-icon", aria_label: "{play_label}", "data-focus-key": "player:play",
                        onmounted: mounted(Menu::Speed),
                        onclick: move |_| ctl.toggle(), Glyph { icon: play_icon } }
                    if has_tracks {
                        div { class: "menu-anchor",
                            button { class: if subtitles_on { "tv-icon on" } else { "tv-icon" },
                                "data-focus-key": "player:subtitles", aria_haspopup: "menu",
                                aria_expanded: "{menu == Some(Menu::Subtitles)}",
                                onmounted: mounted(Menu::Subtitles),
                                onclick: move |_| toggle_menu(Menu::Subtitles),
                                "Subtitles"
                            }
                            if menu == Some(Menu::Subtitles) {
                                SubtitlesMenu { ctl }
                            }
                        }
                    }
                    if has_levels {
                        div { class: "menu-anchor",
                            button { class: "tv-icon", "data-focus-key": "player:quality",
                                aria_label: "Quality: {quality}", aria_haspopup: "menu",
                                aria_expanded: "{menu == Some(Menu::Quality)}",
                                onmounted: mounted(Menu::Quality),
                                onclick: move |_| toggle_menu(Menu::Quality),
                                "{quality}"
                            }
                            if menu == Some(Menu::Quality) {
                                QualityMenu { ctl }
                            }
                        }
                    }
                }
            }
        }
    }
}
