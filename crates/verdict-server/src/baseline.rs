//! `verdict.loadtest.v1.BaselineService`: the no-op a load test measures Evaluate
//! against, so "how close to the cost of gRPC" is a same-run ratio rather than
//! a guess. Its request has Evaluate's fields, decoded the same way.

use tonic::{Request, Response, Status};
use verdict_api::loadtest::v1 as pb;
use verdict_api::loadtest::v1::baseline_service_server::BaselineService;

/// Answers every call with an empty response.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopBaseline;

#[tonic::async_trait]
impl BaselineService for NoopBaseline {
    async fn noop(
        &self,
        request: Request<pb::NoopRequest>,
    ) -> Result<Response<pb::NoopResponse>, Status> {
        // Drop the decoded request here, as Evaluate does once it has decided.
        drop(request.into_inner());
        Ok(Response::new(pb::NoopResponse::default()))
    }
}
