//! The control bar's icons, drawn inline so they look the same on every device whatever
//! fonts it has (symbol glyphs are missing from many TV and Linux fonts).

use dioxus::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Icon {
    Play,
    Pause,
    Volume,
    Muted,
    PictureInPicture,
    FullScreen,
    ExitFullScreen,
}

/// `(filled shape, stroked lines)` of each icon on a 24x24 grid.
fn paths(icon: Icon) -> (&'static str, &'static str) {
    match icon {
        Icon::Play => ("M8 5v14l11-7z", ""),
        Icon::Pause => ("M6 5h4v14H6zM14 5h4v14h-4z", ""),
        Icon::Volume => (
            "M3 9v6h4l5 4V5L7 9z",
            "M15.5 8.5a5 5 0 0 1 0 7M18.5 5.5a9 9 0 0 1 0 13",
        ),
        Icon::Muted => ("M3 9v6h4l5 4V5L7 9z", "M16 9l6 6M22 9l-6 6"),
        Icon::PictureInPicture => ("M12 12h8v6h-8z", "M3 5h18v14H3z"),
        Icon::FullScreen => ("", "M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5"),
        Icon::ExitFullScreen => ("", "M9 4v5H4M15 4v5h5M20 15h-5v5M4 15h5v5"),
    }
}

#[component]
pub fn Glyph(icon: Icon) -> Element {
    let (fill, stroke) = paths(icon);
    rsx! {
        svg { view_box: "0 0 24 24", width: "24", height: "24", "aria-hidden": "true", "focusable": "false",
            if !fill.is_empty() {
                path { d: fill, fill: "currentColor" }
            }
            if !stroke.is_empty() {
                path { d: stroke, fill: "none", stroke: "currentColor", stroke_width: "2", stroke_linecap: "round" }
            }
        }
    }
}
