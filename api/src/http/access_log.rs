//! The access log: one line per request with its method, path, status and duration, and the
//! client address as the rate limits see it (`X-Forwarded-For` only from trusted proxies).
//!
//! Media and part URLs carry capabilities: the token in a `/media/{token}/...` path and the
//! `sig` of a part URL let anyone who reads them fetch the media or write the part until they
//! expire. Logs are read by more people, and kept longer, than those URLs live, so those parts
//! are written as `…`.

use crate::state::AppState;
use poem::{Endpoint, IntoResponse, Request, Response};
use std::sync::Arc;
use std::time::Instant;

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

/// Middleware: logs each request once it is answered.
pub async fn logged<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let started = Instant::now();
    let method = req.method().clone();
    let uri = redacted(req.uri().path(), req.uri().query());
    let client = req
        .data::<AppState>()
        .and_then(|s| s.proxies.client(&req))
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    let resp = match ep.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    tracing::info!(
        target: "kino::access",
        %client,
        %method,
        uri,
        status = resp.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::redacted;

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
