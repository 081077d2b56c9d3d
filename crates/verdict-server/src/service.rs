//! The `verdict.v1.DecisionService` implementation: admission (load shedding),
//! deadlines, request ids, metrics and logs around the decision path.
//!
//! The per-request span (rpc, request id) is at DEBUG, like the per-request log
//! lines it carries: at the default INFO level it costs nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use prost_types::Timestamp;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::{Request, Response, Status};
use tracing::{Instrument, debug, debug_span};
use verdict_api::v1 as pb;
use verdict_api::v1::decision_service_server::DecisionService;

use crate::decide::{DecideOptions, Input, decide};
use crate::errors::ServiceError;
use crate::metrics;
use crate::policies::{LoadedPolicy, PolicySet, PolicyStore};
use crate::request_id::{REQUEST_ID_HEADER, request_id};
use crate::server::Limits;

/// Serves decisions from a set of policies.
#[derive(Debug, Clone)]
pub struct DecisionApi {
    policies: Arc<PolicyStore>,
    limits: Limits,
    /// One permit per decision in flight: a single Evaluate takes one, a batch
    /// one per item, so a few big batches cannot starve everyone else.
    in_flight: Arc<Semaphore>,
}

impl DecisionApi {
    pub fn new(policies: Arc<PolicyStore>, limits: Limits) -> Self {
        Self {
            policies,
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight)),
            limits,
        }
    }

    /// Takes `decisions` permits at once, or sheds the request: queueing
    /// under overload only moves the failure to the client's deadline.
    fn admit(&self, rpc: &'static str, decisions: usize) -> Result<Admitted, ServiceError> {
        let wanted = u32::try_from(decisions).unwrap_or(u32::MAX);
        match Arc::clone(&self.in_flight).try_acquire_many_owned(wanted) {
            Ok(permit) => {
                metrics::in_flight(self.limits.max_in_flight - self.in_flight.available_permits());
                Ok(Admitted {
                    _permit: permit,
                    semaphore: Arc::clone(&self.in_flight),
                    max: self.limits.max_in_flight,
                })
            }
            Err(_) => {
                metrics::shed(rpc);
                Err(ServiceError::Overloaded {
                    max_in_flight: self.limits.max_in_flight,
                    wanted: decisions,
                })
            }
        }
    }

    fn options(&self, explain: bool) -> DecideOptions {
        DecideOptions {
            explain,
            max_json_depth: self.limits.max_json_depth,
        }
    }
}

/// Decisions admitted; released (and the gauge updated) on drop.
struct Admitted {
    _permit: OwnedSemaphorePermit,
    semaphore: Arc<Semaphore>,
    max: usize,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        // The permit is released after this body runs; count it as released.
        let held = self.max - self.semaphore.available_permits();
        metrics::in_flight(held.saturating_sub(self._permit.num_permits()));
    }
}

/// Sets its flag when dropped: the handler's future is dropped when the
/// caller disconnects or its deadline passes, and the batch worker stops.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
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

/// Ends an RPC: metrics, a log line, and the request id echoed on the answer
/// (success or error).
fn finish<T>(
    rpc: &'static str,
    request_id: &MetadataValue<tonic::metadata::Ascii>,
    started: Instant,
    result: Result<T, ServiceError>,
) -> Result<Response<T>, Status> {
    let elapsed = started.elapsed();
    match result {
        Ok(message) => {
            metrics::request(rpc, tonic::Code::Ok, elapsed);
            let mut response = Response::new(message);
            response
                .metadata_mut()
                .insert(REQUEST_ID_HEADER, request_id.clone());
            Ok(response)
        }
        Err(error) => {
            let mut status = error.to_status();
            metrics::request(rpc, status.code(), elapsed);
            debug!(
                error = error.kind(),
                micros = elapsed.as_micros(),
                "not decided"
            );
            status
                .metadata_mut()
                .insert(REQUEST_ID_HEADER, request_id.clone());
            Err(status)
        }
    }
}

/// Logs a decision: ids, outcome and codes only, never the personal data a
/// workflow result carries.
fn log_decision(decision: &pb::Decision, started: Instant) {
    debug!(
        workflow_id = %decision.workflow_id,
        outcome = decision.outcome().as_str_name(),
        result_code = %decision.result_code,
        micros = started.elapsed().as_micros(),
        "decided"
    );
}

#[tonic::async_trait]
impl DecisionService for DecisionApi {
    async fn evaluate(
        &self,
        request: Request<pb::EvaluateRequest>,
    ) -> Result<Response<pb::EvaluateResponse>, Status> {
        let started = Instant::now();
        let id = request_id(request.metadata());
        let span =
            debug_span!("rpc", rpc = "Evaluate", request_id = %id.to_str().unwrap_or_default());
        let deadline = client_timeout(request.metadata())
            .map_or(self.limits.rpc_timeout, |client| {
                client.min(self.limits.rpc_timeout)
            });
        let request = request.into_inner();
        let result = span.in_scope(|| {
            let _admitted = self.admit("Evaluate", 1)?;
            // This set, and so this policy version, serves the whole request
            // even if a reload swaps in another meanwhile.
            let set = self.policies.current();
            let policy = &set.get(&request.policy_id)?.policy;
            let decision = decide(
                request.input.as_ref().map(Input::from),
                policy,
                self.options(request.explain),
            )?;
            // One decision takes microseconds; a body near the size limit can
            // take longer than a tight deadline, and then the answer is late.
            if started.elapsed() > deadline {
                return Err(ServiceError::DeadlineExceeded {
                    timeout_ms: u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX),
                });
            }
            metrics::decision(&decision);
            log_decision(&decision, started);
            Ok(pb::EvaluateResponse {
                decision: Some(decision),
            })
        });
        span.in_scope(|| finish("Evaluate", &id, started, result))
    }

    async fn batch_evaluate(
        &self,
        request: Request<pb::BatchEvaluateRequest>,
    ) -> Result<Response<pb::BatchEvaluateResponse>, Status> {
        let started = Instant::now();
        let id = request_id(request.metadata());
        let span = debug_span!("rpc", rpc = "BatchEvaluate", request_id = %id.to_str().unwrap_or_default());
        let deadline = client_timeout(request.metadata())
            .map_or(self.limits.rpc_timeout, |client| {
                client.min(self.limits.rpc_timeout)
            });
        let result = self
            .batch(request.into_inner(), deadline)
            .instrument(span.clone())
            .await;
        span.in_scope(|| finish("BatchEvaluate", &id, started, result))
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

impl DecisionApi {
    async fn batch(
        &self,
        request: pb::BatchEvaluateRequest,
        deadline: Duration,
    ) -> Result<pb::BatchEvaluateResponse, ServiceError> {
        let started = Instant::now();
        let items = request.items.len();
        if items > self.limits.max_batch_size {
            return Err(ServiceError::BatchTooLarge {
                items,
                max: self.limits.max_batch_size,
            });
        }
        let admitted = self.admit("BatchEvaluate", items.max(1))?;
        let policy = Arc::clone(&self.policies.current().get(&request.policy_id)?.policy);
        let options = self.options(request.explain);
        let cancelled = Arc::new(AtomicBool::new(false));
        let _cancel_when_dropped = CancelOnDrop(Arc::clone(&cancelled));
        // A large batch is milliseconds of CPU: keep it off the async workers
        // so other requests are not held up behind it. The permits go with it,
        // so work still running after a deadline stays counted.
        let worker = tokio::task::spawn_blocking(move || {
            let _admitted = admitted;
            let mut results = Vec::with_capacity(items);
            for item in request.items {
                if cancelled.load(Ordering::Relaxed) {
                    metrics::batch_items("abandoned", items - results.len());
                    return None;
                }
                let result = decide(item.input.as_ref().map(Input::from), &policy, options);
                results.push(pb::BatchResult {
                    id: item.id,
                    result: Some(match result {
                        Ok(decision) => {
                            metrics::decision(&decision);
                            pb::batch_result::Result::Decision(decision)
                        }
                        Err(error) => pb::batch_result::Result::Error(error.to_rpc_status()),
                    }),
                });
            }
            Some(results)
        });
        let timeout_ms = u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX);
        let results = match tokio::time::timeout(deadline, worker).await {
            Ok(Ok(Some(results))) => results,
            // Cancelled without the deadline passing: only a dropped caller
            // cancels, and then nobody reads this answer.
            Ok(Ok(None)) | Err(_) => return Err(ServiceError::DeadlineExceeded { timeout_ms }),
            Ok(Err(_)) => return Err(ServiceError::Interrupted),
        };
        let failed = results
            .iter()
            .filter(|result| matches!(result.result, Some(pb::batch_result::Result::Error(_))))
            .count();
        metrics::batch_items("decided", results.len() - failed);
        metrics::batch_items("failed", failed);
        debug!(
            items = results.len(),
            failed,
            micros = started.elapsed().as_micros(),
            "decided batch"
        );
        Ok(pb::BatchEvaluateResponse { results })
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
