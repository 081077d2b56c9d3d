//! A policy's declarative content: what a policy file says, after parsing and
//! before validation. `Policy::compile` (`compile.rs`) turns it into lookup tables.
//!
//! The digest of a policy is taken over this content serialized as JSON, so
//! field order here is part of the digest: append, never reorder.

use std::collections::BTreeMap;

use serde::Serialize;

use super::cascade::CascadeSpec;
pub use super::conditions::{Conditions, ScoreRange};
use super::transaction::PerTransactionRule;
use crate::model::{DecisionType, Outcome};

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

impl Action {
    /// A PASSED finding whose label is none Jumio passes a check with
    /// (liveness PASSED with `LIVENESS_UNDETERMINED`): flagged and decided
    /// by its type, so neutral. What a policy without `[passed.uncatalogued]`
    /// does; the default policy says the same.
    pub fn uncatalogued_pass() -> Self {
        Self {
            outcome: Outcome::Approve,
            code: "UNCATALOGUED_PASS".to_owned(),
            message: "Jumio passed this check with a label verdict's catalogue does not list as a pass (a new label, or one that contradicts the pass); decided by its type".to_owned(),
            user_message: None,
        }
    }
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

/// Each transaction rule's action: rules about the transaction as a whole
/// rather than one finding.
pub type TransactionRules = PerTransactionRule<Action>;

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

/// What a RETRY becomes when one of its root causes is a fraud-type warning
/// (`[retry.fraud_warning]`): asking someone flagged for a possible duplicate
/// account, a different person or a watchlist hit to simply try again would
/// hide the warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FraudWarningRule {
    /// The codes of the reasons that are fraud-type warnings.
    pub codes: Vec<String>,
    pub action: Action,
}

/// `[repeated_face]`: what the `face_search` condition needs to know besides
/// the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepeatedFaceSpec {
    /// Result codes of earlier decisions that mean "declined for fraud": a
    /// found workflow whose latest decision is a DECLINE with one of these
    /// (and no LEGITIMATE feedback since) makes the relation `fraud`, as
    /// FRAUD_CONFIRMED feedback does.
    pub fraud_codes: Vec<String>,
}

/// `[retry.budget]`: past `attempts` earlier RETRY decisions of the same
/// account within `window_days` (between completions), a RETRY becomes this
/// rule's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetryBudget {
    pub attempts: u32,
    pub window_days: u32,
    pub action: Action,
}

/// `[retry.other_channel]`: a RETRY of an account already asked to retry
/// (within the budget's window) suggests another channel: the user message
/// for the channel this workflow ran through (`suggest`), or the action's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtherChannel {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub suggest: BTreeMap<String, String>,
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
    /// Which NOT_EXECUTED findings are consequences of an upstream failure;
    /// `None` (a file without `[cascade]`) means Jumio's documented graph,
    /// [`CascadeSpec::jumio`]. Left out of the digest when `None`, so the
    /// digest of a policy written before the setting existed is unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cascade: Option<CascadeSpec>,
    /// `None`: a RETRY stays a RETRY whatever warnings come with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fraud_warning: Option<FraudWarningRule>,
    /// What a PASSED finding whose label is none Jumio passes a check with
    /// gives (`[passed.uncatalogued]`); `None` means
    /// [`Action::uncatalogued_pass`]. Left out of the digest when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed_uncatalogued: Option<Action>,
    /// `[document.birth_after_completion]`: a date of birth after the day of
    /// `completedAt` (a misread or a forged document). `None`: not checked.
    /// Left out of the digest when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_after_completion: Option<Action>,
    /// `[repeated_face]`; `None`: only FRAUD_CONFIRMED feedback makes a found
    /// workflow `fraud`. Left out of the digest when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeated_face: Option<RepeatedFaceSpec>,
    /// `[retry.budget]`; `None`: no budget. Left out of the digest when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_budget: Option<RetryBudget>,
    /// `[retry.other_channel]`; `None`: a RETRY keeps its own user message.
    /// Left out of the digest when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_channel: Option<OtherChannel>,
}

/// The combination order when a policy does not give one: best to worst.
pub const DEFAULT_OUTCOME_ORDER: [Outcome; 4] = Outcome::ALL;
