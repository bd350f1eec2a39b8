//! Reading ffprobe's report and deciding whether a file is a video we can transcode.

use serde::Deserialize;

/// What the transcoder needs to know about a source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceInfo {
    /// Display size, with rotation applied.
    pub width: u32,
    pub height: u32,
    pub duration_s: f64,
    pub fps: f64,
    pub has_audio: bool,
    /// The first audio stream is already what the audio rendition holds (see
    /// [`audio_plays_as_is`]): it is copied instead of being encoded again.
    pub audio_as_is: bool,
    /// Fields rather than frames: deinterlaced before scaling.
    pub interlaced: bool,
}

/// Why a source was refused; the message is shown to its owner.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Rejection {
    #[error("the file is not a video we can read")]
    Unreadable,
    #[error("the file has no video stream")]
    NoVideo,
    #[error("the video is {0:.0} s long; the limit is {1:.0} s")]
    TooLong(f64, f64),
    #[error("the video is {0}x{1}; the limit is 7680x4320")]
    TooLarge(u32, u32),
    #[error("the video has no duration")]
    NoDuration,
}

#[derive(Deserialize)]
struct Report {
    #[serde(default)]
    streams: Vec<Stream>,
    format: Option<Format>,
}

#[derive(Deserialize)]
struct Format {
    duration: Option<String>,
    format_name: Option<String>,
}

#[derive(Deserialize)]
struct Stream {
    codec_type: Option<String>,
    codec_name: Option<String>,
    profile: Option<String>,
    channels: Option<u32>,
    sample_rate: Option<String>,
    bit_rate: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
    duration: Option<String>,
    field_order: Option<String>,
    #[serde(default)]
    side_data_list: Vec<serde_json::Value>,
    #[serde(default)]
    tags: std::collections::HashMap<String, String>,
    disposition: Option<std::collections::HashMap<String, i64>>,
}

fn rate(s: Option<&str>) -> Option<f64> {
    let (n, d) = s?.split_once('/')?;
    let (n, d): (f64, f64) = (n.parse().ok()?, d.parse().ok()?);
    (d > 0.0 && n > 0.0).then_some(n / d)
}

/// Longest accepted source, in seconds (12 hours).
pub const MAX_DURATION_S: f64 = 12.0 * 3600.0;

/// Parses an ffprobe JSON report.
pub fn parse(json: &str) -> Result<SourceInfo, Rejection> {
    let report: Report = serde_json::from_str(json).map_err(|_| Rejection::Unreadable)?;
    let format = report.format.ok_or(Rejection::Unreadable)?;
    // Image formats and playlists are not videos even when ffmpeg can read them.
    let fmt = format.format_name.unwrap_or_default();
    if fmt.contains("image2") || fmt.contains("_pipe") || fmt == "hls" || fmt == "tty" {
        return Err(Rejection::NoVideo);
    }
    let video = report
        .streams
        .iter()
        .find(|s| {
            s.codec_type.as_deref() == Some("video")
                && s.disposition
                    .as_ref()
                    .and_then(|d| d.get("attached_pic"))
                    .copied()
                    .unwrap_or(0)
                    == 0
        })
        .ok_or(Rejection::NoVideo)?;
    let (mut w, mut h) = (video.width.unwrap_or(0), video.height.unwrap_or(0));
    if w == 0 || h == 0 {
        return Err(Rejection::NoVideo);
    }
    if w > 7680 || h > 7680 || u64::from(w) * u64::from(h) > 7680 * 4320 {
        return Err(Rejection::TooLarge(w, h));
    }
    let rotation = video
        .side_data_list
        .iter()
        .find_map(|sd| sd.get("rotation").and_then(|r| r.as_f64()))
        .or_else(|| video.tags.get("rotate").and_then(|r| r.parse().ok()))
        .unwrap_or(0.0);
    if (rotation.abs() as i64) % 180 == 90 {
        std::mem::swap(&mut w, &mut h);
    }
    let duration = format
        .duration
        .as_deref()
        .or(video.duration.as_deref())
        .and_then(|d| d.parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d > 0.0)
        .ok_or(Rejection::NoDuration)?;
    if duration > MAX_DURATION_S {
        return Err(Rejection::TooLong(duration, MAX_DURATION_S));
    }
    let fps = rate(video.avg_frame_rate.as_deref())
        .or_else(|| rate(video.r_frame_rate.as_deref()))
        .unwrap_or(30.0)
        .clamp(1.0, 120.0);
    let audio = report
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("audio"));
    let interlaced = matches!(
        video.field_order.as_deref(),
        Some("tt" | "bb" | "tb" | "bt")
    );
    Ok(SourceInfo {
        width: w,
        height: h,
        duration_s: duration,
        fps,
        has_audio: audio.is_some(),
        audio_as_is: audio.is_some_and(audio_plays_as_is),
        interlaced,
    })
}

/// Whether an audio stream is already what the audio rendition holds: stereo AAC-LC at 44.1
/// or 48 kHz and at most the rendition's bit rate (with 5% for how containers average it).
/// Encoding it again would only lose quality, and take a sixth of the first playable
/// version's time. A stream that does not state its bit rate is encoded again.
fn audio_plays_as_is(s: &Stream) -> bool {
    let number = |v: &Option<String>| v.as_deref().and_then(|v| v.parse::<u64>().ok());
    let most = u64::from(shared::ladder::AUDIO_KBPS) * 1050;
    s.codec_name.as_deref() == Some("aac")
        && s.profile.as_deref() == Some("LC")
        && s.channels == Some(2)
        && matches!(number(&s.sample_rate), Some(44_100 | 48_000))
        && number(&s.bit_rate).is_some_and(|b| b <= most)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stereo_aac_lc_at_44_1_or_48_khz_up_to_128k_is_kept_as_it_is() {
        let with_audio = |audio: &str| {
            let json = format!(
                r#"{{"streams":[{{"codec_type":"video","width":640,"height":360}},{audio}],
                    "format":{{"duration":"10","format_name":"mov,mp4"}}}}"#
            );
            parse(&json).unwrap().audio_as_is
        };
        let aac = r#"{"codec_type":"audio","codec_name":"aac","profile":"LC","channels":2,"sample_rate":"48000","bit_rate":"128000"}"#;
        assert!(with_audio(aac));
        assert!(with_audio(
            &aac.replace("48000", "44100").replace("128000", "96000")
        ));
        assert!(!with_audio(
            &aac.replace("\"channels\":2", "\"channels\":1")
        ));
        assert!(!with_audio(&aac.replace("\"LC\"", "\"HE-AAC\"")));
        assert!(!with_audio(&aac.replace("\"aac\"", "\"mp3\"")));
        assert!(!with_audio(
            &aac.replace("\"channels\":2", "\"channels\":6")
        ));
        assert!(!with_audio(&aac.replace("48000\",\"bit", "96000\",\"bit")));
        assert!(!with_audio(&aac.replace("128000", "192000")));
        assert!(!with_audio(&aac.replace(",\"bit_rate\":\"128000\"", "")));
        assert!(!parse(r#"{"streams":[{"codec_type":"video","width":640,"height":360}],"format":{"duration":"10","format_name":"mov,mp4"}}"#).unwrap().audio_as_is);
    }

    #[test]
    fn reads_a_rotated_phone_clip() {
        let json = r#"{"streams":[{"codec_type":"video","width":1920,"height":1080,"avg_frame_rate":"30000/1001",
            "side_data_list":[{"rotation":-90}]},{"codec_type":"audio"}],"format":{"duration":"12.5","format_name":"mov,mp4"}}"#;
        let info = parse(json).unwrap();
        assert_eq!((info.width, info.height), (1080, 1920));
        assert!((info.fps - 29.97).abs() < 0.01);
        assert!(info.has_audio);
    }

    #[test]
    fn refuses_audio_only_and_images() {
        let audio =
            r#"{"streams":[{"codec_type":"audio"}],"format":{"duration":"3","format_name":"mp3"}}"#;
        assert_eq!(parse(audio), Err(Rejection::NoVideo));
        let png = r#"{"streams":[{"codec_type":"video","width":10,"height":10}],"format":{"format_name":"png_pipe"}}"#;
        assert_eq!(parse(png), Err(Rejection::NoVideo));
        assert_eq!(parse("{}"), Err(Rejection::Unreadable));
    }
}
