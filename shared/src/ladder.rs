//! The adaptive-bitrate ladder: which renditions a source gets.
//!
//! Rungs follow Apple's HLS authoring table for H.264 (16:9, 30 fps figures). A source is never
//! upscaled: it gets every rung whose height does not exceed its own, and a source smaller than
//! the lowest rung gets one rung at its own size.

use serde::{Deserialize, Serialize};

/// One rendition of the ladder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rung {
    /// Directory and display name, e.g. `720p`.
    pub name: String,
    /// Output width in pixels (even).
    pub width: u32,
    /// Output height in pixels (even).
    pub height: u32,
    /// Target video bitrate in kbit/s (also the VBV max rate).
    pub video_kbps: u32,
    /// H.264 level as ffmpeg takes it, e.g. `3.1`.
    pub level: &'static str,
}

impl Rung {
    /// The RFC 6381 codec string of this rung's video (H.264 High profile at its level).
    pub fn video_codec(&self) -> String {
        let level = match self.level {
            "3.0" => 0x1e,
            "3.1" => 0x1f,
            "3.2" => 0x20,
            "4.0" => 0x28,
            "4.1" => 0x29,
            "4.2" => 0x2a,
            "5.1" => 0x33,
            _ => 0x33,
        };
        format!("avc1.6400{level:02x}")
    }
}

/// Target heights, bitrates and H.264 levels, lowest first.
const TABLE: &[(u32, u32, &str)] = &[
    (360, 800, "3.0"),
    (540, 2000, "3.1"),
    (720, 3000, "3.1"),
    (1080, 6000, "4.0"),
    (2160, 16000, "5.1"),
];

/// Audio bitrate of the stereo AAC rendition in kbit/s.
pub const AUDIO_KBPS: u32 = 128;
/// RFC 6381 codec string of the audio rendition (AAC-LC).
pub const AUDIO_CODEC: &str = "mp4a.40.2";
/// Target segment duration in seconds.
pub const SEGMENT_SECONDS: u32 = 6;
/// Keyframe interval in seconds; divides the segment duration so segments start on keyframes.
pub const GOP_SECONDS: u32 = 2;

fn even(x: f64) -> u32 {
    let v = x.round() as u32;
    (v + v % 2).max(2)
}

/// The rungs for a source of `width` x `height` display pixels (rotation already applied).
pub fn for_source(width: u32, height: u32) -> Vec<Rung> {
    let width = width.max(2);
    let height = height.max(2);
    let aspect = width as f64 / height as f64;
    // Portrait sources are laddered by their short side so a 1080x1920 phone clip gets 1080p.
    let short = width.min(height);
    let mut rungs: Vec<Rung> = TABLE
        .iter()
        .filter(|(h, _, _)| *h <= short)
        .map(|&(h, kbps, level)| {
            let (w, hh) = if width >= height {
                (even(h as f64 * aspect), h)
            } else {
                (h, even(h as f64 / aspect))
            };
            Rung {
                name: format!("{h}p"),
                width: w,
                height: hh,
                video_kbps: kbps,
                level,
            }
        })
        .collect();
    if rungs.is_empty() {
        let (h, kbps, level) = TABLE[0];
        let scale = short as f64 / h as f64;
        rungs.push(Rung {
            name: format!("{}p", even(short as f64)),
            width: even(width as f64),
            height: even(height as f64),
            video_kbps: ((kbps as f64 * scale).round() as u32).max(200),
            level,
        });
    }
    rungs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_upscales_and_keeps_aspect() {
        let r = for_source(1280, 720);
        let names: Vec<_> = r.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["360p", "540p", "720p"]);
        assert_eq!((r[0].width, r[0].height), (640, 360));
        assert_eq!((r[2].width, r[2].height), (1280, 720));
    }

    #[test]
    fn portrait_uses_the_short_side() {
        let r = for_source(1080, 1920);
        assert_eq!(r.last().unwrap().name, "1080p");
        assert_eq!((r[0].width, r[0].height), (360, 640));
    }

    #[test]
    fn tiny_sources_get_one_rung_at_their_size() {
        let r = for_source(321, 241);
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].width, r[0].height), (322, 242));
    }

    #[test]
    fn codec_strings() {
        assert_eq!(for_source(1920, 1080)[3].video_codec(), "avc1.640028");
    }
}
