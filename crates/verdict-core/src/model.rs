//! The parts of a Jumio workflow result that decisions read.
//!
//! Strings borrow from the input where they can (`Cow`), so parsing a body or
//! mapping a typed request copies little. Unknown capabilities, labels, decision
//! types and statuses are kept with their raw spelling, never rejected.

use std::borrow::Cow;

use serde::{Serialize, Serializer};
use time::Date;

/// A workflow result, from the retrieval API's JSON body or from typed input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorkflowResult<'a> {
    /// `workflow.id`.
    pub workflow_id: Option<Cow<'a, str>>,
    /// `workflow.status` as spelled in the input.
    pub status: Cow<'a, str>,
    /// `workflow.definitionKey`.
    pub definition_key: Option<Cow<'a, str>>,
    /// `account.id`.
    pub account_id: Option<Cow<'a, str>>,
    /// The UTC calendar date of `completedAt`: the "today" of every date rule,
    /// so that a decision never depends on when it is evaluated.
    pub completed_on: Option<Date>,
    /// The top-level `decision`, when present.
    pub decision: Option<TopLevelDecision<'a>>,
    /// `capabilities`, in input order.
    pub capabilities: Vec<Capability<'a>>,
}

impl WorkflowResult<'_> {
    /// The status, classified.
    pub fn workflow_status(&self) -> WorkflowStatus {
        WorkflowStatus::from_name(&self.status)
    }
}

/// The top-level `decision` object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TopLevelDecision<'a> {
    /// `decision.type` as spelled in the input.
    pub raw_decision_type: Cow<'a, str>,
    /// `decision.details.label`.
    pub label: Cow<'a, str>,
    /// `decision.risk.score`, from -1 to 100.
    pub risk_score: Option<f64>,
}

impl TopLevelDecision<'_> {
    /// The decision type, classified.
    pub fn decision_type(&self) -> DecisionType {
        DecisionType::from_name(&self.raw_decision_type)
    }
}

/// One key of `capabilities` with its array of entries.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Capability<'a> {
    /// The key as spelled in the input, e.g. `imageChecks`.
    pub name: Cow<'a, str>,
    pub entries: Vec<CapabilityEntry<'a>>,
}

/// One element of a capability's array.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CapabilityEntry<'a> {
    /// The capability-execution id.
    pub id: Option<Cow<'a, str>>,
    /// `credentials[].category` of the credentials this entry evaluated.
    pub credential_categories: Vec<Cow<'a, str>>,
    /// `decision.type` as spelled in the input.
    pub raw_decision_type: Cow<'a, str>,
    /// `decision.details.label` as spelled in the input (empty when absent).
    pub label: Cow<'a, str>,
    /// The parts of `data` that policies read.
    pub data: CapabilityData<'a>,
}

impl CapabilityEntry<'_> {
    /// The decision type, classified.
    pub fn decision_type(&self) -> DecisionType {
        DecisionType::from_name(&self.raw_decision_type)
    }
}

/// The parts of a capability entry's `data` that policies read. Only the
/// capabilities that carry a field fill it (extraction for document fields,
/// watchlistScreening for `searchResults`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CapabilityData<'a> {
    /// extraction `data.type`, e.g. `PASSPORT`.
    pub document_type: Option<Cow<'a, str>>,
    /// extraction `data.subType`.
    pub document_sub_type: Option<Cow<'a, str>>,
    /// extraction `data.issuingCountry` (ISO-3166 alpha-3).
    pub issuing_country: Option<Cow<'a, str>>,
    /// extraction `data.expiryDate`.
    pub expiry_date: Option<Date>,
    /// extraction `data.dateOfBirth`.
    pub date_of_birth: Option<Date>,
    /// watchlistScreening `data.searchResults`: the number of list hits.
    pub search_results: Option<u64>,
}

/// The business action. Declared from best to worst, so `Ord` is the
/// combination order: the worst outcome among the root causes wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    Approve,
    Review,
    Retry,
    Decline,
}

impl Outcome {
    /// Every outcome, from best to worst.
    pub const ALL: [Outcome; 4] = [Self::Approve, Self::Review, Self::Retry, Self::Decline];

    /// The outcome spelled `name` (as [`Outcome::name`] writes it).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|outcome| outcome.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Approve => "APPROVE",
            Self::Review => "REVIEW",
            Self::Retry => "RETRY",
            Self::Decline => "DECLINE",
        }
    }
}

/// The risk scores Jumio gives: `decision.risk.score` lies in this range.
pub const RISK_SCORES: std::ops::RangeInclusive<f64> = -1.0..=100.0;

/// `workflow.status`, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkflowStatus {
    Initiated,
    Acquired,
    Processed,
    SessionExpired,
    TokenExpired,
    /// A status verdict does not know: treated as not final.
    Other,
}

impl WorkflowStatus {
    pub fn from_name(name: &str) -> Self {
        match name {
            "INITIATED" => Self::Initiated,
            "ACQUIRED" => Self::Acquired,
            "PROCESSED" => Self::Processed,
            "SESSION_EXPIRED" => Self::SessionExpired,
            "TOKEN_EXPIRED" => Self::TokenExpired,
            _ => Self::Other,
        }
    }
}

/// Jumio's decision types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DecisionType {
    Passed,
    Warning,
    Rejected,
    NotExecuted,
    /// A type verdict does not know; its spelling stays in the input model.
    Other,
}

impl DecisionType {
    /// Every variant, in a fixed order (used to index per-type tables).
    pub const ALL: [DecisionType; 5] = [
        Self::Passed,
        Self::Warning,
        Self::Rejected,
        Self::NotExecuted,
        Self::Other,
    ];

    pub fn from_name(name: &str) -> Self {
        match name {
            "PASSED" => Self::Passed,
            "WARNING" => Self::Warning,
            "REJECTED" => Self::Rejected,
            "NOT_EXECUTED" => Self::NotExecuted,
            _ => Self::Other,
        }
    }

    /// The spelling Jumio uses; `UNRECOGNISED` for [`DecisionType::Other`], the
    /// name policies use for "any type verdict does not know".
    pub fn name(self) -> &'static str {
        match self {
            Self::Passed => "PASSED",
            Self::Warning => "WARNING",
            Self::Rejected => "REJECTED",
            Self::NotExecuted => "NOT_EXECUTED",
            Self::Other => "UNRECOGNISED",
        }
    }

    /// How bad Jumio rates a finding of this type, to order reasons whose
    /// outcomes are equal: REJECTED, then a type verdict does not know, then
    /// WARNING, NOT_EXECUTED and PASSED.
    pub fn severity(self) -> u8 {
        match self {
            Self::Rejected => 4,
            Self::Other => 3,
            Self::Warning => 2,
            Self::NotExecuted => 1,
            Self::Passed => 0,
        }
    }

    /// Position in [`DecisionType::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl Serialize for DecisionType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}
