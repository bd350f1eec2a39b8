//! The GraphQL API at `/graphql` (GraphiQL on GET; subscriptions over graphql-ws at
//! `/graphql/ws`), for third parties. It reads and writes through the same modules as REST,
//! so visibility rules and error codes are the same; errors carry the stable code in
//! `extensions.code`. Per-video lookups go through DataLoaders, so a page costs a bounded
//! number of database queries.

mod loaders;
mod mutation;
mod query;
mod shape;
mod subscription;
mod types;

use crate::error::ApiError;
use crate::identity::accounts::User;
use crate::state::AppState;
use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::http::GraphiQLSource;
use async_graphql::{Context, ErrorExtensions, Schema};
use poem::web::{Data, Html};
use poem::{IntoResponse, Request, handler};

use crate::pages::{self, Pages};
pub use mutation::Mutation;
pub use query::Query;
pub use subscription::Subscription;

pub type KinoSchema = Schema<Query, Mutation, Subscription>;

/// Most a query may cost (a page costs its limit times what one item costs).
pub const MAX_COMPLEXITY: usize = 5_000;

pub use shape::Limits;

/// Builds the schema with its limits: the operation's shape is checked as soon as it is
/// parsed ([`shape`]), its cost at validation; both before anything runs.
pub fn schema(state: Option<AppState>) -> KinoSchema {
    let mut b = Schema::build(Query, Mutation, Subscription)
        .extension(shape::Shape(Limits::default()))
        .limit_complexity(MAX_COMPLEXITY);
    if let Some(state) = state {
        b = b.data(state);
    }
    b.finish()
}

/// The schema as SDL, as committed in `openapi/schema.graphql`.
pub fn sdl() -> String {
    schema(None).sdl()
}

fn gql_error_ref(e: &ApiError) -> async_graphql::Error {
    let code = e.code().name();
    async_graphql::Error::new(e.body().message).extend_with(|_, ext| ext.set("code", code))
}

fn gql_error(e: ApiError) -> async_graphql::Error {
    gql_error_ref(&e)
}

fn signed_in<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a User> {
    ctx.data_opt::<User>()
        .ok_or_else(|| gql_error(ApiError::unauthenticated()))
}

fn state<'a>(ctx: &'a Context<'_>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

/// The per-request data: who is asking, and the loaders that batch their lookups.
fn request_data(state: &AppState, user: Option<User>) -> async_graphql::Data {
    let mut data = async_graphql::Data::default();
    data.insert(loaders::Prefetched::default());
    // Per request, so remembering what was loaded is safe and saves asking twice.
    data.insert(DataLoader::with_cache(
        loaders::CreatorLoader(state.clone()),
        tokio::spawn,
        HashMapCache::default(),
    ));
    if let Some(user) = user {
        data.insert(DataLoader::with_cache(
            loaders::ViewerLoader {
                db: state.db.clone(),
                user: user.clone(),
            },
            tokio::spawn,
            HashMapCache::default(),
        ));
        data.insert(user);
    }
    data
}

async fn user_for(state: &AppState, token: Option<&str>) -> Option<User> {
    let token = token?;
    match state.sessions.authenticate(&state.db, token).await {
        Ok(user) => user,
        Err(e) => {
            tracing::warn!(error = %e, "authenticating a GraphQL request");
            None
        }
    }
}

#[handler]
pub async fn graphiql() -> impl IntoResponse {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
}

/// Executes a GraphQL request as the user its bearer token names (or anonymously).
#[handler]
pub async fn execute(
    schema: Data<&KinoSchema>,
    state: Data<&AppState>,
    req: &Request,
    gql: async_graphql_poem::GraphQLRequest,
) -> poem::Response {
    let user = user_for(&state, crate::identity::sessions::bearer_token(req)).await;
    let viewer = user.as_ref().map(|u| u.id.clone());
    let mut request = gql.0;
    let kind = state.pages.kind(&request.query);
    let key = (kind == pages::Kind::Page).then(|| Pages::key(viewer.as_deref(), &request));
    if let Some(key) = &key
        && let Some(body) = state.pages.get(&state.cache, key).await
    {
        return json(body);
    }
    let stamp = state.pages.stamp(&state.cache);
    request.data = request_data(&state, user);
    let response = schema.execute(request).await;
    let body = match serde_json::to_vec(&response) {
        Ok(body) => bytes::Bytes::from(body),
        Err(e) => {
            tracing::error!(error = %e, "encoding a GraphQL response");
            return poem::Response::builder()
                .status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
                .body("the response could not be encoded");
        }
    };
    match (kind, key, stamp) {
        (pages::Kind::Page, Some(key), Some(stamp)) if response.errors.is_empty() => {
            state
                .pages
                .put(&state.cache, key, stamp, body.clone())
                .await;
        }
        (pages::Kind::Write, _, _) => {
            if let Some(viewer) = &viewer {
                state.pages.viewer_changed(viewer);
            }
        }
        _ => {}
    }
    json(body)
}

fn json(body: bytes::Bytes) -> poem::Response {
    poem::Response::builder()
        .content_type("application/json")
        .body(body)
}

/// Subscriptions over a WebSocket (`graphql-transport-ws` or the older `graphql-ws`
/// protocol). Clients authenticate in `connection_init`: `{"authorization": "Bearer …"}`
/// (or `{"token": "…"}`).
#[handler]
pub async fn subscribe(
    schema: Data<&KinoSchema>,
    state: Data<&AppState>,
    protocol: async_graphql_poem::GraphQLProtocol,
    ws: poem::web::websocket::WebSocket,
) -> impl IntoResponse {
    let schema = schema.0.clone();
    let state = state.0.clone();
    // An operation over the socket is bounded like one over POST.
    let max = state.settings.max_graphql_body_bytes;
    let ping_every = ping_interval(state.settings.idle_timeout_s);
    let config = poem::web::websocket::WebSocketConfig::default()
        .max_message_size(Some(max))
        .max_frame_size(Some(max));
    ws.protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .config(config)
        .on_upgrade(move |socket| async move {
            use futures::{SinkExt, StreamExt};
            use poem::web::websocket::Message;
            // Outgoing messages go through a channel so pings can be sent between them: a
            // quiet subscription (a job still queued) then keeps its connection alive past
            // the server's idle timeout, and a client gone without a word is found out.
            let (mut sink, stream) = socket.split();
            let (tx, mut rx) = futures::channel::mpsc::channel::<Message>(16);
            let pump = async move {
                let mut tick = tokio::time::interval(ping_every);
                tick.tick().await;
                loop {
                    let message = tokio::select! {
                        m = rx.next() => match m {
                            Some(m) => m,
                            None => break,
                        },
                        _ = tick.tick() => Message::ping(Vec::new()),
                    };
                    if sink.send(message).await.is_err() {
                        break;
                    }
                }
                let _ = sink.close().await;
            };
            let serve =
                async_graphql_poem::GraphQLWebSocket::new_with_pair(tx, stream, schema, protocol)
                    .on_connection_init(move |payload| async move {
                        let token = payload["authorization"]
                            .as_str()
                            .or(payload["Authorization"].as_str())
                            .map(|h| h.trim_start_matches("Bearer ").trim())
                            .or(payload["token"].as_str())
                            .map(str::to_owned);
                        let user = user_for(&state, token.as_deref()).await;
                        Ok(request_data(&state, user))
                    })
                    .serve();
            futures::join!(serve, pump);
        })
}

/// How often an open subscription socket is pinged: several times within the idle timeout,
/// and at least every 30 s.
fn ping_interval(idle_timeout_s: u64) -> std::time::Duration {
    let quarter = std::time::Duration::from_secs(idle_timeout_s.max(1)) / 4;
    quarter.min(std::time::Duration::from_secs(30))
}
