//! The connection server: accepts TCP connections and serves the app on each with hyper (HTTP/1.1,
//! HTTP/2 and upgrades), as poem's `Server` does, with two differences that matter for a
//! media server:
//!
//! - Each socket reaches hyper as it is, vectored writes included, so a segment goes from the
//!   bytes the replica holds to the kernel in one `writev`. poem's `Server` boxes every
//!   connection into an IO without vectored writes, which makes hyper copy each body into its
//!   own buffer first: a third of the CPU spent serving 1 MiB segments was that copy.
//! - A connection closed while the client is still sending (an answer given before the
//!   request's body was read, as a 413 is) lingers: its write side is shut and what the client
//!   still sends is read and dropped for a moment. Closing a socket with unread bytes makes
//!   the kernel reset the connection, and the reset destroys the answer before the client
//!   reads it.
//! - A client that shuts its sending side once its request is out still gets its answer
//!   (hyper's HTTP/1 half-close), rather than having the request dropped as cut short.
//!
//! As before: the request head deadline ([`super::slowloris`]), the idle timeout and a graceful
//! shutdown that lets requests in flight finish for up to a limit.

use super::slowloris::Timed;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Endpoint, IntoResponse};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long a closed connection keeps reading what its client still sends, and how much.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 1 << 20;

/// Timeouts of every connection.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A request head must arrive within this.
    pub head: Duration,
    /// A connection that neither sends nor receives for this long is closed.
    pub idle: Duration,
    /// After the shutdown signal, requests in flight get this long to finish.
    pub drain: Duration,
}

/// Serves `ep` on `listener` until `stop` is cancelled, then lets connections finish their
/// requests for up to `limits.drain`.
pub async fn serve<E>(
    listener: TcpListener,
    ep: E,
    limits: Limits,
    stop: CancellationToken,
) -> io::Result<()>
where
    E: Endpoint + 'static,
{
    let ep = Arc::new(ep);
    let local = LocalAddr(listener.local_addr()?.into());
    let connections = TaskTracker::new();
    // Connections see this when the server stops: they finish the request in flight, then
    // close; and this once the grace period is over: they close at once.
    let closing = CancellationToken::new();
    let cut = CancellationToken::new();
    loop {
        let (socket, remote) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors, say: pause rather than spin, and keep serving.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = socket.set_nodelay(true);
        connections.spawn(connection(
            socket,
            local.clone(),
            remote,
            ep.clone(),
            limits,
            closing.clone(),
            cut.clone(),
        ));
    }
    drop(listener);
    closing.cancel();
    connections.close();
    if tokio::time::timeout(limits.drain, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "connections still busy after the shutdown's grace period; closing them"
        );
        cut.cancel();
        connections.wait().await;
    }
    Ok(())
}

async fn connection<E: Endpoint + 'static>(
    socket: TcpStream,
    local: LocalAddr,
    remote: SocketAddr,
    ep: Arc<E>,
    limits: Limits,
    closing: CancellationToken,
    cut: CancellationToken,
) {
    let activity = Arc::new(Activity::new());
    let io = Timed::new(
        Lingering {
            socket: Some(socket),
            activity: activity.clone(),
        },
        limits.head,
    );
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let ep = ep.clone();
        let req: poem::Request =
            (req, local.clone(), RemoteAddr(remote.into()), Scheme::HTTP).into();
        async move {
            let resp = match ep.call(req).await {
                Ok(r) => r.into_response(),
                Err(e) => e.into_response(),
            };
            Ok::<hyper::Response<_>, std::convert::Infallible>(resp.into())
        }
    });
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    // A client may shut its sending side once its request is out (a raw-socket client, a
    // script piping a body): it still gets its answer.
    builder.http1().half_close(true);
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = activity.idle_for(limits.idle) => {}
        _ = closing.cancelled() => {}
    }
    // Idle or shutting down: answer what is in flight, then close.
    conn.as_mut().graceful_shutdown();
    tokio::select! {
        _ = conn => {}
        _ = cut.cancelled() => {}
    }
}

/// When a connection last moved a byte, in milliseconds since it opened.
struct Activity {
    opened: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            opened: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let ms = self.opened.elapsed().as_millis() as u64;
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Resolves once the connection has moved nothing for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let last = self.opened + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let due = last + limit;
            if Instant::now() >= due {
                return;
            }
            tokio::time::sleep_until(due.into()).await;
        }
    }
}

/// A connection's socket: records activity, and lingers when dropped (see the module docs).
struct Lingering {
    socket: Option<TcpStream>,
    activity: Arc<Activity>,
}

impl Lingering {
    fn socket(&mut self) -> Pin<&mut TcpStream> {
        Pin::new(
            self.socket
                .as_mut()
                .expect("the socket is taken only on drop"),
        )
    }
}

impl Drop for Lingering {
    fn drop(&mut self) {
        let Some(mut socket) = self.socket.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            let _ = socket.shutdown().await;
            let mut scratch = vec![0; 16 * 1024];
            let mut read = 0;
            let _ = tokio::time::timeout(LINGER, async {
                while read < LINGER_BYTES {
                    match socket.read(&mut scratch).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => read += n,
                    }
                }
            })
            .await;
        });
    }
}

impl AsyncRead for Lingering {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let res = self.socket().poll_read(cx, buf);
        if res.is_ready() {
            self.activity.touch();
        }
        res
    }
}

impl AsyncWrite for Lingering {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let res = self.socket().poll_write(cx, buf);
        if res.is_ready() {
            self.activity.touch();
        }
        res
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let res = self.socket().poll_write_vectored(cx, bufs);
        if res.is_ready() {
            self.activity.touch();
        }
        res
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.socket().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.socket().poll_shutdown(cx)
    }
}
