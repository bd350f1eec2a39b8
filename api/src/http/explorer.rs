//! GraphiQL at `GET /graphql`, served entirely from this server: the page, GraphiQL, React
//! and the graphql-ws client are vendored under `api/assets/graphiql` (see its `NOTICE.md`)
//! and built into the binary, so the explorer works offline, loads nothing from a CDN and runs
//! under a strict Content-Security-Policy (scripts from this origin only, no eval).
//!
//! Assets live under a versioned path and are cached as immutable; each has a brotli form
//! (committed beside it, and checked against it by a test) sent when the client accepts it.

use poem::http::{HeaderValue, StatusCode, header};
use poem::web::Path;
use poem::{IntoResponse, Request, Response, handler};

/// Where the assets are served: the GraphiQL version, so a new one is a new URL.
pub const ASSETS: &str = "/graphql/assets/3.8.3";

/// The explorer page's policy: everything from this origin, no inline or evaluated scripts.
/// GraphiQL's editors set inline styles, and its fonts are data URLs.
pub const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One vendored file: its bytes, their brotli form, its type.
pub struct Asset {
    pub name: &'static str,
    pub body: &'static [u8],
    pub br: &'static [u8],
    pub mime: &'static str,
}

macro_rules! asset {
    ($name:literal, $mime:literal) => {
        Asset {
            name: $name,
            body: include_bytes!(concat!("../../assets/graphiql/", $name)),
            br: include_bytes!(concat!("../../assets/graphiql/", $name, ".br")),
            mime: $mime,
        }
    };
}

/// Every file the page loads.
pub static FILES: &[Asset] = &[
    asset!("graphiql.min.js", "text/javascript; charset=utf-8"),
    asset!("graphiql.min.css", "text/css; charset=utf-8"),
    asset!("react.production.min.js", "text/javascript; charset=utf-8"),
    asset!(
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8"
    ),
    asset!("graphql-ws.min.js", "text/javascript; charset=utf-8"),
    asset!("explorer.js", "text/javascript; charset=utf-8"),
];

fn page() -> String {
    let css = format!(r#"<link rel="stylesheet" href="{ASSETS}/graphiql.min.css">"#);
    let scripts: String = [
        "react.production.min.js",
        "react-dom.production.min.js",
        "graphql-ws.min.js",
        "graphiql.min.js",
        "explorer.js",
    ]
    .iter()
    .map(|s| format!(r#"<script src="{ASSETS}/{s}"></script>"#))
    .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Kino GraphQL explorer</title>{css}</head>\
         <body style=\"margin:0;height:100vh\"><div id=\"graphiql\" style=\"height:100vh\"></div>\
         {scripts}</body></html>"
    )
}

/// The explorer page.
#[handler]
pub fn graphiql() -> Response {
    Response::builder()
        .content_type("text/html; charset=utf-8")
        .header(header::CONTENT_SECURITY_POLICY, POLICY)
        .header(header::CACHE_CONTROL, "no-cache")
        .body(page())
}

/// One of the page's files, brotli-compressed when the client takes it.
#[handler]
pub fn asset(req: &Request, Path(name): Path<String>) -> Response {
    let Some(file) = FILES.iter().find(|f| f.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let brotli = req
        .headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|e| e.split(';').next().is_some_and(|e| e.trim() == "br"));
    let mut resp = Response::builder()
        .content_type(file.mime)
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .header(header::VARY, "accept-encoding");
    if brotli {
        resp = resp.header(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
        resp.body(file.br)
    } else {
        resp.body(file.body)
    }
}
