//! The REST API under `/api/v1`, described by poem-openapi. Every operation has a stable
//! `operation_id` (generated clients name their methods after it).

pub mod auth;
pub mod discover;
pub mod library;
pub mod uploads;
pub mod videos;
pub mod workers;

use poem_openapi::{OpenApiService, Tags};

#[derive(Tags)]
pub enum ApiTags {
    /// Accounts and sessions.
    Accounts,
    /// Opening, resuming and completing uploads.
    Uploads,
    /// The catalogue.
    Videos,
    /// A viewer's progress, history and watchlist.
    Library,
    /// The transcoder job protocol.
    Workers,
}

pub type Apis = (
    auth::AuthApi,
    discover::DiscoverApi,
    library::LibraryApi,
    uploads::UploadsApi,
    videos::VideosApi,
    workers::WorkersApi,
);

/// The OpenAPI service holding every REST operation.
pub fn service(server_url: Option<&str>) -> OpenApiService<Apis, ()> {
    let svc = OpenApiService::new(
        (
            auth::AuthApi,
            discover::DiscoverApi,
            library::LibraryApi,
            uploads::UploadsApi,
            videos::VideosApi,
            workers::WorkersApi,
        ),
        "Kino",
        "1.0.0",
    )
    .description(
        "Kino's REST API. Errors are `{\"code\", \"message\"}` with a fitting HTTP status; \
         authenticate with `Authorization: Bearer <token>` from `signup` or `login`.",
    );
    match server_url {
        Some(url) => svc.server(url),
        None => svc,
    }
}
