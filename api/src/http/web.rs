//! Serves the built web app from memory: files of the bundle directory, and `index.html` for
//! every other path so deep links into the single-page app work.
//!
//! The bundle (`cargo xtask web`) names every asset under `assets/` by a hash of its content
//! and ships `.br` and `.gz` siblings. So assets are sent compressed as the client accepts,
//! and cached for a year as immutable; `index.html`, which names the current assets, is
//! revalidated on every visit (`no-cache` with an ETag).

use bytes::Bytes;
use poem::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use poem::web::Html;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, handler};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[handler]
fn not_built() -> impl IntoResponse {
    Html(
        "<!doctype html><title>Kino</title><h1>Kino</h1>\
         <p>The web app is not built. Run <code>cargo xtask up</code>, or browse the API at \
         <a href=\"/api/docs\">/api/docs</a>.</p>",
    )
}

/// The endpoint for `/`: the bundle when `dir` holds one, a short notice otherwise.
///
/// `connect` lists the origins besides this one the app talks to (the bucket browsers PUT
/// upload parts to).
pub fn endpoint(dir: Option<&Path>, connect: &[String]) -> poem::endpoint::BoxEndpoint<'static> {
    match dir
        .filter(|d| d.join("index.html").is_file())
        .map(|d| Bundle::load(d, connect))
    {
        Some(Ok(bundle)) => Arc::new(bundle).map_to_response().boxed(),
        Some(Err(e)) => {
            tracing::error!("the web app's bundle could not be read: {e}");
            not_built.map_to_response().boxed()
        }
        None => not_built.map_to_response().boxed(),
    }
}

/// One file of the bundle with its pre-compressed forms.
struct File {
    // Bytes, so answering clones a reference count instead of copying the file.
    body: Bytes,
    br: Option<Bytes>,
    gz: Option<Bytes>,
    mime: &'static str,
    etag: String,
    immutable: bool,
}

struct Bundle {
    files: HashMap<String, File>,
    /// The page's Content-Security-Policy.
    policy: HeaderValue,
}

impl Bundle {
    fn load(dir: &Path, connect: &[String]) -> std::io::Result<Self> {
        let mut files = HashMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d)? {
                let path = entry?.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
                if ext == "br" || ext == "gz" {
                    continue;
                }
                let rel = path
                    .strip_prefix(dir)
                    .expect("walked from dir")
                    .to_string_lossy()
                    .replace('\\', "/");
                let body = Bytes::from(std::fs::read(&path)?);
                let etag = format!("\"{:016x}\"", fnv1a(&body));
                files.insert(
                    rel.clone(),
                    File {
                        br: read_sibling(&path, "br")?,
                        gz: read_sibling(&path, "gz")?,
                        mime: mime_of(ext),
                        etag,
                        immutable: rel.starts_with("assets/") && !rel.ends_with(".LICENSE"),
                        body,
                    },
                );
            }
        }
        let index = std::str::from_utf8(&files["index.html"].body)
            .map_err(std::io::Error::other)?
            .to_owned();
        let policy =
            HeaderValue::from_str(&page_policy(&index, connect)).map_err(std::io::Error::other)?;
        Ok(Self { files, policy })
    }

    fn answer(&self, req: &Request) -> Response {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return StatusCode::METHOD_NOT_ALLOWED.into_response();
        }
        let path = req.uri().path().trim_start_matches('/');
        let file = match self.files.get(path) {
            Some(f) => f,
            // A missing hashed asset is a stale page asking for an old build: say so rather
            // than answer with the app's HTML, which the browser would fail to parse as code.
            None if path.starts_with("assets/") => return StatusCode::NOT_FOUND.into_response(),
            None => &self.files["index.html"],
        };
        let cache = if file.immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        let mut resp = Response::builder()
            .header(header::CONTENT_TYPE, file.mime)
            .header(header::CACHE_CONTROL, cache)
            .header(header::ETAG, &file.etag)
            .header(header::VARY, "Accept-Encoding")
            .header("X-Content-Type-Options", "nosniff");
        if file.mime.starts_with("text/html") {
            resp = resp.header(header::CONTENT_SECURITY_POLICY, self.policy.clone());
        }
        if matches_etag(req.headers(), &file.etag) {
            return resp.status(StatusCode::NOT_MODIFIED).finish();
        }
        let accepts = accepted_encodings(req.headers());
        let body = match (&file.br, &file.gz) {
            (Some(br), _) if accepts.br => {
                resp = resp.header(header::CONTENT_ENCODING, "br");
                br
            }
            (_, Some(gz)) if accepts.gzip => {
                resp = resp.header(header::CONTENT_ENCODING, "gzip");
                gz
            }
            _ => &file.body,
        };
        if req.method() == Method::HEAD {
            return resp
                .header(header::CONTENT_LENGTH, body.len().to_string())
                .finish();
        }
        resp.body(body.clone())
    }
}

impl Endpoint for Bundle {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        Ok(self.answer(&req))
    }
}

/// What the app's page may load: its own files, its one inline script (by hash), media and
/// posters from this origin, the player's `blob:` streams and the `data:` clip it probes codec
/// support with, and requests to this origin and `connect`. `'unsafe-eval'` is there because
/// the UI drives the player through evaluated snippets (Dioxus's `document::eval` builds them
/// with `Function`); with no other origin allowed to serve script, that opens no door an
/// injected `<script>` could use.
fn page_policy(index: &str, connect: &[String]) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let inline: Vec<String> = inline_scripts(index)
        .map(|js| {
            let digest = sha2::Sha256::digest(js.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    let connect: String = connect.iter().map(|o| format!(" {o}")).collect();
    format!(
        "default-src 'self'; script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'{}; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob: data:; \
         connect-src 'self'{connect}; worker-src 'self' blob:; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        inline.concat()
    )
}

/// The bodies of the page's inline `<script>` elements.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attrs, rest) = rest.split_once('>')?;
        if attrs.contains("src=") {
            return None;
        }
        rest.split_once("</script>").map(|(body, _)| body)
    })
}

fn read_sibling(path: &Path, suffix: &str) -> std::io::Result<Option<Bytes>> {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(suffix);
    match std::fs::read(PathBuf::from(s)) {
        Ok(b) => Ok(Some(Bytes::from(b))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn mime_of(ext: &str) -> &'static str {
    match ext {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "webmanifest" => "application/manifest+json",
        "txt" | "LICENSE" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[derive(Default)]
struct Accepts {
    br: bool,
    gzip: bool,
}

/// Which encodings `Accept-Encoding` allows (a `q=0` refuses one).
fn accepted_encodings(headers: &HeaderMap) -> Accepts {
    let mut accepts = Accepts::default();
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            match name {
                "br" => accepts.br = !refused,
                "gzip" => accepts.gzip = !refused,
                _ => {}
            }
        }
    }
    accepts
}

fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// A content hash for ETags; files are compared whole, so any stable 64-bit hash will do.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(accept).unwrap(),
        );
        h
    }

    #[test]
    fn the_page_policy_allows_its_inline_script_by_hash_and_nothing_foreign() {
        let html = "<link href=x><script type=\"module\">init();</script>\
                    <script src=\"/assets/a.js\"></script>";
        assert_eq!(inline_scripts(html).collect::<Vec<_>>(), ["init();"]);
        let p = page_policy(html, &["https://bucket.example.com".into()]);
        // printf 'init();' | openssl dgst -sha256 -binary | base64
        let hash = "'sha256-GEnM5q1nYY/iACnyMTdov+tNp9OFcBnnDgNXUXaVNXc='";
        assert!(
            p.contains(&format!(
                "script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval' {hash};"
            )),
            "{p}"
        );
        assert!(
            p.contains("connect-src 'self' https://bucket.example.com;"),
            "{p}"
        );
        assert!(p.ends_with("frame-ancestors 'none'"), "{p}");
    }

    #[test]
    fn encodings_follow_accept_encoding_and_its_refusals() {
        let a = accepted_encodings(&headers("gzip, deflate, br, zstd"));
        assert!(a.br && a.gzip);
        let a = accepted_encodings(&headers("gzip;q=1.0, br;q=0"));
        assert!(!a.br && a.gzip);
        let a = accepted_encodings(&headers("identity"));
        assert!(!a.br && !a.gzip);
    }
}
