//! The access log: one line per request with its method, path, status and duration, and the
//! client address as the rate limits see it (`X-Forwarded-For` only from trusted proxies).
//! Each request carries an id: the `X-Request-Id` it came with (from the edge) when that is a
//! sane token, else a new one. It is on every log line written while the request is handled
//! (a tracing span) and sent back in the answer. The request is also counted for `/metrics`
//! under its route: a REST operation's operationId, or the endpoint's name.
//!
//! Media and part URLs carry capabilities: the token in a `/media/{token}/...` path and the
//! `sig` of a part URL let anyone who reads them fetch the media or write the part until they
//! expire. Logs are read by more people, and kept longer, than those URLs live, so those parts
//! are written as `…`.

use crate::state::AppState;
use poem::{Endpoint, IntoResponse, Request, Response};
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// The header a request's id travels in.
pub const REQUEST_ID: &str = "x-request-id";

/// The id a request came with when it is one we can log as it is (1 to 64 of
/// `[A-Za-z0-9._-]`), else a new one.
pub fn request_id(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| {
            (1..=64).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| ulid::Ulid::new().to_string())
}

/// The route a request is counted under: few names, whatever the path holds.
fn route(path: &str, operation: Option<&poem_openapi::OperationId>) -> String {
    if let Some(op) = operation {
        return op.0.to_owned();
    }
    let name = match path {
        "/graphql" => "graphql",
        "/graphql/ws" => "graphql_ws",
        "/healthz" => "healthz",
        "/readyz" => "readyz",
        "/metrics" => "metrics",
        "/api/v1/openapi.json" => "openapi",
        p if p.starts_with("/media/") => "media",
        p if p.starts_with("/parts/") => "parts",
        p if p.starts_with("/api/docs") => "api_docs",
        // An address no operation answered (unknown, or refused before routing).
        p if p.starts_with("/api/") => "api_other",
        p if p.starts_with("/graphql/") => "graphql_explorer",
        _ => "web",
    };
    name.to_owned()
}

/// Query parameters whose values are capabilities.
const SECRET_PARAMS: &[&str] = &["sig", "token", "x-amz-signature", "x-amz-credential"];

/// `path?query` with every capability replaced by `…`.
pub fn redacted(path: &str, query: Option<&str>) -> String {
    let path = match path.strip_prefix("/media/") {
        Some(rest) => match rest.split_once('/') {
            Some((_token, tail)) => format!("/media/…/{tail}"),
            None => "/media/…".to_owned(),
        },
        None => path.to_owned(),
    };
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return path;
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if SECRET_PARAMS.contains(&k.to_ascii_lowercase().as_str()) => {
                format!("{k}=…")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

/// Middleware: gives each request its id, logs it once it is answered and counts it.
pub async fn logged<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let uri = redacted(&path, req.uri().query());
    let state = req.data::<AppState>().cloned();
    let client = state
        .as_ref()
        .and_then(|s| s.proxies.client(&req))
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let span = tracing::info_span!("request", id = %id);
    let mut resp = async {
        match ep.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => {
                let op = e.data::<poem_openapi::OperationId>().copied();
                let mut r = e.into_response();
                if let Some(op) = op {
                    r.set_data(op);
                }
                r
            }
        }
    }
    .instrument(span.clone())
    .await;
    let secs = started.elapsed().as_secs_f64();
    let status = resp.status().as_u16();
    if let Some(state) = &state {
        let route = route(&path, resp.data::<poem_openapi::OperationId>());
        state.metrics.request(&route, method.as_str(), status, secs);
    }
    if let Ok(value) = poem::http::HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID, value);
    }
    span.in_scope(|| {
        tracing::info!(
            target: "kino::access",
            %client,
            %method,
            uri,
            status,
            ms = secs * 1000.0,
            "request"
        )
    });
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::{redacted, request_id, route};

    #[test]
    fn a_request_keeps_a_sane_id_and_gets_one_otherwise() {
        let with = |v: &str| {
            request_id(
                &poem::Request::builder()
                    .header(super::REQUEST_ID, v)
                    .finish(),
            )
        };
        assert_eq!(with("edge-1a2b.3_c"), "edge-1a2b.3_c");
        for bad in ["", "has space", "<script>", &"x".repeat(65)] {
            let id = with(bad);
            assert_ne!(id, bad);
            assert_eq!(id.len(), 26, "a ULID, not {id:?}");
        }
    }

    #[test]
    fn routes_are_few_names() {
        let op = poem_openapi::OperationId("get_video");
        assert_eq!(route("/api/v1/videos/01H", Some(&op)), "get_video");
        assert_eq!(route("/api/v1/nothing/here", None), "api_other");
        assert_eq!(route("/media/tok/v/1/seg.m4s", None), "media");
        assert_eq!(route("/watch/01H", None), "web");
        assert_eq!(route("/graphql", None), "graphql");
    }

    #[test]
    fn capabilities_are_left_out() {
        assert_eq!(
            redacted("/media/abc.def/01HV/v2/360p/seg_00001.m4s", None),
            "/media/…/01HV/v2/360p/seg_00001.m4s"
        );
        assert_eq!(
            redacted("/parts/01HV/3", Some("expires=1700000000&sig=deadbeef")),
            "/parts/01HV/3?expires=1700000000&sig=…"
        );
        assert_eq!(
            redacted("/api/v1/search", Some("q=cats&limit=5")),
            "/api/v1/search?q=cats&limit=5"
        );
        assert_eq!(redacted("/media/x", None), "/media/…");
    }
}
