//! The server's side of the decision ledger: recording each decision before
//! it is answered (or, with `ledger_failure = "open"`, answering it marked
//! unrecorded when the ledger is down), reading decisions back for
//! `GetDecision`/`ListDecisions`, and retention.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use prost_types::Timestamp;
use serde::{Deserialize, Serialize};
use tracing::{error, info, warn};
use verdict_api::v1 as pb;
use verdict_ledger::{
    AppendKind, Appended, Draft, FeedbackDraft, FeedbackRecord, Ledger, ListQuery, PolicyText,
    Reads, Record,
};

use verdict_core::model::stored;
use verdict_core::{DecisionType, Feedback, KnownWorkflow, Outcome};

use crate::convert::{decision_type_to_wire, instant_to_wire, outcome_to_wire};
use crate::decision_wire::Mark;
use crate::errors::{MAX_ID, ServiceError};
use crate::evidence::{
    MAX_EVIDENCE_ID, evidence_to_wire, feedback_from_wire, feedback_to_wire, is_code,
};
use crate::metrics;

/// What a request gets when the ledger cannot record its decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LedgerFailure {
    /// UNAVAILABLE: nothing is decided unrecorded.
    #[default]
    Closed,
    /// The decision, with `recorded = false` (and a counter).
    Open,
}

/// Page size of `ListDecisions` when the request names none, and at most.
const DEFAULT_PAGE: u32 = 100;
const MAX_PAGE: u32 = 1000;

/// The ledger and what to do when it fails.
#[derive(Debug, Clone)]
pub struct Recorder {
    pub ledger: Ledger,
    pub failure: LedgerFailure,
}

impl Recorder {
    /// Records `drafts` (decided by `policy`); `None` for each when the
    /// ledger failed and failures are open.
    pub async fn record(
        &self,
        policies: Vec<Arc<PolicyText>>,
        drafts: Vec<Draft>,
    ) -> Result<Vec<Option<Appended>>, ServiceError> {
        let count = drafts.len();
        if count == 0 {
            return Ok(Vec::new());
        }
        // The writer logs each failed commit; here only what the request gets.
        match self.ledger.append(policies, drafts).await {
            Ok(appended) => Ok(appended.into_iter().map(Some).collect()),
            Err(_) => match self.failure {
                LedgerFailure::Closed => Err(ServiceError::LedgerUnavailable),
                LedgerFailure::Open => {
                    metrics::unrecorded(count);
                    Ok(vec![None; count])
                }
            },
        }
    }

    pub async fn get(
        &self,
        request: &pb::GetDecisionRequest,
    ) -> Result<pb::GetDecisionResponse, ServiceError> {
        // The record, its feedback and its shadows: one connection.
        let mut reads = self.reads();
        let (kind, id, records) = match &request.key {
            Some(pb::get_decision_request::Key::DecisionId(id)) => (
                "decision id",
                id,
                reads
                    .by_id(id)
                    .await
                    .map_err(unavailable)?
                    .into_iter()
                    .collect(),
            ),
            Some(pb::get_decision_request::Key::WorkflowId(id)) => (
                "workflow id",
                id,
                reads.by_workflow(id).await.map_err(unavailable)?,
            ),
            None => {
                return Err(ServiceError::BadLedgerRequest {
                    field: "key",
                    description: "set decision_id or workflow_id",
                });
            }
        };
        if records.is_empty() {
            return Err(ServiceError::DecisionNotFound {
                kind,
                id: verdict_core::truncated(id, MAX_ID),
            });
        }
        Ok(pb::GetDecisionResponse {
            decisions: with_feedback_and_shadows(&mut reads, &records).await?,
        })
    }

    /// Reads on one connection of the ledger (see [`Reads`]).
    pub fn reads(&self) -> Reads<'_> {
        self.ledger.store().reads()
    }

    /// Records the business's judgement of a decided workflow.
    pub async fn record_feedback(
        &self,
        request: &pb::RecordFeedbackRequest,
    ) -> Result<pb::RecordFeedbackResponse, ServiceError> {
        let bad = |field, description| ServiceError::BadLedgerRequest { field, description };
        if request.workflow_id.is_empty() {
            return Err(bad("workflow_id", "required"));
        }
        if request.workflow_id.len() > MAX_EVIDENCE_ID {
            return Err(bad("workflow_id", "longer than 128 characters"));
        }
        let verdict = pb::FeedbackVerdict::try_from(request.verdict)
            .ok()
            .and_then(feedback_from_wire)
            .ok_or(bad(
                "verdict",
                "set FRAUD_CONFIRMED, LEGITIMATE or INCONCLUSIVE",
            ))?;
        if !request.note_code.is_empty() && !is_code(&request.note_code) {
            return Err(bad(
                "note_code",
                "a SCREAMING_SNAKE code of at most 64 characters, never free text",
            ));
        }
        let draft = FeedbackDraft {
            workflow_id: request.workflow_id.clone(),
            verdict: verdict.name().to_owned(),
            note_code: request.note_code.clone(),
        };
        let recorded = self
            .ledger
            .store()
            .record_feedback(&draft, verdict_ledger::now_ms())
            .await
            .map_err(unavailable)?
            .ok_or_else(|| ServiceError::DecisionNotFound {
                kind: "workflow id",
                id: verdict_core::truncated(&request.workflow_id, MAX_ID),
            })?;
        if !recorded.already_recorded {
            metrics::feedback(verdict.name());
        }
        Ok(pb::RecordFeedbackResponse {
            feedback: Some(feedback_record_to_wire(&recorded.record)),
            already_recorded: recorded.already_recorded,
        })
    }

    pub async fn list(
        &self,
        request: &pb::ListDecisionsRequest,
    ) -> Result<pb::ListDecisionsResponse, ServiceError> {
        let page_size = match request.page_size {
            0 => DEFAULT_PAGE,
            size if size > MAX_PAGE => {
                return Err(ServiceError::BadLedgerRequest {
                    field: "page_size",
                    description: "at most 1000",
                });
            }
            size => size,
        };
        let after_seq = if request.page_token.is_empty() {
            0
        } else {
            parse_page_token(&request.page_token).ok_or(ServiceError::BadLedgerRequest {
                field: "page_token",
                description: "not a page token this server issued",
            })?
        };
        // Unspecified matches no outcome: any.
        let outcome = Outcome::ALL
            .into_iter()
            .find(|known| outcome_to_wire(*known) == request.outcome())
            .map(|known| known.name().to_owned());
        let query = ListQuery {
            account_id: (!request.account_id.is_empty()).then(|| request.account_id.clone()),
            from_ms: request.recorded_from.as_ref().map(timestamp_ms),
            to_ms: request.recorded_to.as_ref().map(timestamp_ms),
            outcome,
            shadow_policy_id: (!request.shadow_policy_id.is_empty())
                .then(|| request.shadow_policy_id.clone()),
            after_seq,
            // One more than asked: whether another page follows.
            limit: i64::from(page_size) + 1,
        };
        let mut reads = self.reads();
        let mut records = reads.list(&query).await.map_err(unavailable)?;
        let more = records.len() > page_size as usize;
        records.truncate(page_size as usize);
        let next_page_token = match (more, records.last()) {
            (true, Some(last)) => page_token(last.seq),
            _ => String::new(),
        };
        Ok(pb::ListDecisionsResponse {
            decisions: with_feedback_and_shadows(&mut reads, &records).await?,
            next_page_token,
        })
    }

    /// A policy version that decided, by digest.
    pub async fn policy(&self, digest: &str) -> Result<Option<PolicyText>, ServiceError> {
        self.reads().policy(digest).await.map_err(unavailable)
    }
}

/// What the ledger knows of these workflows: each one's account, latest
/// decision and latest feedback. Unknown ids are left out.
pub async fn known_workflows(
    reads: &mut Reads<'_>,
    ids: &[&str],
) -> Result<Vec<KnownWorkflow>, ServiceError> {
    let latest = reads.latest_of(ids).await.map_err(unavailable)?;
    let feedback: HashMap<String, String> = reads
        .latest_feedback(ids)
        .await
        .map_err(unavailable)?
        .into_iter()
        .map(|given| (given.workflow_id, given.verdict))
        .collect();
    Ok(latest
        .into_iter()
        .map(|summary| KnownWorkflow {
            feedback: feedback
                .get(&summary.workflow_id)
                .and_then(|verdict| Feedback::from_name(verdict)),
            outcome: Outcome::from_name(&summary.outcome),
            result_code: Some(summary.result_code).filter(|code| !code.is_empty()),
            workflow_id: summary.workflow_id,
            account_id: summary.account_id,
        })
        .collect())
}

/// `records` on the wire, each with the feedback on its workflow and the
/// shadow policies that disagreed with it.
async fn with_feedback_and_shadows(
    reads: &mut Reads<'_>,
    records: &[Record],
) -> Result<Vec<pb::RecordedDecision>, ServiceError> {
    let ids: Vec<&str> = records
        .iter()
        .map(|record| record.draft.workflow_id.as_str())
        .collect();
    let mut by_workflow: HashMap<String, Vec<pb::Feedback>> = HashMap::new();
    for given in reads.feedback_for(&ids).await.map_err(unavailable)? {
        by_workflow
            .entry(given.workflow_id.clone())
            .or_default()
            .push(feedback_record_to_wire(&given));
    }
    let seqs: Vec<i64> = records.iter().map(|record| record.seq).collect();
    let mut shadows: HashMap<i64, Vec<pb::ShadowDecision>> = HashMap::new();
    for (seq, shadow) in reads.shadows_of(&seqs).await.map_err(unavailable)? {
        shadows.entry(seq).or_default().push(pb::ShadowDecision {
            policy: Some(pb::PolicyRef {
                id: shadow.policy.id,
                version: shadow.policy.version,
                digest: shadow.policy.digest,
            }),
            outcome: outcome_from_name(&shadow.outcome),
            result_code: shadow.result_code,
            rule_id: shadow.rule_id,
        });
    }
    Ok(records
        .iter()
        .map(|record| pb::RecordedDecision {
            feedback: by_workflow
                .get(&record.draft.workflow_id)
                .cloned()
                .unwrap_or_default(),
            shadows: shadows.remove(&record.seq).unwrap_or_default(),
            ..record_to_wire(record)
        })
        .collect())
}

#[expect(
    clippy::needless_pass_by_value,
    reason = "used as map_err(unavailable): the error ends here"
)]
pub(crate) fn unavailable(error: verdict_ledger::LedgerError) -> ServiceError {
    warn!(%error, "ledger request failed");
    ServiceError::LedgerUnavailable
}

/// Page tokens are opaque to clients: a prefix and the last position read.
fn page_token(seq: i64) -> String {
    format!("v1.{seq}")
}

fn parse_page_token(token: &str) -> Option<i64> {
    token
        .strip_prefix("v1.")?
        .parse()
        .ok()
        .filter(|seq| *seq > 0)
}

fn timestamp_ms(timestamp: &Timestamp) -> i64 {
    timestamp
        .seconds
        .saturating_mul(1000)
        .saturating_add(i64::from(timestamp.nanos / 1_000_000))
}

fn ms_timestamp(ms: i64) -> Timestamp {
    let since_epoch = Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    Timestamp::from(UNIX_EPOCH + since_epoch)
}

/// An outcome as the ledger spells it, on the wire.
fn outcome_from_name(name: &str) -> i32 {
    Outcome::from_name(name).map_or(pb::Outcome::Unspecified, outcome_to_wire) as i32
}

/// How `appended` says a decision was recorded; `None`: not recorded (no
/// draft was made, or the ledger failed and failures are open).
pub fn mark_of(appended: Option<&Appended>) -> Mark<'_> {
    let Some(appended) = appended else {
        return Mark::default();
    };
    let mut mark = Mark {
        decision_id: &appended.decision_id,
        recorded: true,
        workflow_version: u32::try_from(appended.workflow_version).unwrap_or(u32::MAX),
        ..Mark::default()
    };
    match &appended.kind {
        AppendKind::New => {}
        AppendKind::Existing => mark.already_recorded = true,
        AppendKind::NewVersion { previous } => mark.supersedes_decision_id = previous,
    }
    mark
}

fn record_to_wire(record: &Record) -> pb::RecordedDecision {
    let draft = &record.draft;
    let completed_at = stored::parse_timestamp_text(&draft.completed_at).map(instant_to_wire);
    pb::RecordedDecision {
        decision_id: record.decision_id.clone(),
        workflow_id: draft.workflow_id.clone(),
        account_id: draft.account_id.clone(),
        workflow_version: u32::try_from(record.workflow_version).unwrap_or(u32::MAX),
        completed_at,
        recorded_at: Some(ms_timestamp(record.recorded_at_ms)),
        outcome: outcome_from_name(&draft.outcome),
        result_code: draft.result_code.clone(),
        reasons: draft
            .reasons
            .iter()
            .map(|reason| {
                let decision_type = DecisionType::from_name(&reason.decision_type);
                pb::Reason {
                    capability: reason.capability.clone(),
                    decision_type: decision_type_to_wire(decision_type) as i32,
                    raw_decision_type: if decision_type == DecisionType::Other {
                        reason.decision_type.clone()
                    } else {
                        String::new()
                    },
                    label: reason.label.clone(),
                    outcome: outcome_from_name(&reason.outcome),
                    code: reason.code.clone(),
                    root_cause: reason.root_cause,
                    rule_id: reason.rule_id.clone(),
                    entry_id: reason.entry_id.clone(),
                    ..pb::Reason::default()
                }
            })
            .collect(),
        policy: Some(pb::PolicyRef {
            id: draft.policy.id.clone(),
            version: draft.policy.version.clone(),
            digest: draft.policy.digest.clone(),
        }),
        input_sha256: draft.input_sha256.clone(),
        facts_json: draft.facts.clone(),
        sequence: u64::try_from(record.seq).unwrap_or(0),
        hash: record.hash.clone(),
        previous_hash: record.prev_hash.clone(),
        // A record whose facts cannot be read shows none; `ledger verify`
        // and the facts themselves tell why.
        evidence: verdict_core::facts::evidence_from_json(&draft.facts)
            .ok()
            .filter(|evidence| !evidence.is_empty())
            .map(|evidence| evidence_to_wire(&evidence)),
        feedback: Vec::new(),
        shadows: Vec::new(),
    }
}

fn feedback_record_to_wire(record: &FeedbackRecord) -> pb::Feedback {
    pb::Feedback {
        feedback_id: record.feedback_id.clone(),
        workflow_id: record.workflow_id.clone(),
        account_id: record.account_id.clone(),
        decision_id: record.decision_id.clone(),
        verdict: feedback_to_wire(Feedback::from_name(&record.verdict)) as i32,
        note_code: record.note_code.clone(),
        recorded_at: Some(ms_timestamp(record.recorded_at_ms)),
        sequence: u64::try_from(record.seq).unwrap_or(0),
        hash: record.hash.clone(),
        previous_hash: record.prev_hash.clone(),
    }
}

/// Prunes records older than `days` once an hour, keeping the chain
/// verifiable from a checkpoint. Runs until the server stops.
pub async fn retain(ledger: Ledger, days: u64) {
    let keep_ms = i64::try_from(days.saturating_mul(86_400_000)).unwrap_or(i64::MAX);
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        let now = verdict_ledger::now_ms();
        match ledger.store().prune(now.saturating_sub(keep_ms), now).await {
            Ok(0) => {}
            Ok(pruned) => {
                info!(pruned, days, "ledger retention pruned old records");
                metrics::ledger_pruned(pruned);
            }
            Err(error) => error!(%error, "ledger retention failed"),
        }
    }
}
