//! Where things live in the object store. Every crate builds keys through these functions so
//! the layout is defined once: `sources/{video}/source` for the uploaded original,
//! `uploads/{upload}/...` for parts in flight, `videos/{video}/subtitles/{lang}.vtt` for subtitle
//! tracks and `videos/{video}/v{n}/...` for each published
//! rendition set (one fresh version per transcode attempt, so a retry never overwrites what a
//! viewer may be streaming).

/// Checks that an id is safe to embed in a key and a URL path: 1-64 chars of `[0-9A-Za-z_-]`.
pub fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The uploaded original of a video.
pub fn source_key(video_id: &str) -> String {
    format!("{}source", source_prefix(video_id))
}

/// Everything stored for a video's uploaded original.
pub fn source_prefix(video_id: &str) -> String {
    format!("sources/{video_id}/")
}

/// The prefix under which one transcode version of a video is stored.
pub fn version_prefix(video_id: &str, version: u32) -> String {
    format!("videos/{video_id}/v{version}")
}

/// A video's subtitle track for `language`, beside its versions (tracks outlive transcodes).
pub fn subtitle_key(video_id: &str, language: &str) -> String {
    format!("videos/{video_id}/subtitles/{language}.vtt")
}

/// Everything stored for a video's renditions.
pub fn video_prefix(video_id: &str) -> String {
    format!("videos/{video_id}/")
}

/// The master playlist inside a version prefix.
pub const MASTER_PLAYLIST: &str = "master.m3u8";
/// The default poster image inside a version prefix (poster candidate 0).
pub const POSTER: &str = "poster.jpg";
/// How many poster candidates every version has: frames spread over the video, of which the
/// owner picks one (the first is the default).
pub const POSTER_CANDIDATES: u32 = 4;
/// Where poster candidates other than the default live inside a version prefix.
pub const POSTERS_DIR: &str = "posters";

/// The path of poster candidate `index` inside a version prefix: candidate 0 is [`POSTER`],
/// the others live under `posters/`.
pub fn poster_path(index: u32) -> String {
    match index {
        0 => POSTER.to_owned(),
        i => format!("{POSTERS_DIR}/{i}.jpg"),
    }
}
/// The storyboard index (WebVTT cues pointing at `#xywh=` tiles of the sprite sheets in
/// `storyboard/`) inside a version prefix.
pub const STORYBOARD: &str = "storyboard.vtt";

/// Checks a path below a version prefix as it arrives in a media URL: relative, no `..`, no
/// empty or hidden segments, only characters the transcoder writes.
pub fn is_safe_media_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 200
        && path.split('/').all(|seg| {
            !seg.is_empty()
                && !seg.starts_with('.')
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        })
}

/// The media type an object is served with, from its key's extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "m3u8" => "application/vnd.apple.mpegurl",
        "m4s" => "video/iso.segment",
        "mp4" => "video/mp4",
        "m4a" => "audio/mp4",
        "ts" => "video/mp2t",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "vtt" => "text/vtt; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_traversal_and_odd_ids() {
        assert!(is_safe_id("01HZX3K2ABCD"));
        assert!(!is_safe_id("../etc"));
        assert!(!is_safe_id(""));
        assert!(is_safe_media_path("720p/seg_00001.m4s"));
        assert!(!is_safe_media_path("../x"));
        assert!(!is_safe_media_path("a//b"));
        for i in 0..POSTER_CANDIDATES {
            assert!(is_safe_media_path(&poster_path(i)));
        }
        assert_eq!(poster_path(0), POSTER);
        assert!(!is_safe_media_path("/abs"));
        assert!(!is_safe_media_path(".hidden"));
    }
}
