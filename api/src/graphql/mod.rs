//! The GraphQL API at `/graphql` (GraphiQL on GET; subscriptions over graphql-ws at
//! `/graphql/ws`), for third parties. It reads and writes through the same modules as REST,
//! so visibility rules and error codes are the same; errors carry the stable code in
//! `extensions.code`. Per-video lookups go through DataLoaders, so a page costs a bounded
//! number of database queries.

mod loaders;
mod mutation;
mod query;
mod shape;
mod socket;
mod subscription;
mod types;

use crate::error::ApiError;
use crate::identity::accounts::User;
use crate::state::AppState;
use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{Context, ErrorExtensions, Schema};
use poem::web::Data;
use poem::{Request, handler};

use crate::pages::{self, Pages};
pub use mutation::Mutation;
pub use query::Query;
pub use socket::subscribe;
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
        .extension(socket::SessionCheck)
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

/// The rate-limit key of the client a request came from.
struct Client(Option<String>);

/// How the client reaches this server (links the api hands out are built on it).
struct BaseUrl(String);

fn client_key<'a>(ctx: &'a Context<'_>) -> Option<&'a str> {
    ctx.data_opt::<Client>().and_then(|c| c.0.as_deref())
}

/// Charges one search to the asking client.
fn charge_search(ctx: &Context<'_>) -> async_graphql::Result<()> {
    state(ctx).limits.search(client_key(ctx)).map_err(gql_error)
}

/// The per-request data: who is asking, and the loaders that batch their lookups.
fn request_data(
    state: &AppState,
    user: Option<User>,
    client: Option<String>,
    base_url: String,
) -> async_graphql::Data {
    let mut data = async_graphql::Data::default();
    data.insert(Client(client));
    data.insert(BaseUrl(base_url));
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

/// Executes a GraphQL request as the user its bearer token names (or anonymously).
#[handler]
pub async fn execute(
    schema: Data<&KinoSchema>,
    state: Data<&AppState>,
    req: &Request,
    gql: async_graphql_poem::GraphQLRequest,
) -> poem::Response {
    let client = state.client_key(req);
    if let Err(e) = state.limits.graphql(client.as_deref()) {
        return refused(&e);
    }
    let user = user_for(&state, crate::identity::sessions::bearer_token(req)).await;
    let viewer = user.as_ref().map(|u| u.id.clone());
    let mut request = gql.0;
    let kind = state.pages.kind(&request.query);
    let key = (kind == pages::Kind::Page).then(|| Pages::key(viewer.as_deref(), &request));
    if let Some(key) = &key
        && let Some(body) = state.pages.get(&state.cache, key).await
    {
        state.metrics.graphql("query", true);
        return json(body);
    }
    let stamp = state.pages.stamp(&state.cache);
    let operation = operation_type(&request);
    request.data = request_data(&state, user, client, crate::rest::base_url(&state, req));
    let response = schema.execute(request).await;
    state.metrics.graphql(operation, response.errors.is_empty());
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

/// The type of the operation a request runs (`invalid` when there is none to run), for
/// `/metrics`: the executor parses the document again, which costs microseconds against the
/// milliseconds of running it.
fn operation_type(request: &async_graphql::Request) -> &'static str {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return "invalid";
    };
    let ty = match (&doc.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| op.node.ty)
        }
        _ => None,
    };
    match ty {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "invalid",
    }
}

/// A request turned away before it ran, as a GraphQL response with the error's status.
fn refused(e: &ApiError) -> poem::Response {
    let body = serde_json::json!({
        "errors": [{"message": e.body().message, "extensions": {"code": e.code().name()}}]
    });
    let mut r = json(bytes::Bytes::from(body.to_string()));
    r.set_status(e.status());
    r
}

fn json(body: bytes::Bytes) -> poem::Response {
    poem::Response::builder()
        .content_type("application/json")
        .body(body)
}
