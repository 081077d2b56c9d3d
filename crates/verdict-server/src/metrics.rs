//! Prometheus metrics, through the `metrics` facade (no-ops until a recorder
//! is installed, as in tests and `verdict eval`). Labels carry RPC names,
//! status codes, policy ids, outcomes and result codes — never anything from
//! inside a workflow result, and never an unbounded value such as a label
//! spelled by the input.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder};

use crate::convert::outcome_to_wire;
use crate::policy_store::ReloadReport;

/// Whether anything records metrics. Without a recorder the `metrics` macros
/// do nothing visible, but building their labels still clones strings on every
/// request; this flag skips that work (measured: tests/load/README.md).
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns recording on, for a recorder installed some other way (tests).
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Serves `/metrics` on `address` (its own HTTP listener, apart from gRPC).
/// Call inside the tokio runtime.
pub fn serve_prometheus(address: SocketAddr) -> Result<(), BuildError> {
    enable();
    PrometheusBuilder::new()
        .with_http_listener(address)
        .set_buckets(&[
            0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1,
            0.25, 0.5, 1.0, 2.5,
        ])?
        // A count, not seconds: decisions per group commit.
        .set_buckets_for_metric(
            Matcher::Full("verdict_ledger_commit_decisions".to_owned()),
            &[
                1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 4096.0,
            ],
        )?
        .install()
}

/// One finished RPC: its status code and latency.
pub fn request(rpc: &'static str, code: tonic::Code, elapsed: Duration) {
    if !enabled() {
        return;
    }
    let code = code_name(code);
    counter!("verdict_requests_total", "rpc" => rpc, "code" => code).increment(1);
    histogram!("verdict_request_duration_seconds", "rpc" => rpc).record(elapsed.as_secs_f64());
}

/// What the decision counters count of one decision (by policy, outcome and
/// result code, plus the findings the catalogue does not know, counted, not
/// named): taken where it is
/// made (a batch worker, which then lets the decision go), counted once it
/// is answered.
#[derive(Debug)]
pub struct Tally {
    outcome: &'static str,
    code: String,
    uncatalogued: usize,
}

impl Tally {
    /// `None` when metrics are off: nothing to keep.
    pub fn of(decision: &verdict_core::Decision<'_>) -> Option<Self> {
        enabled().then(|| Self {
            outcome: outcome_to_wire(decision.outcome).as_str_name(),
            code: decision.result_code.to_owned(),
            uncatalogued: decision.reasons.iter().filter(|r| !r.catalogued).count(),
        })
    }

    /// Counts the decision, made by `policy` (its id).
    pub fn count(self, policy: &str) {
        counter!(
            "verdict_decisions_total",
            "policy" => policy.to_owned(),
            "outcome" => self.outcome,
            "code" => self.code
        )
        .increment(1);
        if self.uncatalogued > 0 {
            counter!("verdict_uncatalogued_findings_total").increment(self.uncatalogued as u64);
        }
    }
}

/// A request refused because too many decisions were in flight.
pub fn shed(rpc: &'static str) {
    if !enabled() {
        return;
    }
    counter!("verdict_shed_requests_total", "rpc" => rpc).increment(1);
}

/// Decisions in flight now.
pub fn in_flight(decisions: usize) {
    if !enabled() {
        return;
    }
    // Far below 2^52: exact as f64.
    #[expect(clippy::cast_precision_loss, reason = "small counts")]
    gauge!("verdict_decisions_in_flight").set(decisions as f64);
}

/// Batch items by what became of them: decided, failed (an error result) or
/// abandoned (the caller left or the deadline passed first).
pub fn batch_items(result: &'static str, items: usize) {
    if !enabled() {
        return;
    }
    counter!("verdict_batch_items_total", "result" => result).increment(items as u64);
}

/// Request body bytes held now (see `body_budget.rs`).
pub fn body_bytes_in_flight(bytes: usize) {
    if !enabled() {
        return;
    }
    #[expect(clippy::cast_precision_loss, reason = "byte counts far below 2^52")]
    gauge!("verdict_request_bytes_in_flight").set(bytes as f64);
}

/// A request refused because its body would exceed the bytes budget.
pub fn body_budget_refused() {
    if !enabled() {
        return;
    }
    counter!("verdict_body_budget_refused_total").increment(1);
}

/// A connection accepted and guarded.
pub fn connection_opened() {
    if !enabled() {
        return;
    }
    gauge!("verdict_connections_open").increment(1.0);
}

/// A guarded connection closed.
pub fn connection_closed() {
    if !enabled() {
        return;
    }
    gauge!("verdict_connections_open").decrement(1.0);
}

/// A connection closed at once: the bound on open connections was reached.
pub fn connection_refused() {
    if !enabled() {
        return;
    }
    counter!("verdict_connections_refused_total").increment(1);
}

/// Policy files that do not load now (at start and after every reload).
pub fn failed_policy_files(files: usize) {
    if !enabled() {
        return;
    }
    #[expect(clippy::cast_precision_loss, reason = "small counts")]
    gauge!("verdict_policy_files_failed").set(files as f64);
}

/// A policy reload's outcome, per policy file.
pub fn reload(report: &ReloadReport) {
    if !enabled() {
        return;
    }
    counter!("verdict_policy_reloads_total").increment(1);
    counter!("verdict_policies_loaded_total").increment(report.loaded.len() as u64);
    counter!("verdict_policy_load_failures_total").increment(report.failed.len() as u64);
}

fn code_name(code: tonic::Code) -> &'static str {
    match code {
        tonic::Code::Ok => "OK",
        tonic::Code::Cancelled => "CANCELLED",
        tonic::Code::Unknown => "UNKNOWN",
        tonic::Code::InvalidArgument => "INVALID_ARGUMENT",
        tonic::Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        tonic::Code::NotFound => "NOT_FOUND",
        tonic::Code::AlreadyExists => "ALREADY_EXISTS",
        tonic::Code::PermissionDenied => "PERMISSION_DENIED",
        tonic::Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        tonic::Code::FailedPrecondition => "FAILED_PRECONDITION",
        tonic::Code::Aborted => "ABORTED",
        tonic::Code::OutOfRange => "OUT_OF_RANGE",
        tonic::Code::Unimplemented => "UNIMPLEMENTED",
        tonic::Code::Internal => "INTERNAL",
        tonic::Code::Unavailable => "UNAVAILABLE",
        tonic::Code::DataLoss => "DATA_LOSS",
        tonic::Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// What became of one group of ledger appends.
pub fn ledger_commit(commit: verdict_ledger::Commit) {
    use verdict_ledger::Commit;
    if !enabled() {
        return;
    }
    let result = match commit {
        Commit::Written { decisions, records } => {
            counter!("verdict_ledger_records_total").increment(records as u64);
            histogram!("verdict_ledger_commit_decisions").record(decisions as f64);
            "ok"
        }
        Commit::Failed => "failed",
        Commit::Refused => "refused",
    };
    counter!("verdict_ledger_commits_total", "result" => result).increment(1);
}

/// Decisions answered without being recorded (`ledger_failure = "open"`
/// while the ledger was unavailable).
pub fn unrecorded(decisions: usize) {
    if enabled() {
        counter!("verdict_ledger_unrecorded_decisions_total").increment(decisions as u64);
    }
}

/// Records pruned by retention.
pub fn ledger_pruned(records: i64) {
    if enabled() {
        counter!("verdict_ledger_pruned_records_total")
            .increment(u64::try_from(records).unwrap_or(0));
    }
}

/// Decisions made without the ledger's evidence because it could not be
/// read (`ledger_failure = "open"`).
pub fn evidence_unread() {
    if enabled() {
        counter!("verdict_ledger_evidence_unread_total").increment(1);
    }
}

/// Feedback recorded, by verdict (`FRAUD_CONFIRMED`, `LEGITIMATE`, `INCONCLUSIVE`).
pub fn feedback(verdict: &'static str) {
    if enabled() {
        counter!("verdict_feedback_total", "verdict" => verdict).increment(1);
    }
}

/// What the shadow policies decided beside one live decision under `live`:
/// each counted, and where one disagreed (outcome or result code), from the
/// live outcome to the shadow's.
pub fn shadows(live: &str, shadows: &[crate::decide::Shadowed]) {
    if !enabled() || shadows.is_empty() {
        return;
    }
    for shadow in shadows {
        let id = shadow.record.policy.id.clone();
        counter!("verdict_shadow_decisions_total", "live" => live.to_owned(), "shadow" => id.clone())
            .increment(1);
        if !shadow.agrees {
            counter!(
                "verdict_shadow_disagreements_total",
                "live" => live.to_owned(),
                "shadow" => id,
                "from" => shadow.live_outcome,
                "to" => shadow.record.outcome.clone()
            )
            .increment(1);
        }
    }
}

/// A configured shadow policy that is not loaded (its file stopped loading):
/// nothing decided beside the live decision for it.
pub fn shadow_missing(shadow: &str) {
    if enabled() {
        counter!("verdict_shadow_missing_total", "shadow" => shadow.to_owned()).increment(1);
    }
}
