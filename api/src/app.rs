//! Assembles the server: settings in, a bound listener and a running service out.
//!
//! `Application::build` connects the database, opens the object store, binds the listener
//! (port 0 in tests) and wires the routes; `run` serves until shutdown. In-process transcoder
//! workers, when configured, talk to this very server over the same HTTP job protocol that
//! standalone `kino-transcoder` processes use.

use crate::config::Settings;
use crate::error::json_errors;
use crate::http::{access_log, explorer, headers, limits, media, metrics, parts, serve, web};
use crate::state::{AppState, Inner};
use crate::{background, db, graphql, rest, signing::Signer};
use anyhow::Context;
use poem::middleware::Cors;
use poem::{EndpointExt, IntoEndpoint, Route, get, handler, put};
use shared::store::{ObjectStore, Store};
use std::net::SocketAddr;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A built, not yet running, server.
pub struct Application {
    listener: std::net::TcpListener,
    addr: SocketAddr,
    state: AppState,
    observer: Option<rest::ResponseObserver>,
    /// Printed at start-up while the install has no admin.
    setup_token: Option<String>,
}

#[handler]
fn healthz() -> &'static str {
    "ok"
}

#[handler]
async fn readyz(state: poem::web::Data<&AppState>) -> poem::Response {
    use poem::IntoResponse;
    let database = state.db.query("RETURN 1").await.map(|_| ());
    // Any answer about a key that is not there shows the store is reachable and ours.
    let store = match state.store.head("readyz/probe").await {
        Ok(_) | Err(shared::store::StoreError::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    };
    let mut failed = Vec::new();
    if let Err(e) = &database {
        tracing::warn!(error = %e, "database not ready");
        failed.push("database");
    }
    if let Err(e) = &store {
        tracing::warn!(error = %e, "object store not ready");
        failed.push("object store");
    }
    let mut reasons = Vec::new();
    if !failed.is_empty() {
        reasons.push(format!("{} not answering", failed.join(" and ")));
    }
    // A replica without its search index would answer every search from nothing.
    if !state.cache.index().is_built() {
        reasons.push("search index still being built".to_owned());
    }
    if reasons.is_empty() {
        "ready".into_response()
    } else {
        (
            poem::http::StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}", reasons.join("; ")),
        )
            .into_response()
    }
}

/// Reads the installation's secrets from the database, creating them on first start, so every
/// replica on one database signs and checks with the same keys.
/// The origins the web app talks to besides this one: the bucket, when parts go to S3.
fn browser_origins(state: &AppState) -> Vec<String> {
    match &state.store {
        Store::S3(s3) => s3.browser_origins(),
        _ => Vec::new(),
    }
}

async fn secrets(db: &db::Db, settings: &Settings) -> anyhow::Result<(String, String)> {
    for _ in 0..3 {
        let mut r = db
            .query("SELECT signing, registration FROM type::record('config', 'secrets')")
            .await?;
        let row: Option<serde_json::Value> = db::first(&mut r, 0)?;
        if let Some(row) = row {
            let signing = settings
                .signing_secret
                .clone()
                .or_else(|| row["signing"].as_str().map(str::to_owned));
            let reg = settings
                .worker_registration_token
                .clone()
                .or_else(|| row["registration"].as_str().map(str::to_owned));
            if let (Some(s), Some(r)) = (signing, reg) {
                return Ok((s, r));
            }
        }
        // Two replicas starting together race here; the loser's CREATE fails and it re-reads.
        let _ = db
            .query("CREATE type::record('config', 'secrets') SET signing = $s, registration = $r")
            .bind(("s", crate::identity::accounts::random_token()))
            .bind(("r", crate::identity::accounts::random_token()))
            .await;
    }
    anyhow::bail!("could not read or create the installation secrets")
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let db = db::open(&settings).await?;
        let store = Store::open_with(&settings.store_url(), settings.s3_credentials())
            .await
            .with_context(|| format!("opening object store {}", settings.store_url()))?;
        if let Store::S3(s3) = &store {
            // Browsers PUT parts straight to the bucket: let the public origin do so.
            let origins = match &settings.public_url {
                Some(url) => vec![url.clone()],
                None => vec!["*".to_owned()],
            };
            s3.allow_browser_uploads(&origins)
                .await
                .context("setting the bucket's CORS rules for browser uploads")?;
        }
        let (signing, registration_token) = secrets(&db, &settings).await?;
        let proxies = crate::identity::address::Proxies::parse(&settings.trusted_proxies)
            .map_err(anyhow::Error::msg)?;
        let limits = crate::identity::ratelimit::Limits::new(&settings);
        let setup_token =
            crate::identity::registration::setup_token(&db, settings.setup_token.as_deref())
                .await
                .context("preparing the first admin's setup token")?
                // A configured token is known to whoever configured it: it is not printed.
                .filter(|_| settings.setup_token.is_none());
        let listener = std::net::TcpListener::bind(settings.listen)
            .with_context(|| format!("binding {}", settings.listen))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr().context("listener has no address")?;
        let hot_media = crate::delivery::hot::HotMedia::new(
            settings.media_memory_mb.saturating_mul(1024 * 1024),
        );
        let state = AppState::new(Inner {
            db,
            store,
            signer: Signer::new(&signing),
            settings,
            registration_token,
            job_wake: Default::default(),
            stopping: Default::default(),
            limits,
            proxies,
            cache: Default::default(),
            sessions: Default::default(),
            pages: Default::default(),
            metrics: Default::default(),
            hot_media,
        });
        Ok(Application {
            listener,
            addr,
            state,
            observer: None,
            setup_token,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Shows every REST answer, body included, to `observer` before it is sent: how the
    /// tests check each response against the published spec.
    pub fn observe_responses(mut self, observer: rest::ResponseObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Serves until `shutdown` is cancelled, with the watchdog and in-process workers alongside.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let state = self.state.clone();
        let local_url = format!("http://127.0.0.1:{}", self.addr.port());
        let api = rest::service(None);
        let docs = api.swagger_ui();
        let spec = api.spec_endpoint();
        let schema = graphql::schema(Some(state.clone()));
        let app = Route::new()
            .nest_no_strip(
                "/api/v1",
                rest::observed(
                    api.into_endpoint()
                        .catch_all_error(json_errors)
                        .around(rest::drop_pages_after_writes),
                    self.observer,
                ),
            )
            .at("/api/v1/openapi.json", spec)
            .nest("/api/docs", docs)
            .at("/parts/:upload_id/:number", put(parts::put_part))
            .at("/media/:token/:video/:version/*path", get(media::serve))
            .at(
                "/graphql",
                get(explorer::graphiql)
                    .post(graphql::execute)
                    .data(schema.clone())
                    // A body that is not a GraphQL request (a batch, say) is told so in JSON.
                    .catch_all_error(json_errors),
            )
            .at("/graphql/ws", get(graphql::subscribe).data(schema))
            .at(format!("{}/:name", explorer::ASSETS), get(explorer::asset))
            .at("/healthz", get(healthz))
            .at("/readyz", get(readyz))
            .at("/metrics", get(metrics::serve))
            .nest(
                "/",
                web::endpoint(state.settings.web_dir.as_deref(), &browser_origins(&state)),
            )
            .around(limits::bounded)
            .with(Cors::new().expose_header("ETag"))
            .around(access_log::logged)
            .around(headers::secured)
            .data(state.clone());

        let background = background::start(&state, &shutdown);
        let stopping = state.stopping.clone();
        let signal = shutdown.clone();
        tokio::spawn(async move {
            signal.cancelled().await;
            stopping.cancel();
        });

        let mut workers = Vec::new();
        for i in 0..state.settings.workers {
            let cfg = transcoder::WorkerConfig {
                api_url: local_url.clone(),
                registration_token: state.registration_token.clone(),
                store_url: state.settings.store_url(),
                store_credentials: state.settings.s3_credentials(),
                scratch_dir: state
                    .settings
                    .scratch_dir
                    .clone()
                    .unwrap_or_else(|| state.settings.data_dir.join("scratch")),
                name: format!("in-process-{i}"),
                preset: "veryfast".into(),
                first_playable_min_s: state.settings.first_playable_min_s,
            };
            let stop = shutdown.clone();
            workers.push(tokio::spawn(async move {
                if let Err(e) = transcoder::run_worker(cfg, stop).await {
                    tracing::error!(error = ?e, "in-process worker stopped");
                }
            }));
        }

        if let Some(token) = &self.setup_token {
            let base = state
                .settings
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", self.addr));
            println!(
                "kino has no admin yet: the account created with setup code {token} becomes \
                 the admin ({base}/signin?code={token})"
            );
        }
        println!("kino listening on http://{}", self.addr);
        // A connection that neither sends nor receives for this long is closed, so idle
        // sockets cannot pile up. Subscriptions are pinged well within it.
        // A request head that trickles in (slowloris) is cut off at its own deadline.
        let limits = serve::Limits {
            head: Duration::from_secs(state.settings.header_read_timeout_s.max(1)),
            idle: Duration::from_secs(state.settings.idle_timeout_s.max(1)),
            drain: Duration::from_secs(10),
        };
        let listener = tokio::net::TcpListener::from_std(self.listener)?;
        serve::serve(listener, app.into_endpoint(), limits, shutdown.clone()).await?;
        shutdown.cancel();
        background.stop().await;
        for w in workers {
            let _ = w.await;
        }
        Ok(())
    }
}
