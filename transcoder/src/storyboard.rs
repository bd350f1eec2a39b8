//! Seek-bar previews: thumbnails taken at a fixed interval, tiled 10x10 into JPEG sprite
//! sheets (`storyboard/sb_001.jpg`, ...) by the same ffmpeg process as the ladder, and a WebVTT
//! index whose cues point at each tile with a `#xywh=` media fragment.

use std::fmt::Write as _;

/// Thumbnail width in pixels.
pub const THUMB_WIDTH: u32 = 160;
/// Tiles per sheet row and column.
pub const GRID: u32 = 10;
/// Directory of the sheets inside a version prefix.
pub const DIR: &str = "storyboard";

/// The thumbnails of one source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// Seconds between thumbnails.
    pub interval_s: f64,
    pub thumb_width: u32,
    pub thumb_height: u32,
    pub count: u32,
}

/// A thumbnail every 2 s, or fewer for long videos so there are at most 600 (six sheets).
pub fn plan(width: u32, height: u32, duration_s: f64) -> Plan {
    let interval_s = (duration_s / 600.0).ceil().max(2.0);
    let h = (f64::from(THUMB_WIDTH) * f64::from(height) / f64::from(width.max(1))).round() as u32;
    let thumb_height = (h + h % 2).max(2);
    let count = ((duration_s / interval_s).ceil() as u32).max(1);
    Plan {
        interval_s,
        thumb_width: THUMB_WIDTH,
        thumb_height,
        count,
    }
}

/// The filter chain (after a `split` output) that makes the sheets.
pub fn filter(p: &Plan) -> String {
    format!(
        "fps=1/{:.0}:round=down,scale={}:{},setsar=1,tile={GRID}x{GRID}",
        p.interval_s, p.thumb_width, p.thumb_height
    )
}

/// The ffmpeg output pattern of the sheets, relative to the output dir.
pub fn sheet_pattern() -> String {
    format!("{DIR}/sb_%03d.jpg")
}

fn timestamp(s: f64) -> String {
    let ms = (s * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// The WebVTT index for `sheets` sheets written by the encode.
pub fn vtt(p: &Plan, duration_s: f64, sheets: u32) -> String {
    let per_sheet = GRID * GRID;
    let mut out = String::from("WEBVTT\n\n");
    for i in 0..p.count.min(sheets * per_sheet) {
        let start = f64::from(i) * p.interval_s;
        let end = (start + p.interval_s).min(duration_s);
        if end <= start {
            break;
        }
        let sheet = i / per_sheet + 1;
        let n = i % per_sheet;
        let _ = write!(
            out,
            "{} --> {}\n{DIR}/sb_{sheet:03}.jpg#xywh={},{},{},{}\n\n",
            timestamp(start),
            timestamp(end),
            (n % GRID) * p.thumb_width,
            (n / GRID) * p.thumb_height,
            p.thumb_width,
            p.thumb_height
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_videos_get_sparser_thumbnails_and_cues_walk_the_grid() {
        let short = plan(1920, 1080, 25.0);
        assert_eq!((short.interval_s, short.count), (2.0, 13));
        assert_eq!((short.thumb_width, short.thumb_height), (160, 90));
        let long = plan(1280, 720, 7200.0);
        assert_eq!(long.interval_s, 12.0);
        assert_eq!(long.count, 600);

        let v = vtt(&short, 25.0, 1);
        assert!(v.starts_with(
            "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nstoryboard/sb_001.jpg#xywh=0,0,160,90\n"
        ));
        assert!(
            v.contains("00:00:20.000 --> 00:00:22.000\nstoryboard/sb_001.jpg#xywh=0,90,160,90")
        );
        assert!(v.contains("00:00:24.000 --> 00:00:25.000\n"));
        let v = vtt(&long, 7200.0, 6);
        assert!(v.contains("storyboard/sb_002.jpg#xywh=0,0,160,90"));
        assert!(v.contains("storyboard/sb_006.jpg#xywh=1440,810,160,90"));
    }
}
