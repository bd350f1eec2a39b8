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

/// Answers a REST request, then, if it could have written (any method but GET, HEAD and
/// OPTIONS) and came from a signed-in user, drops the GraphQL pages saved for that user
/// (see [`crate::graphql::pages`]), so what they changed shows on their next page.
pub async fn drop_pages_after_writes<E: poem::Endpoint>(
    ep: std::sync::Arc<E>,
    req: poem::Request,
) -> poem::Result<poem::Response> {
    use poem::IntoResponse;
    use poem::http::Method;
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let token = auth::bearer_token(&req)
        .filter(|_| writes)
        .map(str::to_owned);
    let state = req.data::<crate::state::AppState>().cloned();
    let answer = ep.call(req).await.map(IntoResponse::into_response);
    if let (Some(token), Some(state)) = (token, state)
        && let Ok(Some(user)) = state.sessions.authenticate(&state.db, &token).await
    {
        state.pages.viewer_changed(&user.id);
    }
    answer
}
