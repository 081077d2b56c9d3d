//! A bound on request bytes in flight, server-wide.
//!
//! tonic buffers a unary request's whole body before the handler runs, so
//! memory grows with the number of large requests arriving at once, whatever
//! the decision limits say. This layer counts each request's body bytes as
//! they arrive against one budget and holds them until the request is
//! answered (decoded message, parsed workflow and answer live that long too);
//! a request whose bytes would exceed the budget is answered at once with
//! RESOURCE_EXHAUSTED + RetryInfo and its body is not read further.
//!
//! A streaming request (`StreamEvaluate`) is not counted here: its body is
//! read a message at a time, only as fast as its answers are taken, and
//! counting a long stream's bytes until its end would refuse it part way.
//! Instead the stream holds the bytes of the group of items it is deciding
//! ([`BodyBudget::hold`]): a group that does not fit is answered with the
//! same RESOURCE_EXHAUSTED, item by item, as a unary request would be.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use http_body::Frame;
use tonic::Status;
use tonic::body::Body;
use tonic::codegen::Bytes;
use tonic::codegen::http::{Request, Response};
use tower::{Layer, Service};

use crate::errors::ServiceError;
use crate::metrics;

/// The budget: bytes of request bodies in flight, across all connections.
#[derive(Debug)]
pub struct BodyBudget {
    max: usize,
    used: AtomicUsize,
}

impl BodyBudget {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max,
            used: AtomicUsize::new(0),
        })
    }

    /// Takes `bytes` more, or says no (and takes nothing).
    fn take(&self, bytes: usize) -> bool {
        let mut used = self.used.load(Ordering::Relaxed);
        loop {
            let Some(next) = used.checked_add(bytes).filter(|next| *next <= self.max) else {
                return false;
            };
            match self
                .used
                .compare_exchange_weak(used, next, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => {
                    metrics::body_bytes_in_flight(next);
                    return true;
                }
                Err(actual) => used = actual,
            }
        }
    }

    /// Holds `bytes` of the budget until the guard is dropped; when they do
    /// not fit, holds nothing and is refused (counted) as a request body is.
    pub fn hold(self: &Arc<Self>, bytes: usize) -> Result<Held, ServiceError> {
        if !self.take(bytes) {
            return Err(self.refused());
        }
        Ok(Held {
            budget: Arc::clone(self),
            bytes: AtomicUsize::new(bytes),
        })
    }

    /// The error for bytes that do not fit, counted.
    fn refused(&self) -> ServiceError {
        metrics::body_budget_refused();
        ServiceError::BodyBudget {
            max_bytes: self.max,
        }
    }

    fn give_back(&self, bytes: usize) {
        let before = self.used.fetch_sub(bytes, Ordering::AcqRel);
        metrics::body_bytes_in_flight(before.saturating_sub(bytes));
    }
}

/// The methods whose request is a stream of messages.
const STREAMING_PATHS: [&str; 1] = ["/verdict.v1.DecisionService/StreamEvaluate"];

/// What one request (or a stream's group of items) holds of the budget;
/// given back when it is dropped: once the request is answered (the layer's
/// future and the body both hold it), or the group decided.
#[derive(Debug)]
pub struct Held {
    budget: Arc<BodyBudget>,
    bytes: AtomicUsize,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.budget.give_back(self.bytes.load(Ordering::Relaxed));
    }
}

/// The layer, for `Server::layer`.
#[derive(Debug, Clone)]
pub struct BodyBudgetLayer(pub Arc<BodyBudget>);

impl<S> Layer<S> for BodyBudgetLayer {
    type Service = BodyBudgetService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BodyBudgetService {
            inner,
            budget: Arc::clone(&self.0),
        }
    }
}

#[derive(Debug, Clone)]
pub struct BodyBudgetService<S> {
    inner: S,
    budget: Arc<BodyBudget>,
}

impl<S> Service<Request<Body>> for BodyBudgetService<S>
where
    S: Service<Request<Body>, Response = Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        if STREAMING_PATHS.contains(&request.uri().path()) {
            return Box::pin(self.inner.call(request));
        }
        let held = Arc::new(Held {
            budget: Arc::clone(&self.budget),
            bytes: AtomicUsize::new(0),
        });
        let counted = Arc::clone(&held);
        let request = request.map(|body| {
            Body::new(CountedBody {
                inner: body,
                held: counted,
            })
        });
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await;
            drop(held);
            response
        })
    }
}

/// A request body whose bytes are taken from the budget as they arrive.
struct CountedBody {
    inner: Body,
    held: Arc<Held>,
}

impl http_body::Body for CountedBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let frame = match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => frame,
            Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => return Poll::Pending,
        };
        if let Some(data) = frame.data_ref() {
            let bytes = data.len();
            if !self.held.budget.take(bytes) {
                return Poll::Ready(Some(Err(self.held.budget.refused().to_status())));
            }
            self.held.bytes.fetch_add(bytes, Ordering::Relaxed);
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
