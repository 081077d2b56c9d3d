//! Connection hygiene, below HTTP/2 and TLS: a bound on open connections, and
//! timeouts for a peer that connects and sends nothing (no HTTP/2 preface, no
//! TLS ClientHello) or falls silent.
//!
//! Without them a few hundred sockets that never speak hold file descriptors
//! forever and make the server unreachable, with nothing logged and no token
//! needed. Each accepted socket is wrapped in [`Guarded`], which holds its
//! place under the bound and fails its reads once the peer has been silent too
//! long; hyper then closes the connection. It also asks h2 for one buffer a
//! write, so that a small answer goes to h2 in fewer frames (answer_pieces.rs).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::{Instant, Sleep};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::{Connected, TcpConnectInfo};
use tracing::warn;

use crate::metrics;

/// How connections are bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Open connections at most; more are closed as soon as accepted.
    pub max_connections: usize,
    /// How long a new connection may take to send its first bytes.
    pub handshake_timeout: Duration,
    /// How long a connection may go without the peer sending anything (a
    /// client that answers keepalive pings is not silent).
    pub idle_timeout: Duration,
}

/// The accepted connections of `listener`, guarded. Accepting runs in a task
/// of its own that ends when the server stops taking connections.
pub fn guarded(
    listener: TcpListener,
    limits: ConnectionLimits,
) -> ReceiverStream<io::Result<Guarded>> {
    let (accepted, incoming) = mpsc::channel(16);
    let open = Arc::new(Semaphore::new(limits.max_connections));
    tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                () = accepted.closed() => return,
                result = listener.accept() => match result {
                    Ok((stream, _)) => stream,
                    // A failed accept (out of file descriptors, a reset
                    // before accept) is the socket's problem: log, go on.
                    Err(error) => {
                        warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                },
            };
            let Ok(place) = Arc::clone(&open).try_acquire_owned() else {
                metrics::connection_refused();
                warn!(
                    max_connections = limits.max_connections,
                    "connection closed: the server has as many open connections as it allows"
                );
                continue;
            };
            let _ = stream.set_nodelay(true);
            if accepted
                .send(Ok(Guarded::new(stream, place, limits)))
                .await
                .is_err()
            {
                return;
            }
        }
    });
    ReceiverStream::new(incoming)
}

/// An accepted connection: its place under the bound, and the timer that
/// ends it when the peer stays silent.
#[derive(Debug)]
pub struct Guarded {
    stream: TcpStream,
    _place: OwnedSemaphorePermit,
    /// Fires when the peer has been silent too long; reset by every read.
    silence: Pin<Box<Sleep>>,
    idle_timeout: Duration,
}

impl Guarded {
    fn new(stream: TcpStream, place: OwnedSemaphorePermit, limits: ConnectionLimits) -> Self {
        metrics::connection_opened();
        Self {
            stream,
            _place: place,
            silence: Box::pin(tokio::time::sleep(limits.handshake_timeout)),
            idle_timeout: limits.idle_timeout,
        }
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        metrics::connection_closed();
    }
}

impl Connected for Guarded {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        self.stream.connect_info()
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                let idle = self.idle_timeout;
                self.silence.as_mut().reset(Instant::now() + idle);
                Poll::Ready(Ok(()))
            }
            Poll::Pending => match self.silence.as_mut().poll(cx) {
                // Nothing to read and the peer has been silent too long.
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the peer sent nothing for too long",
                ))),
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    /// One buffer a write is asked for, though the socket takes several:
    /// then h2 copies DATA frames of up to 1,023 bytes into its write buffer,
    /// not 255, and a small answer leaves in one write from fewer frames
    /// (answer_pieces.rs). A larger frame is then written in two writes,
    /// its head and its payload: one more write per frame of a large answer.
    /// Under TLS, h2 writes to rustls's stream, which writes here through
    /// `poll_write_vectored` whatever this says. Measured in
    /// tests/load/README.md ("Tried and kept").
    fn is_write_vectored(&self) -> bool {
        false
    }
}
