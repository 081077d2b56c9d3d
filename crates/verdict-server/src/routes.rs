//! `verdict.v1.DecisionService` as served: the generated server for every
//! method but three.
//! - `BatchEvaluate`'s request is read as [`ReceivedBatch`] ([`ReceivedCodec`]) —
//!   its items stay encoded slices of the body until the worker deciding them
//!   decodes them, so a large batch is decoded on every core and its JSON
//!   bodies are never copied (tests/load/README.md, "Tried and kept"). A
//!   clean body is read first as the HTTP/2 frames it arrives in
//!   ([`keep_message`]), so it is not copied into tonic's buffer either.
//! - `Evaluate`'s request is read as [`ReceivedEvaluate`] ([`ReceivedCodec`]):
//!   its JSON stays in the buffer it arrived in. Its answer is an
//!   [`EvaluateAnswer`]: the decision is encoded straight into it where it
//!   is made (with a ledger, its mark is added once it is recorded).
//! - `StreamEvaluate`'s answers are [`StreamEvaluateAnswer`]s, each decision
//!   encoded where it is made, as a `BatchEvaluate`'s are. Its messages are
//!   decoded as generated: tonic reuses a stream's buffer for its next
//!   messages, which a message left in place would keep from it
//!   (tests/load/README.md, "Tried and not kept").
//!
//! What the caller sends and receives is the same message either way.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::codegen::{BoxFuture, Service, http};
use tonic::server::{Grpc, NamedService, StreamingService, UnaryService};
use tonic::{Request, Response, Status, Streaming};
use verdict_api::codec::{ReceivedBatch, ReceivedCodec, VerdictCodec};
use verdict_api::frames::{BatchEvaluateAnswers, EvaluateAnswer, StreamEvaluateAnswer};
use verdict_api::received::ReceivedEvaluate;
use verdict_api::v1::StreamEvaluateRequest;
use verdict_api::v1::decision_service_server::DecisionServiceServer;

use crate::answer_pieces::InPieces;
use crate::kept_body::{KeptBatch, keep_message};
use crate::service::DecisionApi;
use crate::stream::Answers;

/// The path of `BatchEvaluate`.
const BATCH_EVALUATE: &str = "/verdict.v1.DecisionService/BatchEvaluate";
/// The path of `Evaluate`.
const EVALUATE: &str = "/verdict.v1.DecisionService/Evaluate";
/// The path of `StreamEvaluate`.
const STREAM_EVALUATE: &str = "/verdict.v1.DecisionService/StreamEvaluate";
/// The first size of `Evaluate`'s decode buffer. Once a message's header is
/// in, tonic reserves the message's length beyond the bytes it already
/// holds (usually all of them: a request arrives in one DATA frame), so a
/// buffer of twice the message saves growing it by a copy. tonic's 8 KiB
/// fits 4 KB; most workflow results of the corpus are 5-8.5 KB of JSON (at
/// most 5.5 KB without their indentation), and 16 KiB fits all but the
/// largest. Every Evaluate holds its buffer from its headers on, a stream
/// that never sends its body too, so it is no larger (tests/load/README.md,
/// "Instructions per call").
const EVALUATE_BUFFER_BYTES: usize = 16 * 1024;

/// The decision service with `BatchEvaluate` routed to [`BatchFrames`],
/// `Evaluate` to [`EvaluateAnswers`] and `StreamEvaluate` to
/// [`StreamAnswers`].
#[derive(Debug, Clone)]
pub struct DecisionRoutes {
    generated: DecisionServiceServer<DecisionApi>,
    api: Arc<DecisionApi>,
    /// The generated server's message limits, applied to `Evaluate`,
    /// `BatchEvaluate` and `StreamEvaluate` here too.
    max_message_bytes: usize,
    /// Whether answers go out over TLS, which sets how small answers are cut
    /// ([`InPieces`]).
    over_tls: bool,
}

impl DecisionRoutes {
    /// `over_tls`: whether the server serves TLS.
    pub fn new(api: DecisionApi, max_message_bytes: usize, over_tls: bool) -> Self {
        let api = Arc::new(api);
        let generated = DecisionServiceServer::from_arc(Arc::clone(&api))
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes);
        Self {
            generated,
            api,
            max_message_bytes,
            over_tls,
        }
    }
}

impl NamedService for DecisionRoutes {
    const NAME: &'static str = <DecisionServiceServer<DecisionApi> as NamedService>::NAME;
}

impl<B> Service<http::Request<B>> for DecisionRoutes
where
    B: http_body::Body + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let api = Arc::clone(&self.api);
        let max_message_bytes = self.max_message_bytes;
        let over_tls = self.over_tls;
        let limit = Some(max_message_bytes);
        // No compression, as on the generated server: `new` enables none
        // on it (were it to, these routes would need the same through
        // `apply_compression_config`).
        match request.uri().path() {
            // A small answer goes out in one write (answer_pieces.rs).
            BATCH_EVALUATE => Box::pin(async move {
                let request = keep_message(request, max_message_bytes).await;
                let codec = ReceivedCodec::<BatchEvaluateAnswers, ReceivedBatch>::default();
                let mut grpc = Grpc::new(codec).apply_max_message_size_config(limit, limit);
                let response = grpc.unary(BatchFrames(api), request).await;
                Ok(response.map(|body| Body::new(InPieces::new(body, over_tls))))
            }),
            EVALUATE => Box::pin(async move {
                let codec = ReceivedCodec::<EvaluateAnswer, ReceivedEvaluate>::with_buffer_bytes(
                    EVALUATE_BUFFER_BYTES,
                );
                let mut grpc = Grpc::new(codec).apply_max_message_size_config(limit, limit);
                let response = grpc.unary(EvaluateAnswers(api), request).await;
                Ok(response.map(|body| Body::new(InPieces::new(body, over_tls))))
            }),
            STREAM_EVALUATE => Box::pin(async move {
                let codec = VerdictCodec::<StreamEvaluateAnswer, StreamEvaluateRequest>::default();
                let mut grpc = Grpc::new(codec).apply_max_message_size_config(limit, limit);
                Ok(grpc.streaming(StreamAnswers(api), request).await)
            }),
            _ => self.generated.call(request),
        }
    }
}

/// `Evaluate`, answered with an [`EvaluateAnswer`].
struct EvaluateAnswers(Arc<DecisionApi>);

impl UnaryService<ReceivedEvaluate> for EvaluateAnswers {
    type Response = EvaluateAnswer;
    type Future = BoxFuture<Response<EvaluateAnswer>, Status>;

    fn call(&mut self, request: Request<ReceivedEvaluate>) -> Self::Future {
        let api = Arc::clone(&self.0);
        Box::pin(async move { api.evaluate_answer(request).await })
    }
}

/// `StreamEvaluate`, answered with [`StreamEvaluateAnswer`]s.
struct StreamAnswers(Arc<DecisionApi>);

impl StreamingService<StreamEvaluateRequest> for StreamAnswers {
    type Response = StreamEvaluateAnswer;
    type ResponseStream = Answers;
    type Future = BoxFuture<Response<Answers>, Status>;

    fn call(&mut self, request: Request<Streaming<StreamEvaluateRequest>>) -> Self::Future {
        let api = Arc::clone(&self.0);
        Box::pin(async move { Ok(api.stream(request)) })
    }
}

/// `BatchEvaluate` on a request read as [`ReceivedBatch`].
struct BatchFrames(Arc<DecisionApi>);

impl UnaryService<ReceivedBatch> for BatchFrames {
    type Response = BatchEvaluateAnswers;
    type Future = BoxFuture<Response<BatchEvaluateAnswers>, Status>;

    fn call(&mut self, mut request: Request<ReceivedBatch>) -> Self::Future {
        let api = Arc::clone(&self.0);
        Box::pin(async move {
            // A body kept as its frames was read from them, or refused as
            // the codec refuses it (kept_body.rs); tonic read an empty
            // message in its place.
            if let Some(KeptBatch(batch)) = request.extensions_mut().remove::<KeptBatch>() {
                *request.get_mut() = batch?;
            }
            api.batch_answers(request).await
        })
    }
}
