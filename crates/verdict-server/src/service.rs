//! The `verdict.v1.DecisionService` implementation.

use std::sync::Arc;
use std::time::Instant;

use prost_types::Timestamp;

use tonic::{Request, Response, Status};
use tracing::debug;
use verdict_api::v1 as pb;
use verdict_api::v1::decision_service_server::DecisionService;

use crate::decide::{Explain, Input, decide};
use crate::errors::ServiceError;
use crate::policies::{LoadedPolicy, PolicySet, PolicyStore};

/// Serves decisions from a set of policies.
#[derive(Debug, Clone)]
pub struct DecisionApi {
    policies: Arc<PolicyStore>,
    max_batch_size: usize,
}

impl DecisionApi {
    pub fn new(policies: Arc<PolicyStore>, max_batch_size: usize) -> Self {
        Self {
            policies,
            max_batch_size,
        }
    }
}

/// Logs the outcome of a request: ids, outcome and codes only, never the
/// personal data a workflow result carries.
fn log_decision(rpc: &'static str, result: &Result<pb::Decision, ServiceError>, started: Instant) {
    let micros = started.elapsed().as_micros();
    match result {
        Ok(decision) => debug!(
            rpc,
            workflow_id = %decision.workflow_id,
            outcome = decision.outcome().as_str_name(),
            result_code = %decision.result_code,
            micros,
            "decided"
        ),
        Err(error) => debug!(rpc, error = error.kind(), micros, "not decided"),
    }
}

#[tonic::async_trait]
impl DecisionService for DecisionApi {
    async fn evaluate(
        &self,
        request: Request<pb::EvaluateRequest>,
    ) -> Result<Response<pb::EvaluateResponse>, Status> {
        let started = Instant::now();
        let request = request.into_inner();
        // This set, and so this policy version, serves the whole request even
        // if a reload swaps in another meanwhile.
        let set = self.policies.current();
        let policy = &set.get(&request.policy_id)?.policy;
        let result = decide(
            request.input.as_ref().map(Input::from),
            policy,
            Explain(request.explain),
        );
        log_decision("Evaluate", &result, started);
        let decision = result?;
        Ok(Response::new(pb::EvaluateResponse {
            decision: Some(decision),
        }))
    }

    async fn batch_evaluate(
        &self,
        request: Request<pb::BatchEvaluateRequest>,
    ) -> Result<Response<pb::BatchEvaluateResponse>, Status> {
        let started = Instant::now();
        let request = request.into_inner();
        if request.items.len() > self.max_batch_size {
            let error = ServiceError::BatchTooLarge {
                items: request.items.len(),
                max: self.max_batch_size,
            };
            return Err(error.to_status());
        }
        let policy = Arc::clone(&self.policies.current().get(&request.policy_id)?.policy);
        let explain = Explain(request.explain);
        // A large batch is milliseconds of CPU: keep it off the async workers
        // so other requests are not held up behind it.
        let results = tokio::task::spawn_blocking(move || {
            request
                .items
                .into_iter()
                .map(|item| {
                    let result = decide(item.input.as_ref().map(Input::from), &policy, explain);
                    pb::BatchResult {
                        id: item.id,
                        result: Some(match result {
                            Ok(decision) => pb::batch_result::Result::Decision(decision),
                            Err(error) => pb::batch_result::Result::Error(error.to_rpc_status()),
                        }),
                    }
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|_| Status::internal("batch evaluation was interrupted"))?;
        let failed = results
            .iter()
            .filter(|result| matches!(result.result, Some(pb::batch_result::Result::Error(_))))
            .count();
        debug!(
            rpc = "BatchEvaluate",
            items = results.len(),
            failed,
            micros = started.elapsed().as_micros(),
            "decided batch"
        );
        Ok(Response::new(pb::BatchEvaluateResponse { results }))
    }

    async fn list_policies(
        &self,
        _request: Request<pb::ListPoliciesRequest>,
    ) -> Result<Response<pb::ListPoliciesResponse>, Status> {
        let set = self.policies.current();
        let policies = set.iter().map(|policy| policy_info(&set, policy)).collect();
        Ok(Response::new(pb::ListPoliciesResponse { policies }))
    }

    async fn get_policy(
        &self,
        request: Request<pb::GetPolicyRequest>,
    ) -> Result<Response<pb::GetPolicyResponse>, Status> {
        let set = self.policies.current();
        let policy = set.get(&request.get_ref().id)?;
        Ok(Response::new(pb::GetPolicyResponse {
            policy: Some(policy_info(&set, policy)),
            content: policy.content.clone(),
        }))
    }
}

fn policy_info(set: &PolicySet, loaded: &LoadedPolicy) -> pb::PolicyInfo {
    let reference = loaded.policy.reference();
    pb::PolicyInfo {
        id: reference.id.clone(),
        version: reference.version.clone(),
        digest: reference.digest.clone(),
        description: loaded.policy.spec().description.clone(),
        source: loaded.source.clone(),
        loaded_at: Some(Timestamp::from(loaded.loaded_at)),
        is_default: reference.id == set.default_id(),
        rule_count: u32::try_from(loaded.policy.rules().len()).unwrap_or(u32::MAX),
        golden_cases: u32::try_from(loaded.golden_cases).unwrap_or(u32::MAX),
    }
}
