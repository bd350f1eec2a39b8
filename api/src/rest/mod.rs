//! The REST API under `/api/v1`, described by poem-openapi. Every operation has a stable
//! `operation_id` (generated clients name their methods after it).

pub mod admin;
pub mod auth;
pub mod devices;
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
    /// The admin console: the queue as admins see it, moderation.
    Admin,
}

pub type Apis = (
    admin::AdminApi,
    auth::AuthApi,
    devices::DevicesApi,
    discover::DiscoverApi,
    library::LibraryApi,
    uploads::UploadsApi,
    videos::VideosApi,
    workers::WorkersApi,
);

/// How clients reach this server: the configured public URL, else the request's host.
pub fn base_url(state: &crate::state::AppState, req: &poem::Request) -> String {
    if let Some(url) = &state.settings.public_url {
        return url.clone();
    }
    let host = req
        .headers()
        .get(poem::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// The OpenAPI service holding every REST operation.
pub fn service(server_url: Option<&str>) -> OpenApiService<Apis, ()> {
    let svc = OpenApiService::new(
        (
            admin::AdminApi,
            auth::AuthApi,
            devices::DevicesApi,
            discover::DiscoverApi,
            library::LibraryApi,
            uploads::UploadsApi,
            videos::VideosApi,
            workers::WorkersApi,
        ),
        "Kino",
        "1.0.0",
    )
    .description(format!(
        "Kino's REST API. Authenticate with `Authorization: Bearer <token>` from `signup` or \
         `login`. Every error is `{{\"code\", \"message\"}}` with the code's HTTP status; \
         clients branch on `code`, which is stable (GraphQL errors carry the same codes in \
         `extensions.code`):\n\n{}",
        crate::error::Code::markdown_table()
    ));
    match server_url {
        Some(url) => svc.server(url),
        None => svc,
    }
}

/// Answers a REST request, then, if it could have written (any method but GET, HEAD and
/// OPTIONS): forgets the video its path names in this replica's cache, and, when it came from
/// a signed-in user, drops the GraphQL pages saved for that user (see [`crate::pages`]), so
/// what they changed shows on their next read here without waiting for the change feed.
pub async fn drop_pages_after_writes<E: poem::Endpoint>(
    ep: std::sync::Arc<E>,
    req: poem::Request,
) -> poem::Result<poem::Response> {
    use poem::IntoResponse;
    use poem::http::Method;
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let token = crate::identity::sessions::bearer_token(&req)
        .filter(|_| writes)
        .map(str::to_owned);
    let video = req
        .uri()
        .path()
        .strip_prefix("/api/v1/videos/")
        .and_then(|rest| rest.split('/').next())
        .filter(|id| writes && shared::layout::is_safe_id(id))
        .map(str::to_owned);
    let state = req.data::<crate::state::AppState>().cloned();
    let answer = ep.call(req).await.map(IntoResponse::into_response);
    if let (Some(video), Some(state)) = (video, &state) {
        state.cache.forget_video(&video).await;
    }
    if let (Some(token), Some(state)) = (token, state)
        && let Ok(Some(user)) = state.sessions.authenticate(&state.db, &token).await
    {
        state.pages.viewer_changed(&user.id);
    }
    answer
}

/// Sees each REST answer before it is sent: method, path, status, content type and body.
pub type ResponseObserver = std::sync::Arc<
    dyn Fn(&poem::http::Method, &str, poem::http::StatusCode, Option<&str>, &[u8]) + Send + Sync,
>;

/// `ep`, with every answer shown to `observer` when there is one.
pub fn observed<E>(
    ep: E,
    observer: Option<ResponseObserver>,
) -> poem::endpoint::BoxEndpoint<'static>
where
    E: poem::Endpoint + 'static,
{
    use poem::{EndpointExt, IntoResponse};
    let Some(observer) = observer else {
        return ep.map_to_response().boxed();
    };
    let ep = std::sync::Arc::new(ep);
    poem::endpoint::make(move |req: poem::Request| {
        let ep = ep.clone();
        let observer = observer.clone();
        async move {
            let method = req.method().clone();
            let path = req.uri().path().to_owned();
            let mut resp = match ep.call(req).await {
                Ok(r) => r.into_response(),
                Err(e) => e.into_response(),
            };
            let body = resp.take_body().into_bytes().await?;
            let content_type = resp
                .headers()
                .get(poem::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            observer(
                &method,
                &path,
                resp.status(),
                content_type.as_deref(),
                &body,
            );
            resp.set_body(body);
            Ok::<_, poem::Error>(resp)
        }
    })
    .boxed()
}
