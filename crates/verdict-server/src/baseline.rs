//! `verdict.loadtest.v1.Baseline`: the no-op a load test measures Evaluate
//! against, so "how close to the cost of gRPC" is a same-run ratio rather than
//! a guess. tonic decodes its request exactly as it decodes Evaluate's.

use tonic::{Request, Response, Status};
use verdict_api::loadtest::v1::baseline_server::Baseline;
use verdict_api::v1 as pb;

/// Answers every call with an empty response.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopBaseline;

#[tonic::async_trait]
impl Baseline for NoopBaseline {
    async fn noop(
        &self,
        request: Request<pb::EvaluateRequest>,
    ) -> Result<Response<pb::EvaluateResponse>, Status> {
        // Drop the decoded request here, as Evaluate does once it has decided.
        drop(request.into_inner());
        Ok(Response::new(pb::EvaluateResponse::default()))
    }
}
