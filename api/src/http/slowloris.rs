//! A deadline on reading each request's head, against slowloris: a client that opens
//! connections and trickles header bytes, one within every idle timeout, holds a connection
//! (and its task) for ever without ever finishing a request. [`super::serve`] wraps each
//! accepted connection in [`Timed`].
//!
//! A head starts with the first byte read after the previous response began (or at accept)
//! and must end (`\r\n\r\n`) within the deadline, else reads fail and the connection closes.
//! Bodies are not timed here (an upload may stream for hours; the idle timeout still applies).
//! A `100 Continue` answer does not start a new head, and once the server switches protocols
//! (`101`, a WebSocket) or the client speaks HTTP/2, nothing more is timed.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading a request head, against the deadline.
    Head,
    /// The head is in; the body (if any) and the answer follow, untimed.
    Body,
    /// An answer went out: the next byte read starts a new head.
    Answered,
    /// Upgraded or HTTP/2: nothing is timed any more.
    Off,
}

/// A connection whose request heads are timed.
pub struct Timed<T> {
    io: T,
    limit: Duration,
    phase: Phase,
    deadline: Pin<Box<tokio::time::Sleep>>,
    /// How much of `\r\n\r\n` the bytes read so far end with.
    matched: usize,
    /// Bytes of the current head read so far (to spot the HTTP/2 preface).
    seen: usize,
}

const END: &[u8] = b"\r\n\r\n";
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0";

impl<T> Timed<T> {
    /// `io`, whose request heads must each arrive within `limit` of their first byte (the
    /// first from the moment it is made).
    pub fn new(io: T, limit: Duration) -> Self {
        Timed {
            io,
            limit,
            phase: Phase::Head,
            deadline: Box::pin(tokio::time::sleep(limit)),
            matched: 0,
            seen: 0,
        }
    }

    /// Follows the head's bytes: whether it ended, and where.
    fn scan(&mut self, bytes: &[u8]) {
        if self.seen == 0 && bytes.starts_with(H2_PREFACE) {
            self.phase = Phase::Off;
            return;
        }
        self.seen += bytes.len();
        for &b in bytes {
            self.matched = if b == END[self.matched] {
                self.matched + 1
            } else if b == END[0] {
                1
            } else {
                0
            };
            if self.matched == END.len() {
                self.phase = Phase::Body;
                self.matched = 0;
                return;
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Timed<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.phase == Phase::Head && this.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the request head took too long",
            )));
        }
        let before = buf.filled().len();
        let res = Pin::new(&mut this.io).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = res {
            let new = &buf.filled()[before..];
            if !new.is_empty() {
                if this.phase == Phase::Answered {
                    this.phase = Phase::Head;
                    this.seen = 0;
                    this.matched = 0;
                    let at = tokio::time::Instant::now() + this.limit;
                    this.deadline.as_mut().reset(at);
                }
                if this.phase == Phase::Head {
                    let new = new.to_vec();
                    this.scan(&new);
                }
            }
        }
        res
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Timed<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.phase == Phase::Body && data.starts_with(b"HTTP/1.") {
            // The status line: "HTTP/1.1 101", "HTTP/1.1 100", ...
            match data.get(9..12) {
                Some(b"101") => this.phase = Phase::Off,
                Some(b"100") => {}
                _ => this.phase = Phase::Answered,
            }
        }
        Pin::new(&mut this.io).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.phase == Phase::Body
            && let Some(first) = bufs.iter().find(|b| !b.is_empty())
            && first.starts_with(b"HTTP/1.")
        {
            match first.get(9..12) {
                Some(b"101") => this.phase = Phase::Off,
                Some(b"100") => {}
                _ => this.phase = Phase::Answered,
            }
        }
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed() -> Timed<()> {
        Timed::new((), Duration::from_secs(1))
    }

    #[tokio::test]
    async fn a_head_ends_at_its_blank_line_even_split_across_reads() {
        let mut t = timed();
        t.scan(b"GET / HTTP/1.1\r\nHost: a\r");
        assert_eq!(t.phase, Phase::Head);
        t.scan(b"\n\r");
        assert_eq!(t.phase, Phase::Head);
        t.scan(b"\n");
        assert_eq!(t.phase, Phase::Body);
    }

    #[tokio::test]
    async fn http2_is_not_timed() {
        let mut t = timed();
        t.scan(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        assert_eq!(t.phase, Phase::Off);
    }
}
