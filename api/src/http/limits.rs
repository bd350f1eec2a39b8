//! Request bodies are bounded before they are read. A body that says it is too large
//! (`Content-Length`) is refused before a byte of it is read. A body that does not say
//! (chunked) is read up to the limit and refused there. Either way the refusal is a 413 with the
//! usual JSON error body and the connection closes with the rest unread, so one client cannot
//! make the server hold more than the limit.
//!
//! Part PUTs are the only bodies that may be large. They are not buffered here: each streams
//! straight to the store and is checked against the size its upload fixed for it.

use crate::error::{Code, ErrorBody};
use crate::state::AppState;
use poem::http::{Method, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use std::sync::Arc;

/// The largest body a route takes, and the code a larger one is refused with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub bytes: usize,
    pub code: Code,
}

/// Which limit applies to a request for `path`; `None` for routes that stream their bodies.
pub fn for_path(state: &AppState, path: &str) -> Option<Limit> {
    let s = &state.settings;
    if path.starts_with("/parts/") {
        return None;
    }
    if path == "/graphql" || path.starts_with("/graphql/") {
        return Some(Limit {
            bytes: s.max_graphql_body_bytes,
            code: Code::TooLarge,
        });
    }
    if path.starts_with("/api/v1/videos/") && path.ends_with("/subtitles") {
        // The file travels inside JSON, where escaping can double it; its own size is
        // checked again once decoded (`subtitles::MAX_BYTES`).
        return Some(Limit {
            bytes: s
                .max_body_bytes
                .max(2 * crate::delivery::subtitles::MAX_BYTES + 64 * 1024),
            code: Code::SubtitleTooLarge,
        });
    }
    Some(Limit {
        bytes: s.max_body_bytes,
        code: Code::TooLarge,
    })
}

fn too_large(limit: Limit) -> Response {
    let mut r = ErrorBody::response(
        limit.code,
        format!("the request body is larger than {} bytes", limit.bytes),
    );
    // The rest of the body is never read, so the connection cannot carry another request.
    r.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    r
}

/// Middleware: reads the body of each request into memory, within its route's limit.
pub async fn bounded<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    let Some(limit) = req
        .data::<AppState>()
        .and_then(|s| for_path(s, req.uri().path()))
    else {
        return ep.call(req).await.map(IntoResponse::into_response);
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit.bytes as u64) {
        return Ok(too_large(limit));
    }
    let bodiless = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && declared.is_none()
        && !req.headers().contains_key(header::TRANSFER_ENCODING);
    if !bodiless {
        match req.take_body().into_bytes_limit(limit.bytes).await {
            Ok(bytes) => req.set_body(bytes),
            Err(poem::error::ReadBodyError::PayloadTooLarge) => return Ok(too_large(limit)),
            Err(e) => {
                return Ok(ErrorBody::response(
                    Code::InvalidRequest,
                    format!("the request body could not be read: {e}"),
                ));
            }
        }
    }
    ep.call(req).await.map(IntoResponse::into_response)
}
