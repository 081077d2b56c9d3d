//! The envelope every `verdict.v1` RPC goes through, written once: a request
//! id (the caller's or a new one), a span carrying it, the deadline (the
//! server's, shortened by the caller's `grpc-timeout`), the request counter
//! and latency histogram, and the request id echoed on the answer, success or
//! error. A handler only says what the RPC does:
//!
//! ```ignore
//! Envelope::open("GetDecision", &request, limits.rpc_timeout)
//!     .run(async { /* Result<Response, ServiceError> */ })
//!     .await
//! ```
//!
//! The span is at DEBUG, like the per-request log lines it carries: at the
//! default INFO level it costs nothing.

use std::future::Future;
use std::time::{Duration, Instant};

use tonic::metadata::{Ascii, MetadataMap, MetadataValue};
use tonic::{Request, Response, Status};
use tracing::{Instrument, Span, debug, debug_span};

use crate::errors::ServiceError;
use crate::metrics;
use crate::request_id::{REQUEST_ID_HEADER, request_id};

/// One RPC in progress.
#[derive(Debug)]
pub struct Envelope {
    rpc: &'static str,
    request_id: MetadataValue<Ascii>,
    span: Span,
    started: Instant,
    deadline: Duration,
}

impl Envelope {
    /// Starts the RPC `rpc` (its method name in the proto) for `request`.
    pub fn open<T>(rpc: &'static str, request: &Request<T>, rpc_timeout: Duration) -> Self {
        let started = Instant::now();
        let metadata = request.metadata();
        let request_id = request_id(metadata);
        let span = debug_span!("rpc", rpc, request_id = %request_id.to_str().unwrap_or_default());
        let deadline =
            client_timeout(metadata).map_or(rpc_timeout, |client| client.min(rpc_timeout));
        Self {
            rpc,
            request_id,
            span,
            started,
            deadline,
        }
    }

    /// Runs the RPC's work in its span and under its deadline, then counts
    /// it, logs it and echoes the request id. Work still running at the
    /// deadline is dropped (a batch worker notices and stops); an answer
    /// ready only after it is not sent, since the caller has given up.
    pub async fn run<T>(
        self,
        work: impl Future<Output = Result<T, ServiceError>>,
    ) -> Result<Response<T>, Status> {
        let timeout_ms = u64::try_from(self.deadline.as_millis()).unwrap_or(u64::MAX);
        let late = ServiceError::DeadlineExceeded { timeout_ms };
        let result =
            match tokio::time::timeout(self.deadline, work.instrument(self.span.clone())).await {
                Ok(Ok(_)) if self.started.elapsed() > self.deadline => Err(late),
                Ok(result) => result,
                Err(_) => Err(late),
            };
        self.span.in_scope(|| self.finish(result))
    }

    fn finish<T>(&self, result: Result<T, ServiceError>) -> Result<Response<T>, Status> {
        let elapsed = self.started.elapsed();
        match result {
            Ok(message) => {
                metrics::request(self.rpc, tonic::Code::Ok, elapsed);
                debug!(micros = elapsed.as_micros(), "answered");
                let mut response = Response::new(message);
                response
                    .metadata_mut()
                    .insert(REQUEST_ID_HEADER, self.request_id.clone());
                Ok(response)
            }
            Err(error) => {
                let mut status = error.to_status();
                metrics::request(self.rpc, status.code(), elapsed);
                debug!(
                    error = error.kind(),
                    micros = elapsed.as_micros(),
                    "not answered"
                );
                status
                    .metadata_mut()
                    .insert(REQUEST_ID_HEADER, self.request_id.clone());
                Err(status)
            }
        }
    }
}

/// The caller's `grpc-timeout`, if it sent one.
fn client_timeout(metadata: &MetadataMap) -> Option<Duration> {
    let value = metadata.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount.saturating_mul(3600)),
        "M" => Duration::from_secs(amount.saturating_mul(60)),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse_in_every_unit() {
        let timeout = |value: &'static str| {
            let mut metadata = MetadataMap::new();
            metadata.insert("grpc-timeout", MetadataValue::from_static(value));
            client_timeout(&metadata)
        };
        assert_eq!(timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(timeout("150m"), Some(Duration::from_millis(150)));
        assert_eq!(timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(timeout("10u"), Some(Duration::from_micros(10)));
        assert_eq!(timeout("x"), None);
        assert_eq!(timeout("5Q"), None);
        assert_eq!(client_timeout(&MetadataMap::new()), None);
    }
}
