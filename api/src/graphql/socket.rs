//! Subscriptions over a WebSocket (`graphql-transport-ws` or the older `graphql-ws`
//! protocol), and the socket following the session it was opened with.
//!
//! A socket authenticates once, in `connection_init`, and may then live for hours. So its
//! session is checked again before every operation it sends ([`SessionCheck`]), whenever any
//! session on this replica ends or any user changes (the session cache's change signal, fed by
//! the database's live queries, so a sign-out on another replica counts too), and at every
//! ping. A socket whose session was signed out, expired, or ended by a password change is
//! closed with 4401; one whose user's role changed is closed with 4403, so the client
//! reconnects with what the account may now do. When the replica begins to shut down, every
//! socket is closed with 1001 (going away), so clients reconnect (through the edge, to another
//! replica) at once rather than finding the connection dead later.

use super::{User, refused, request_data, user_for};
use crate::error::{ApiError, Code};
use crate::identity::ratelimit::Held;
use crate::state::AppState;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::{ServerError, ServerResult};
use poem::web::Data;
use poem::web::websocket::{CloseCode, Message};
use poem::{IntoResponse, Request, handler};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Subscriptions one socket may run at once.
pub const PER_SOCKET: usize = 10;
/// Subscriptions one account may run at once on one replica, across its sockets.
pub const PER_USER: usize = 20;

/// How a socket signed in: its token and the account as it was then.
#[derive(Clone)]
struct SignedIn {
    token: String,
    user: User,
}

/// Connection data of a socket opened with a token.
struct SocketAuth(SignedIn);

/// Why a socket's session no longer holds.
enum Ended {
    SignedOut,
    RoleChanged,
}

impl Ended {
    fn close(&self) -> Message {
        match self {
            Ended::SignedOut => {
                Message::close_with(CloseCode::from(4401), "the session ended: sign in again")
            }
            Ended::RoleChanged => Message::close_with(
                CloseCode::from(4403),
                "the account's role changed: reconnect",
            ),
        }
    }
}

/// Whether the session a socket signed in with still holds as it was. A database hiccup is
/// not taken for a sign-out.
async fn check(state: &AppState, who: &SignedIn) -> Option<Ended> {
    match state.sessions.authenticate(&state.db, &who.token).await {
        Ok(None) => Some(Ended::SignedOut),
        Ok(Some(u)) if u.role != who.user.role => Some(Ended::RoleChanged),
        Ok(Some(_)) => None,
        Err(e) => {
            tracing::warn!(error = %e, "checking a socket's session");
            None
        }
    }
}

/// Refuses an operation sent over a socket whose session has ended, before it is parsed.
pub struct SessionCheck;

impl ExtensionFactory for SessionCheck {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(SessionCheck)
    }
}

#[async_trait::async_trait]
impl Extension for SessionCheck {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: async_graphql::Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<async_graphql::Request> {
        if let (Some(SocketAuth(who)), Some(state)) =
            (ctx.data_opt::<SocketAuth>(), ctx.data_opt::<AppState>())
            && let Some(ended) = check(state, who).await
        {
            let (code, message) = match ended {
                Ended::SignedOut => (Code::Unauthenticated, "the session ended: sign in again"),
                Ended::RoleChanged => (Code::Forbidden, "the account's role changed: reconnect"),
            };
            let mut e = ServerError::new(message, None);
            e.extensions
                .get_or_insert_with(Default::default)
                .set("code", code.name());
            return Err(e);
        }
        next.run(ctx, request).await
    }
}

/// Subscriptions running on one socket.
#[derive(Default)]
pub struct SocketSlots(Arc<AtomicUsize>);

/// A running subscription's place in its socket's and its account's counts; given back when
/// the subscription's stream is dropped.
pub struct Slot {
    _account: Held,
    socket: Arc<AtomicUsize>,
}

impl Slot {
    /// Takes a place for `user`'s subscription on the socket of `ctx`, or refuses.
    pub fn take(
        ctx: &async_graphql::Context<'_>,
        state: &AppState,
        user: &User,
    ) -> Result<Slot, ApiError> {
        let socket = ctx
            .data_opt::<SocketSlots>()
            .map(|s| s.0.clone())
            .unwrap_or_default();
        if socket.fetch_add(1, Ordering::AcqRel) >= PER_SOCKET {
            socket.fetch_sub(1, Ordering::AcqRel);
            return Err(ApiError::new(
                Code::TooManySubscriptions,
                format!("a connection runs at most {PER_SOCKET} subscriptions at once"),
            ));
        }
        let Some(account) = state.limits.subscriptions.hold(&user.id, PER_USER) else {
            socket.fetch_sub(1, Ordering::AcqRel);
            return Err(ApiError::new(
                Code::TooManySubscriptions,
                format!("an account runs at most {PER_USER} subscriptions at once"),
            ));
        };
        Ok(Slot {
            _account: account,
            socket,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.socket.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Clients authenticate in `connection_init`: `{"authorization": "Bearer …"}` (or
/// `{"token": "…"}`).
#[handler]
pub async fn subscribe(
    schema: Data<&super::KinoSchema>,
    state: Data<&AppState>,
    req: &Request,
    protocol: async_graphql_poem::GraphQLProtocol,
    ws: poem::web::websocket::WebSocket,
) -> poem::Response {
    let schema = schema.0.clone();
    let state = state.0.clone();
    let client = state.client_key(req);
    if let Err(e) = state.limits.graphql(client.as_deref()) {
        return refused(&e);
    }
    let base_url = crate::rest::base_url(&state, req);
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
            let (mut sink, stream) = socket.split();
            // Outgoing messages go through a channel so that pings and a closing frame can be
            // sent between them: a quiet subscription (a job still queued) keeps its
            // connection alive past the server's idle timeout, a client gone without a word
            // is found out, and a socket whose session ended is closed.
            let (tx, mut rx) = futures::channel::mpsc::channel::<Message>(16);
            let (signed_in_tx, signed_in_rx) = tokio::sync::oneshot::channel::<SignedIn>();
            let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
            let pump_state = state.clone();
            let pump = async move {
                let state = pump_state;
                let mut tick = tokio::time::interval(ping_every);
                tick.tick().await;
                let mut changes = state.sessions.changes();
                let mut signed_in_rx = Some(signed_in_rx);
                let mut who: Option<SignedIn> = None;
                loop {
                    let message = tokio::select! {
                        m = rx.next() => match m {
                            Some(m) => m,
                            None => break,
                        },
                        w = async { signed_in_rx.as_mut().expect("guarded").await },
                            if signed_in_rx.is_some() =>
                        {
                            signed_in_rx = None;
                            who = w.ok();
                            continue;
                        }
                        changed = changes.changed(), if who.is_some() => {
                            if changed.is_err() {
                                break;
                            }
                            match check(&state, who.as_ref().expect("guarded")).await {
                                Some(ended) => ended.close(),
                                None => continue,
                            }
                        }
                        () = state.stopping.cancelled() => Message::close_with(
                            CloseCode::Away,
                            "the server is stopping: reconnect",
                        ),
                        _ = tick.tick() => {
                            let ended = match &who {
                                Some(w) => check(&state, w).await,
                                None => None,
                            };
                            match ended {
                                Some(ended) => ended.close(),
                                None => Message::ping(Vec::new()),
                            }
                        }
                    };
                    let closing = matches!(message, Message::Close(_));
                    if sink.send(message).await.is_err() || closing {
                        break;
                    }
                }
                let _ = sink.close().await;
                let _ = done_tx.send(());
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
                        let mut data = request_data(&state, user.clone(), client, base_url);
                        data.insert(SocketSlots::default());
                        if let (Some(token), Some(user)) = (token, user) {
                            let who = SignedIn { token, user };
                            let _ = signed_in_tx.send(who.clone());
                            data.insert(SocketAuth(who));
                        }
                        Ok(data)
                    })
                    .serve();
            // The server side ends the pump by dropping its sender (the pump sends what is
            // left first); the pump ends the server side when it closes the socket.
            let serve = async move {
                tokio::select! {
                    _ = serve => {}
                    _ = done_rx => {}
                }
            };
            futures::join!(serve, pump);
        })
        .into_response()
}

/// How often an open subscription socket is pinged: several times within the idle timeout,
/// and at least every 30 s.
fn ping_interval(idle_timeout_s: u64) -> Duration {
    let quarter = Duration::from_secs(idle_timeout_s.max(1)) / 4;
    quarter.min(Duration::from_secs(30))
}
