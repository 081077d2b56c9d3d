//! A policy's declarative content: what a policy file says, after parsing and
//! before validation. [`super::Policy::compile`] turns it into lookup tables.
//!
//! The digest of a policy is taken over this content serialized as JSON, so
//! field order here is part of the digest: append, never reorder.

use serde::Serialize;

use crate::decision::Outcome;
use crate::model::DecisionType;

/// What a rule does when it matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    pub outcome: Outcome,
    /// Stable SCREAMING_SNAKE code.
    pub code: String,
    /// For an analyst.
    pub message: String,
    /// For the end user, when they can act on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_message: Option<String>,
}

/// An inclusive range of risk scores; an open end is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct ScoreRange {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl ScoreRange {
    pub fn contains(self, score: f64) -> bool {
        self.min.is_none_or(|min| score >= min) && self.max.is_none_or(|max| score <= max)
    }

    /// Whether some score lies in both ranges.
    pub fn overlaps(self, other: Self) -> bool {
        let low = max_of(self.min, other.min);
        let high = min_of(self.max, other.max);
        match (low, high) {
            (Some(low), Some(high)) => low <= high,
            _ => true,
        }
    }
}

fn max_of(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn min_of(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Facts about the workflow a finding rule can require; all that are set must
/// hold. A fact the workflow does not carry (no extraction, no score) fails
/// every condition on it.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Conditions {
    /// The document's issuing country (ISO 3166 alpha-3) is one of these.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<Vec<String>>,
    /// The document's issuing country is none of these.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_not: Option<Vec<String>>,
    /// extraction `data.type` is one of these (e.g. PASSPORT, ID_CARD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_type: Option<Vec<String>>,
    /// `workflow.definitionKey` is one of these.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition_key: Option<Vec<String>>,
    /// `decision.risk.score` lies in this range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_score: Option<ScoreRange>,
    /// Jumio's top-level decision type is one of these.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_level: Option<Vec<DecisionType>>,
}

/// A finding rule. `None` means any capability / any label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSpec {
    /// An explicit id; by default `capability.TYPE.label` plus its conditions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub capability: Option<String>,
    pub decision_type: DecisionType,
    pub label: Option<String>,
    pub when: Conditions,
    pub action: Action,
}

/// Rules about the transaction as a whole rather than one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransactionRules {
    /// `workflow.status` SESSION_EXPIRED: the user abandoned.
    pub session_expired: Action,
    /// `workflow.status` TOKEN_EXPIRED: the user abandoned.
    pub token_expired: Action,
    /// The least outcome a top-level WARNING allows (the top level is a floor).
    pub top_level_warning: Action,
    /// The least outcome a top-level REJECTED allows.
    pub top_level_rejected: Action,
    /// The least outcome a top-level NOT_EXECUTED allows.
    pub top_level_not_executed: Action,
    /// The least outcome an unrecognised top-level decision type allows.
    pub top_level_unrecognised: Action,
    /// `extraction.data.expiryDate` before the day of `completedAt`. Jumio does
    /// not flag expired documents by default.
    pub document_expired: Action,
    /// watchlistScreening PASSED but `data.searchResults` above zero.
    pub watchlist_hits: Action,
    /// PROCESSED with no capability results: nothing about the person was
    /// verified (upload-only workflows pass with `capabilities: {}`).
    pub nothing_verified: Action,
}

/// A document that expires within `within_days` of `completedAt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpiringCheck {
    pub within_days: u32,
    pub action: Action,
}

/// An allow list and/or a deny list of values (countries, document types).
/// A value fails when it is denied, or when an allow list exists without it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListCheck {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow: Option<Vec<String>>,
    pub deny: Vec<String>,
    pub action: Action,
}

impl ListCheck {
    pub fn fails(&self, value: &str) -> bool {
        self.deny.iter().any(|denied| denied == value)
            || self
                .allow
                .as_ref()
                .is_some_and(|allow| !allow.iter().any(|allowed| allowed == value))
    }
}

/// A person younger than `years` on the day of `completedAt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgeCheck {
    pub years: u32,
    pub action: Action,
}

/// A risk-score band; bands may not overlap.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskBand {
    pub range: ScoreRange,
    pub action: Action,
}

/// Optional checks over facts of the whole workflow. Each fires at most once,
/// only for PROCESSED workflows, and only when the facts it reads are present.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Checks {
    pub document_expiring: Option<ExpiringCheck>,
    pub document_country: Option<ListCheck>,
    pub document_type: Option<ListCheck>,
    pub minimum_age: Option<AgeCheck>,
    pub risk: Vec<RiskBand>,
}

/// A policy's declarative content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicySpec {
    pub id: String,
    pub version: String,
    pub description: String,
    /// Outcomes from least to most severe; the worst root cause decides.
    pub outcome_order: Vec<Outcome>,
    pub rules: Vec<RuleSpec>,
    pub transaction: TransactionRules,
    pub checks: Checks,
}

/// The combination order when a policy does not give one.
pub const DEFAULT_OUTCOME_ORDER: [Outcome; 4] = [
    Outcome::Approve,
    Outcome::Review,
    Outcome::Retry,
    Outcome::Decline,
];
