//! What the ledger keeps of a decision: ids, outcome, codes, the policy, the
//! input's SHA-256 and the PII-free facts the policy read — never free text
//! or personal data.

use serde::{Deserialize, Serialize};

/// A decision to record, as the server made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub workflow_id: String,
    pub account_id: String,
    /// `completedAt` in RFC 3339 (UTC), or empty when the input had none.
    pub completed_at: String,
    pub outcome: String,
    pub result_code: String,
    pub reasons: Vec<ReasonRecord>,
    pub policy: PolicyKey,
    /// `sha256:<hex>` of the input as received: the JSON body's bytes, or the
    /// typed message's protobuf encoding.
    pub input_sha256: String,
    /// The facts the policy language reads, as `verdict_core::facts` writes them.
    pub facts: String,
    /// Shadow policies that disagreed with this decision: recorded beside
    /// it, outside the hash chain. Not read back with the record (see
    /// `Reads::shadows_of`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shadows: Vec<ShadowRecord>,
}

/// What a shadow policy decided where it disagreed with the live decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShadowRecord {
    pub policy: PolicyKey,
    pub outcome: String,
    pub result_code: String,
    /// The rule of its first reason (its result code's), empty when it
    /// approves with none.
    pub rule_id: String,
}

/// One reason, as codes: capability, type, label, the rule that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonRecord {
    pub capability: String,
    /// The decision type as spelled in the input.
    pub decision_type: String,
    pub label: String,
    pub outcome: String,
    pub rule_id: String,
    pub code: String,
    pub root_cause: bool,
    /// The capability execution's id, when the reason comes from one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub entry_id: String,
}

/// Which policy decided.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PolicyKey {
    pub id: String,
    pub version: String,
    /// `sha256:<hex>` of the policy's canonical content.
    pub digest: String,
}

/// A policy's text, kept by digest the first time it decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyText {
    pub key: PolicyKey,
    pub content: String,
}

/// A recorded decision: the draft, where it sits in the chain, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// UUIDv7: time-ordered.
    pub decision_id: String,
    /// 1 for a workflow's first decision, then one more for each decision of
    /// the same workflow from a different input or policy.
    pub workflow_version: i64,
    /// Server wall clock when recorded (ledger metadata; never read by a decision).
    pub recorded_at_ms: i64,
    #[serde(flatten)]
    pub draft: Draft,
    pub prev_hash: String,
    pub hash: String,
}

/// How an append went for one draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub decision_id: String,
    pub seq: i64,
    pub workflow_version: i64,
    pub kind: AppendKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendKind {
    /// A new record: the workflow's first decision.
    New,
    /// The same input for the same workflow under the same policy, with
    /// the same facts (evidence included), was already recorded: that
    /// record's id is returned, nothing is written.
    Existing,
    /// The workflow was decided before from another input or policy: a new
    /// version, after `previous` (the decision id of the latest version).
    NewVersion { previous: String },
}

/// The business's later judgement of a decided workflow: codes only, never
/// free text or personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackDraft {
    pub workflow_id: String,
    /// What the business concluded, as a code (e.g. `FRAUD_CONFIRMED`).
    pub verdict: String,
    /// A code saying why, or empty.
    pub note_code: String,
}

/// A recorded feedback, in the feedback chain (its own chain, beside the
/// decisions').
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackRecord {
    /// Position in the feedback chain, from 1.
    pub seq: i64,
    /// UUIDv7: time-ordered.
    pub feedback_id: String,
    pub workflow_id: String,
    /// The account of the workflow's latest recorded decision when the
    /// feedback was recorded.
    pub account_id: String,
    /// The workflow's latest recorded decision when the feedback was recorded.
    pub decision_id: String,
    pub verdict: String,
    pub note_code: String,
    /// Server wall clock when recorded.
    pub recorded_at_ms: i64,
    pub prev_hash: String,
    pub hash: String,
}

/// The latest recorded decision of a workflow, in brief.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowSummary {
    pub workflow_id: String,
    pub account_id: String,
    pub outcome: String,
    pub result_code: String,
    pub decision_id: String,
    pub workflow_version: i64,
}

/// What `record_feedback` gave back: the record, and whether it was
/// already there (the same judgement of the same decision, sent again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenFeedback {
    pub record: FeedbackRecord,
    pub already_recorded: bool,
}

/// What a replay reads of a recorded decision: what was decided, and the
/// facts to decide again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedFacts {
    pub seq: i64,
    pub decision_id: String,
    pub workflow_id: String,
    pub outcome: String,
    pub result_code: String,
    pub facts: String,
}

/// A recorded RETRY decision of an account, in brief: which workflow, and
/// when it completed (`completedAt` in RFC 3339, or empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRetry {
    pub account_id: String,
    pub workflow_id: String,
    pub completed_at: String,
}
