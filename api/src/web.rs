//! Serves the built web app: files from the bundle directory, and `index.html` for every other
//! path so deep links into the single-page app work.

use poem::endpoint::StaticFilesEndpoint;
use poem::web::Html;
use poem::{EndpointExt, IntoResponse, handler};
use std::path::Path;

#[handler]
fn not_built() -> impl IntoResponse {
    Html(
        "<!doctype html><title>Kino</title><h1>Kino</h1>\
         <p>The web app is not built. Run <code>cargo xtask up</code>, or browse the API at \
         <a href=\"/api/docs\">/api/docs</a>.</p>",
    )
}

/// The endpoint for `/`: the bundle when `dir` holds one, a short notice otherwise.
pub fn endpoint(dir: Option<&Path>) -> poem::endpoint::BoxEndpoint<'static> {
    match dir.filter(|d| d.join("index.html").is_file()) {
        Some(d) => StaticFilesEndpoint::new(d)
            .index_file("index.html")
            .fallback_to_index()
            .map_to_response()
            .boxed(),
        None => not_built.map_to_response().boxed(),
    }
}
