//! WebVTT subtitles an owner adds to a video, published as an HLS subtitle rendition.
//!
//! A track is stored once per video (`videos/{id}/subtitles/{language}.vtt`), outside the
//! versioned renditions, so it survives re-transcodes and shows up in players at once: media
//! delivery adds an `EXT-X-MEDIA:TYPE=SUBTITLES` entry per track to the master playlist it
//! serves and answers `subs/{language}.m3u8` with a one-segment playlist for the file.

use crate::db::{self, Db};
use crate::error::{ApiError, Code};
use serde::Deserialize;
use shared::store::{ObjectStore, Store};
use std::fmt::Write as _;

/// Largest subtitle file accepted.
pub const MAX_BYTES: usize = 512 * 1024;
/// Tracks per video.
pub const MAX_TRACKS: usize = 20;
/// The playlist group the tracks belong to.
const GROUP: &str = "subs";

/// A subtitle track as stored.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Subtitle {
    pub language: String,
    pub label: String,
}

/// A BCP 47 style tag: `en`, `pt-BR`, `zh-Hant`.
pub fn check_language(tag: &str) -> Result<String, ApiError> {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or("");
    let ok = (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts
            .all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
        && tag.len() <= 35;
    if ok {
        Ok(tag.to_owned())
    } else {
        Err(ApiError::new(
            Code::InvalidLanguage,
            "the language is a tag such as en, fr or pt-BR",
        ))
    }
}

fn check_label(label: &str) -> Result<String, ApiError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 64 || label.contains(['"', '\n', '\r']) {
        return Err(ApiError::new(
            Code::InvalidLabel,
            "the label is 1 to 64 characters, without quotes or line breaks",
        ));
    }
    Ok(label.to_owned())
}

/// Accepts a WebVTT file: UTF-8, starting with the `WEBVTT` signature, not too large.
pub fn check_vtt(text: &str) -> Result<(), ApiError> {
    if text.len() > MAX_BYTES {
        return Err(ApiError::new(
            Code::SubtitleTooLarge,
            format!("subtitle files are at most {MAX_BYTES} bytes"),
        ));
    }
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let signature = body.lines().next().unwrap_or("");
    let valid = signature == "WEBVTT"
        || signature.starts_with("WEBVTT ")
        || signature.starts_with("WEBVTT\t");
    if !valid || body.contains('\0') {
        return Err(ApiError::new(
            Code::InvalidSubtitle,
            "subtitles must be a WebVTT file (the first line reads WEBVTT)",
        ));
    }
    Ok(())
}

/// The tracks of a video, by language.
pub async fn list(db: &Db, video_id: &str) -> Result<Vec<Subtitle>, ApiError> {
    let mut r = db
        .query("SELECT language, label FROM subtitle WHERE video_id = $v ORDER BY language")
        .bind(("v", video_id.to_owned()))
        .await?;
    Ok(db::rows(&mut r, 0)?)
}

/// Adds a track, or replaces the one in the same language.
pub async fn put(
    db: &Db,
    store: &Store,
    video_id: &str,
    language: &str,
    label: &str,
    vtt: String,
) -> Result<Subtitle, ApiError> {
    let language = check_language(language)?;
    let label = check_label(label)?;
    check_vtt(&vtt)?;
    let existing = list(db, video_id).await?;
    if existing.len() >= MAX_TRACKS && !existing.iter().any(|s| s.language == language) {
        return Err(ApiError::new(
            Code::TooManySubtitles,
            format!("a video has at most {MAX_TRACKS} subtitle tracks"),
        ));
    }
    store
        .put_bytes(
            &shared::layout::subtitle_key(video_id, &language),
            vtt.into_bytes().into(),
        )
        .await?;
    db.query(
        "UPSERT type::record('subtitle', [$v, $lang]) SET video_id = $v, language = $lang,
            label = $label, updated_at = $now",
    )
    .bind(("v", video_id.to_owned()))
    .bind(("lang", language.clone()))
    .bind(("label", label.clone()))
    .bind(("now", db::now()))
    .await?
    .check()?;
    Ok(Subtitle { language, label })
}

/// Removes a track.
pub async fn remove(
    db: &Db,
    store: &Store,
    video_id: &str,
    language: &str,
) -> Result<(), ApiError> {
    let gone = db
        .query("DELETE type::record('subtitle', [$v, $lang]) RETURN BEFORE")
        .bind(("v", video_id.to_owned()))
        .bind(("lang", language.to_owned()))
        .await?
        .take::<Vec<serde_json::Value>>(0)?;
    if gone.is_empty() {
        return Err(ApiError::new(
            Code::SubtitleNotFound,
            format!("no {language} subtitles on this video"),
        ));
    }
    store
        .delete(&shared::layout::subtitle_key(video_id, language))
        .await?;
    Ok(())
}

/// The master playlist with a subtitle rendition per track.
pub fn with_subtitles(master: &str, tracks: &[Subtitle]) -> String {
    if tracks.is_empty() {
        return master.to_owned();
    }
    let mut media = String::new();
    for (i, t) in tracks.iter().enumerate() {
        let _ = writeln!(
            media,
            "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"{GROUP}\",NAME=\"{}\",LANGUAGE=\"{}\",DEFAULT=NO,AUTOSELECT={},URI=\"subs/{}.m3u8\"",
            t.label,
            t.language,
            if i == 0 { "YES" } else { "NO" },
            t.language
        );
    }
    let mut out = String::new();
    let mut inserted = false;
    for line in master.lines() {
        if !inserted && line.starts_with("#EXT-X-STREAM-INF") {
            out.push_str(&media);
            inserted = true;
        }
        out.push_str(line);
        if line.starts_with("#EXT-X-STREAM-INF") {
            let _ = write!(out, ",SUBTITLES=\"{GROUP}\"");
        }
        out.push('\n');
    }
    out
}

/// The media playlist of one track: the whole file as one segment.
pub fn media_playlist(language: &str, duration_s: f64) -> String {
    let d = duration_s.max(1.0);
    format!(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{}\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:{d:.3},\n{language}.vtt\n#EXT-X-ENDLIST\n",
        d.ceil() as u64
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_labels_and_files_are_checked() {
        for ok in ["en", "fr", "pt-BR", "zh-Hant", "yue"] {
            assert!(check_language(ok).is_ok(), "{ok}");
        }
        for bad in ["", "e", "english", "en_US", "../x", "en-", "en-x"] {
            assert!(check_language(bad).is_err(), "{bad}");
        }
        assert!(check_label("Français").is_ok());
        assert!(check_label("say \"hi\"").is_err());
        assert!(check_vtt("WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n").is_ok());
        assert!(check_vtt("\u{feff}WEBVTT - with a title\n").is_ok());
        assert!(check_vtt("1\n00:00:00,000 --> 00:00:01,000\nSRT\n").is_err());
        assert!(check_vtt("WEBVTTX\n").is_err());
    }

    #[test]
    fn the_master_gains_a_subtitle_group() {
        let master = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"avc1.64001f\"\n360p/index.m3u8\n";
        let tracks = [
            Subtitle {
                language: "en".into(),
                label: "English".into(),
            },
            Subtitle {
                language: "fr".into(),
                label: "Français".into(),
            },
        ];
        let m = with_subtitles(master, &tracks);
        assert!(m.contains("#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=NO,AUTOSELECT=YES,URI=\"subs/en.m3u8\"\n"));
        assert!(m.contains("LANGUAGE=\"fr\""));
        assert!(m.contains("CODECS=\"avc1.64001f\",SUBTITLES=\"subs\"\n360p/index.m3u8"));
        assert!(m.find("TYPE=SUBTITLES").unwrap() < m.find("#EXT-X-STREAM-INF").unwrap());
        assert_eq!(with_subtitles(master, &[]), master);
        assert!(media_playlist("en", 12.5).contains("#EXTINF:12.500,\nen.vtt\n#EXT-X-ENDLIST"));
    }
}
