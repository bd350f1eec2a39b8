//! Media delivery: `/media/{token}/{video}/v{n}/{path}` serves the files of one rendition
//! version when the path token (an expiring HMAC over video and version) checks out.
//! Playlists refer to their segments by relative URL, so every request inherits the token.
//!
//! Segments never change under a version (each transcode attempt writes a fresh version), so
//! they are cacheable for a year; playlists get a short lifetime. Single byte ranges, ETag
//! and `If-None-Match` are honoured so players and CDNs can do partial and conditional fetches.

use crate::error::{ApiError, Code, ErrorBody};
use crate::signing::MediaScope;
use crate::state::AppState;
use futures::StreamExt;
use poem::http::{HeaderMap, StatusCode, header};
use poem::web::{Data, Path};
use poem::{Body, Response, handler};
use shared::Visibility;
use shared::store::{ObjectStore, StoreError};

/// How long, and by whom, a media response may be kept. Playlists change (a published ladder
/// replaces the first rung, a subtitle track is added), segments never do. Only a public
/// video's media may sit in shared caches: a private, unlisted or hidden video's would
/// otherwise be served by a CDN or proxy to anyone who guessed or kept the URL.
fn cache_control(public: bool, playlist: bool) -> &'static str {
    match (public, playlist) {
        (true, true) => "public, max-age=60",
        (true, false) => "public, max-age=31536000, immutable",
        (false, true) => "private, max-age=60",
        (false, false) => "private, max-age=31536000, immutable",
    }
}

/// How long an edge cache in front of the api (nginx reads `X-Accel-Expires` and browsers
/// ignore it) keeps a public segment: the edge then asks again, and a link to a video made
/// private or hidden since stops being served there within this time. Private media is
/// marked 0: the edge never stores it, whatever `Cache-Control` a proxy may be told to trust.
const EDGE_SEGMENT_TTL_S: &str = "600";

fn edge_expires(
    builder: poem::ResponseBuilder,
    public: bool,
    playlist: bool,
) -> poem::ResponseBuilder {
    match (public, playlist) {
        (false, _) => builder.header("x-accel-expires", "0"),
        // CDNs read `CDN-Cache-Control` (RFC 9213) before `Cache-Control`, which keeps the
        // year-long lifetime for browsers.
        (true, false) => builder
            .header("x-accel-expires", EDGE_SEGMENT_TTL_S)
            .header(
                "cdn-cache-control",
                format!("public, max-age={EDGE_SEGMENT_TTL_S}"),
            ),
        // Public playlists: their one-minute `Cache-Control` holds at the edge too.
        (true, true) => builder,
    }
}

/// Parses a single `bytes=` range against an object of `size` bytes.
fn parse_range(value: &str, size: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None; // Multiple ranges: serve the whole object, as RFC 9110 allows.
    }
    let (a, b) = spec.split_once('-')?;
    let range = match (a.trim(), b.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().ok()?;
            if n == 0 || size == 0 {
                return Some(Err(()));
            }
            (size.saturating_sub(n), size - 1)
        }
        (start, "") => (start.parse().ok()?, size.saturating_sub(1)),
        (start, end) => {
            let (s, e): (u64, u64) = (start.parse().ok()?, end.parse().ok()?);
            if e < s {
                return None;
            }
            (s, e.min(size.saturating_sub(1)))
        }
    };
    if range.0 >= size {
        Some(Err(()))
    } else {
        Some(Ok(range))
    }
}

#[handler]
pub async fn serve(
    state: Data<&AppState>,
    Path((token, video_id, version, path)): Path<(String, String, String, String)>,
    headers: &HeaderMap,
) -> Response {
    let Some(version) = version
        .strip_prefix('v')
        .and_then(|v| v.parse::<u32>().ok())
    else {
        return ErrorBody::response(Code::MediaNotFound, "no such media");
    };
    if !shared::layout::is_safe_id(&video_id) || !shared::layout::is_safe_media_path(&path) {
        return ErrorBody::response(Code::MediaNotFound, "no such media");
    }
    let Some(scope) = state.signer.verify_media_token(&token, &video_id, version) else {
        return ErrorBody::response(
            Code::MediaTokenInvalid,
            "this media link is invalid or has expired",
        );
    };
    // The link is only as good as the video's current visibility: deleted videos serve
    // nothing, and a private or hidden one only through links issued to its owner or an admin.
    // Through the cache of hot reads, which the change feed keeps coherent: a segment
    // request costs no database read.
    // A video this replica does not hold in memory is read from the database, waiting for it
    // if it is restarting: every replica shares the one database, so answering 503 at once
    // would only have the edge mark every replica down and turn a pause into errors.
    let public = match state.cache.video(&state.db, &video_id).await {
        Ok(Some(v))
            if v.state != shared::VideoState::Deleted
                && (!v.restricted() || scope == MediaScope::Owner) =>
        {
            v.visibility == Visibility::Public && !v.hidden()
        }
        Ok(_) => return ErrorBody::response(Code::MediaNotFound, "no such media"),
        Err(e) => return e.response(),
    };
    // Subtitle tracks live beside the versions; the master playlist lists them.
    if (path == shared::layout::MASTER_PLAYLIST || path.starts_with("subs/"))
        && let Some(resp) = subtitled(&state, &video_id, version, &path, public).await
    {
        return resp;
    }
    let key = match path
        .strip_prefix("subs/")
        .and_then(|p| p.strip_suffix(".vtt"))
    {
        Some(lang) => shared::layout::subtitle_key(&video_id, lang),
        None => format!(
            "{}/{path}",
            shared::layout::version_prefix(&video_id, version)
        ),
    };
    // Subtitle files may be replaced under the same name; everything under a version is
    // written once, so it may be kept in memory.
    let hot = if path.starts_with("subs/") {
        None
    } else {
        match state.hot_media.get(&state.store, &key).await {
            Ok(h) => Some(h),
            Err(e) => return e.response(),
        }
    };
    let meta = match &hot {
        Some(h) => h.meta.clone(),
        None => match state.store.head(&key).await {
            Ok(m) => m,
            Err(StoreError::NotFound(_)) => {
                return ErrorBody::response(Code::MediaNotFound, "no such media");
            }
            Err(e) => return ApiError::from(e).response(),
        },
    };
    let playlist = path.ends_with(".m3u8") || path.starts_with("subs/");
    let base = edge_expires(Response::builder(), public, playlist)
        .header(header::ETAG, meta.etag.clone())
        .header(header::CACHE_CONTROL, cache_control(public, playlist))
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .header(header::CONTENT_TYPE, shared::layout::content_type(&path));
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == meta.etag || t.trim() == "*")
        });
    if not_modified {
        return base.status(StatusCode::NOT_MODIFIED).finish();
    }
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == meta.etag);
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| if_range_ok)
        .and_then(|v| parse_range(v, meta.size));
    let (status, start, len, base) = match range {
        Some(Ok((s, e))) => (
            StatusCode::PARTIAL_CONTENT,
            s,
            e - s + 1,
            base.header(
                header::CONTENT_RANGE,
                format!("bytes {s}-{e}/{}", meta.size),
            ),
        ),
        Some(Err(())) => {
            return base
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{}", meta.size))
                .finish();
        }
        None => (StatusCode::OK, 0, meta.size, base),
    };
    if let Some(bytes) = hot.as_ref().and_then(|h| h.bytes.as_ref()) {
        let body = bytes.slice(start as usize..(start + len) as usize);
        return base
            .status(status)
            .header(header::CONTENT_LENGTH, len)
            .body(Body::from_bytes(body));
    }
    match state.store.read_range(&key, start, len).await {
        Ok(stream) => base
            .status(status)
            .header(header::CONTENT_LENGTH, len)
            .body(Body::from_bytes_stream(
                stream.map(|r| r.map_err(std::io::Error::other)),
            )),
        Err(e) => ApiError::from(e).response(),
    }
}

/// Serves the playlists that depend on the video's subtitle tracks: the master playlist with
/// a subtitle group (when there are tracks) and each track's media playlist. `None` lets the
/// stored object answer.
async fn subtitled(
    state: &AppState,
    video_id: &str,
    version: u32,
    path: &str,
    public: bool,
) -> Option<Response> {
    let tracks = match crate::delivery::subtitles::list(&state.db, video_id).await {
        Ok(t) => t,
        Err(e) => return Some(e.response()),
    };
    let playlist = |body: String| {
        edge_expires(Response::builder(), public, true)
            .header(header::CACHE_CONTROL, cache_control(public, true))
            .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
            .header(header::CONTENT_TYPE, shared::layout::content_type("x.m3u8"))
            .body(body)
    };
    if let Some(lang) = path
        .strip_prefix("subs/")
        .and_then(|p| p.strip_suffix(".m3u8"))
    {
        if !tracks.iter().any(|t| t.language == lang) {
            return Some(ErrorBody::response(
                Code::MediaNotFound,
                "no such subtitles",
            ));
        }
        let duration = crate::catalog::videos::get(&state.db, video_id)
            .await
            .ok()
            .flatten()
            .and_then(|v| v.duration_s)
            .unwrap_or(1.0);
        return Some(playlist(crate::delivery::subtitles::media_playlist(
            lang, duration,
        )));
    }
    if path.starts_with("subs/") {
        return if tracks
            .iter()
            .any(|t| path == format!("subs/{}.vtt", t.language))
        {
            None
        } else {
            Some(ErrorBody::response(
                Code::MediaNotFound,
                "no such subtitles",
            ))
        };
    }
    if tracks.is_empty() {
        return None;
    }
    let key = format!(
        "{}/{path}",
        shared::layout::version_prefix(video_id, version)
    );
    let mut text = Vec::new();
    match state.store.read_range(&key, 0, 1024 * 1024).await {
        Ok(mut s) => {
            while let Some(chunk) = s.next().await {
                match chunk {
                    Ok(c) => text.extend_from_slice(&c),
                    Err(e) => return Some(ApiError::from(StoreError::Io(e)).response()),
                }
            }
        }
        Err(StoreError::NotFound(_)) => {
            return Some(ErrorBody::response(Code::MediaNotFound, "no such media"));
        }
        Err(e) => return Some(ApiError::from(e).response()),
    }
    let master = String::from_utf8_lossy(&text);
    Some(playlist(crate::delivery::subtitles::with_subtitles(
        &master, &tracks,
    )))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(Ok((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=50-500", 100), Some(Ok((50, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Some(Err(())));
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }
}
