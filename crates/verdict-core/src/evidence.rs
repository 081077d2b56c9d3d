//! Evidence: what is known beyond the workflow result — the earlier
//! workflows Jumio's face search found (their account, latest decision and
//! the business's feedback), the account's earlier RETRY decisions, and the
//! channel the user took. The server gathers it from the decision ledger,
//! or the caller passes it; either way a decision is a pure function of
//! (workflow, policy, evidence), and the evidence is recorded with it
//! (`facts::to_json`), so it replays exactly.
//!
//! Ids, outcomes and codes only: no personal data.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::model::Outcome;

/// Most earlier workflows one evidence holds: a face search lists at most
/// [`crate::MAX_FACE_SEARCH_FINDINGS`].
pub const MAX_KNOWN_WORKFLOWS: usize = 100;
/// Most earlier retries one evidence holds; a retry budget counts at most
/// this many ([`MAX_RETRY_ATTEMPTS`]).
pub const MAX_PRIOR_RETRIES: usize = 100;
/// The largest `attempts` a `[retry.budget]` may allow.
pub const MAX_RETRY_ATTEMPTS: u32 = 99;
/// The channels Jumio's workflows are run through ("Allowed channels: API,
/// SDK, WEB" in its workflow descriptions).
pub const CHANNELS: [&str; 3] = ["WEB", "SDK", "API"];

/// What is known beyond the workflow result. The default knows nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// Earlier workflows, by id: those the face search found that the ledger
    /// or the caller knows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workflows: Vec<KnownWorkflow>,
    /// The account's earlier RETRY decisions (of other workflows).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retries: Vec<PriorRetry>,
    /// The channel this workflow ran through (one of [`CHANNELS`]), when the
    /// caller says: the retrieval body does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

/// What is known of an earlier workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownWorkflow {
    pub workflow_id: String,
    /// Its account (`account.id`); empty when not known.
    #[serde(default)]
    pub account_id: String,
    /// Its latest decision's outcome and result code, when decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_code: Option<String>,
    /// The business's latest judgement of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<Feedback>,
}

/// An earlier RETRY decision of the same account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorRetry {
    pub workflow_id: String,
    /// Its workflow's `completedAt`: the retry budget's window is measured
    /// between completions, never on a clock.
    #[serde(
        default,
        with = "crate::model::stored::timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub completed_at: Option<OffsetDateTime>,
}

/// The business's later judgement of a workflow (`RecordFeedback`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Feedback {
    FraudConfirmed,
    Legitimate,
    Inconclusive,
}

impl Feedback {
    pub const ALL: [Feedback; 3] = [Self::FraudConfirmed, Self::Legitimate, Self::Inconclusive];

    pub fn name(self) -> &'static str {
        match self {
            Self::FraudConfirmed => "FRAUD_CONFIRMED",
            Self::Legitimate => "LEGITIMATE",
            Self::Inconclusive => "INCONCLUSIVE",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|feedback| feedback.name() == name)
    }
}

/// How the workflows a face search found relate to this one's account: the
/// value of the `face_search` condition. Per found workflow it is one of the
/// first four; for the search as a whole also `pending` or `error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaceRelation {
    /// Every found workflow belongs to this account: the user's own retries.
    SameAccount,
    /// A found workflow belongs to another account: a possible duplicate account.
    OtherAccount,
    /// A found workflow was declined for fraud or has fraud feedback.
    Fraud,
    /// A found workflow is not known.
    Unresolved,
    /// Jumio's search has not finished.
    Pending,
    /// Jumio's search failed (or reported a status verdict does not know).
    Error,
}

impl FaceRelation {
    pub const ALL: [FaceRelation; 6] = [
        Self::SameAccount,
        Self::OtherAccount,
        Self::Fraud,
        Self::Unresolved,
        Self::Pending,
        Self::Error,
    ];

    /// As policies write it.
    pub fn name(self) -> &'static str {
        match self {
            Self::SameAccount => "same_account",
            Self::OtherAccount => "other_account",
            Self::Fraud => "fraud",
            Self::Unresolved => "unresolved",
            Self::Pending => "pending",
            Self::Error => "error",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|relation| relation.name() == name)
    }
}

impl Evidence {
    pub fn is_empty(&self) -> bool {
        self.workflows.is_empty() && self.retries.is_empty() && self.channel.is_none()
    }

    /// One entry per workflow (the first given wins), in id order, so that
    /// equal evidence is recorded as equal text whatever order it came in.
    pub fn normalize(&mut self) {
        self.workflows
            .sort_by(|a, b| a.workflow_id.cmp(&b.workflow_id));
        self.workflows
            .dedup_by(|later, first| later.workflow_id == first.workflow_id);
        self.retries
            .sort_by(|a, b| a.workflow_id.cmp(&b.workflow_id));
        self.retries
            .dedup_by(|later, first| later.workflow_id == first.workflow_id);
        self.retries.sort_by(|a, b| {
            a.completed_at
                .cmp(&b.completed_at)
                .then_with(|| a.workflow_id.cmp(&b.workflow_id))
        });
    }

    /// What is known of `workflow_id`.
    pub fn workflow(&self, workflow_id: &str) -> Option<&KnownWorkflow> {
        self.workflows
            .iter()
            .find(|known| known.workflow_id == workflow_id)
    }
}

/// The empty evidence, for evaluations without any.
pub static NONE: Evidence = Evidence {
    workflows: Vec::new(),
    retries: Vec::new(),
    channel: None,
};
