//! The REST client, generated at build time from the committed `openapi/kino.openapi.json`
//! (regenerate that file with `cargo xtask codegen`). Method names are the spec's operation ids
//! (`signup`, `create_upload`, `get_video`, ...).

progenitor::generate_api!(spec = "../openapi/kino.openapi.json", derives = [PartialEq]);

/// A client for the api at `base` (absolute URL, no trailing slash), signed in with `token`.
pub fn connect(base: &str, token: Option<&str>) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(Ok(v)) = token.map(|t| format!("Bearer {t}").parse()) {
        headers.insert(reqwest::header::AUTHORIZATION, v);
    }
    let builder = reqwest::Client::builder().default_headers(headers);
    #[cfg(not(target_arch = "wasm32"))]
    let builder = builder
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(60));
    let http = builder.build().unwrap_or_default();
    Client::new_with_client(base.trim_end_matches('/'), http)
}

/// The stable error code and message of a failed call, for display and for tests.
pub fn error_code(e: &Error<types::ErrorBody>) -> (Option<u16>, String, String) {
    match e {
        Error::ErrorResponse(r) => (Some(r.status().as_u16()), r.code.clone(), r.message.clone()),
        other => (
            other.status().map(|s| s.as_u16()),
            "transport".to_owned(),
            other.to_string(),
        ),
    }
}
