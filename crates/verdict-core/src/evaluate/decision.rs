//! What evaluation produces: an outcome, its reasons and the policy that decided.

use super::account::{FaceSearchResolution, RetryHistory};
use crate::model::{DecisionType, Outcome};
use crate::policy::PolicyRef;

/// The result code of a decision without reasons.
pub const APPROVED: &str = "APPROVED";

/// A decision. Borrows from the workflow result and the policy it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<'a> {
    pub outcome: Outcome,
    /// The code of the first reason, or [`APPROVED`] when there is none.
    pub result_code: &'a str,
    /// Root causes first, then worst outcome first, then worst Jumio decision
    /// type, then by capability name, then in input order: the same content
    /// always gives the same order.
    pub reasons: Vec<Reason<'a>>,
    pub policy: &'a PolicyRef,
    pub workflow_id: Option<&'a str>,
    pub account_id: Option<&'a str>,
    /// The face search, resolved through the evidence, when there was one.
    pub face_search: Option<FaceSearchResolution<'a>>,
    /// The account's earlier retries, when the outcome was RETRY and the
    /// policy counts them.
    pub retries: Option<RetryHistory<'a>>,
}

/// One thing the policy found.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason<'a> {
    /// A capability key as spelled in the input, or `workflow` / `decision` for
    /// rules on the workflow status and the top-level decision.
    pub capability: &'a str,
    pub decision_type: DecisionType,
    /// The decision type as spelled in the input.
    pub raw_decision_type: &'a str,
    pub label: &'a str,
    pub outcome: Outcome,
    pub code: &'a str,
    pub message: &'a str,
    pub user_message: Option<&'a str>,
    /// False for consequences of another failure; they only decide when
    /// nothing else does.
    pub root_cause: bool,
    pub rule_id: &'a str,
    /// Whether (capability, type, label) is in the label catalogue.
    pub catalogued: bool,
    pub entry_id: Option<&'a str>,
    pub credential_categories: &'a [std::borrow::Cow<'a, str>],
    /// Which of the decision's evidence this reason rests on.
    pub cites: Cites,
}

/// The evidence a reason rests on: [`Decision::face_search`] (its rule reads
/// the `face_search` condition) or [`Decision::retries`] (the retry budget or
/// channel rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cites {
    pub face_search: bool,
    pub retries: bool,
}
