//! The limits a server enforces, each a configuration key.

use std::time::Duration;

/// Limits a server enforces. Each is a configuration key (see `config.rs`
/// and `crates/verdict-server/README.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most items in one `BatchEvaluate`.
    pub max_batch_size: usize,
    /// Items of one `StreamEvaluate` held at once: read but not yet answered
    /// to the caller. Past it the server reads no more of the stream until
    /// the caller takes answers (back-pressure through HTTP/2 flow control).
    pub max_stream_in_flight: usize,
    /// Largest request or response message, in bytes.
    pub max_message_bytes: usize,
    /// Deepest nesting of arrays and objects accepted in `workflow_json`;
    /// 0 = no limit (the default: parsing does not recurse into what it skips).
    pub max_json_depth: usize,
    /// HTTP/2 streams one connection may have open at once.
    pub max_concurrent_streams: u32,
    /// HTTP/2 flow-control window, per connection and per stream: how many
    /// bytes a client may send before the server has read them.
    pub http2_window_bytes: u32,
    /// Largest HTTP/2 frame the server accepts (SETTINGS_MAX_FRAME_SIZE):
    /// clients split a request body into DATA frames of at most this.
    pub http2_max_frame_bytes: u32,
    /// Decisions being made at once, server-wide (an Evaluate is one, a batch
    /// one per item); beyond it requests are shed with RESOURCE_EXHAUSTED.
    pub max_in_flight: usize,
    /// Shed requests while the runtime runs tasks later than this (requests
    /// then wait in its queues before they are counted in flight); zero
    /// turns it off.
    pub max_queue_delay: Duration,
    /// Request body bytes held at once, server-wide: a request arriving past
    /// it is refused (RESOURCE_EXHAUSTED) instead of buffered. At least
    /// `max_message_bytes`, so that one largest request always fits.
    pub max_request_bytes_in_flight: usize,
    /// Server-side deadline of every DecisionService RPC (the caller's
    /// `grpc-timeout` shortens it).
    pub rpc_timeout: Duration,
    /// How long requests in flight may take to finish after SIGTERM.
    pub shutdown_grace: Duration,
    /// HTTP/2 keepalive ping interval and ack timeout.
    pub keepalive_interval: Duration,
    pub keepalive_timeout: Duration,
    /// Open connections at most; more are closed as soon as accepted (logged
    /// and counted). Keep it below the process's file-descriptor limit.
    pub max_connections: usize,
    /// How long a new connection may take to send its first bytes (the HTTP/2
    /// preface or the TLS ClientHello).
    pub handshake_timeout: Duration,
    /// How long a connection may go without the peer sending anything.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_batch_size: 1000,
            // Enough to keep every core busy between two reads of the
            // stream; a few MiB of bodies at most.
            max_stream_in_flight: 256,
            // A 1,000-item batch of ~6 KB retrieval bodies is ~6 MB; tonic's
            // 4 MiB default would refuse it.
            max_message_bytes: 16 * 1024 * 1024,
            max_json_depth: 0,
            max_concurrent_streams: 256,
            // hyper's default. Larger windows let several large batches on
            // one connection flow without waiting for window updates
            // (tests/load/README.md), but raise what each connection may
            // hold unread: max_connections × this.
            http2_window_bytes: 1024 * 1024,
            // Eight times HTTP/2's 16 KiB: a large batch arrives in an eighth
            // of the frames, which costs the server less per decision
            // (tests/load/README.md); one frame of a large body delays other
            // streams of its connection by at most this much.
            http2_max_frame_bytes: 128 * 1024,
            // Two full batches plus room for single requests: about 50 MiB
            // of decoded requests at most (tests/load/README.md).
            max_in_flight: 2500,
            max_queue_delay: Duration::from_millis(250),
            max_request_bytes_in_flight: 64 * 1024 * 1024,
            rpc_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(20),
            keepalive_interval: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(10),
            max_connections: 768,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
        }
    }
}
