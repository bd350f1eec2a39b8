//! Security headers on every response. Whatever a handler sets stands (the web app's page
//! sets its own Content-Security-Policy); the rest is filled in here:
//!
//! - `X-Content-Type-Options: nosniff`, so a browser never runs a JSON error, a subtitle file
//!   or a segment as a script or a page.
//! - `Referrer-Policy: no-referrer`: media and part URLs carry their tokens, and no page of
//!   Kino needs to tell another site where a viewer came from.
//! - No framing by other sites (`frame-ancestors 'none'`, and `X-Frame-Options` for older
//!   browsers), against clickjacking the upload and account pages.
//! - Everything that is not a page (JSON, media, playlists) may load nothing at all
//!   (`default-src 'none'`), so even a file a browser is tricked into rendering runs nothing.

use poem::http::{HeaderValue, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use std::sync::Arc;

/// The policy of responses that are not pages.
pub const NOT_A_PAGE: &str = "default-src 'none'; frame-ancestors 'none'";
/// The policy of pages that bring their own scripts (Swagger UI, whose page poem-openapi
/// writes with inline scripts). The GraphQL explorer and the web app set stricter ones.
pub const FOREIGN_PAGE: &str = "frame-ancestors 'none'";

/// Middleware: fills in the security headers a response does not set itself.
pub async fn secured<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let mut resp = match ep.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    let page = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = resp.headers_mut();
    let set = |h: &mut poem::http::HeaderMap, name, value: &'static str| {
        h.entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    };
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        if page { FOREIGN_PAGE } else { NOT_A_PAGE },
    );
    Ok(resp)
}
