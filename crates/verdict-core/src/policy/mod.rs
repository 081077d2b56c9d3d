//! Policies: what each (capability, decision type, label) and each
//! transaction-level fact means for the business.
//!
//! A [`PolicySpec`] is the declarative content; [`Policy::compile`] validates it
//! once and builds lookup tables, so evaluation only does hash lookups.
//!
//! Finding rules match on capability, decision type and label, each of
//! capability and label either exact or `*` (any). The most specific rule wins,
//! capability before label:
//!
//! 1. `capability.TYPE.LABEL`
//! 2. `capability.TYPE.*`
//! 3. `*.TYPE.LABEL`
//! 4. `*.TYPE.*` — the fallback; every policy has one for each non-PASSED type.
//!
//! PASSED findings are neutral and never looked up.

pub mod default;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

pub use self::default::default_policy_spec;
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

/// A finding rule. `None` means any capability / any label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSpec {
    pub capability: Option<String>,
    pub decision_type: DecisionType,
    pub label: Option<String>,
    pub action: Action,
}

impl RuleSpec {
    /// `capability.TYPE.label`, with `*` for a wildcard.
    pub fn id(&self) -> String {
        format!(
            "{}.{}.{}",
            self.capability.as_deref().unwrap_or("*"),
            self.decision_type.name(),
            self.label.as_deref().unwrap_or("*")
        )
    }
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

/// A policy's declarative content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicySpec {
    pub id: String,
    pub version: String,
    pub description: String,
    pub rules: Vec<RuleSpec>,
    pub transaction: TransactionRules,
}

/// Identifies the exact policy behind a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRef {
    pub id: String,
    pub version: String,
    /// `sha256:<hex>` of the canonical content.
    pub digest: String,
}

/// Why a policy cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyError {
    #[error("rule {0} is defined more than once")]
    DuplicateRule(String),
    #[error("rule {0} can never fire: PASSED findings are neutral and never looked up")]
    PassedRule(String),
    #[error("no fallback rule *.{0}.*: every non-PASSED decision type needs one")]
    MissingFallback(&'static str),
    #[error("rule {rule}: code {code:?} is not SCREAMING_SNAKE_CASE")]
    BadCode { rule: String, code: String },
    #[error("policy id must not be empty")]
    EmptyId,
}

/// What matched: the rule's id and action, as evaluation hands them out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledRule {
    pub id: Arc<str>,
    pub action: Action,
}

#[derive(Debug, Clone, Default)]
struct LabelTable {
    by_label: HashMap<String, usize>,
    any_label: Option<usize>,
}

type TypeTables = [LabelTable; DecisionType::ALL.len()];

/// A validated policy with its lookup tables.
#[derive(Debug, Clone)]
pub struct Policy {
    spec: PolicySpec,
    reference: PolicyRef,
    rules: Vec<CompiledRule>,
    by_capability: HashMap<String, TypeTables>,
    any_capability: TypeTables,
    transaction: CompiledTransactionRules,
}

/// The transaction rules with their rule ids.
#[derive(Debug, Clone)]
pub struct CompiledTransactionRules {
    pub session_expired: CompiledRule,
    pub token_expired: CompiledRule,
    pub top_level_warning: CompiledRule,
    pub top_level_rejected: CompiledRule,
    pub top_level_not_executed: CompiledRule,
    pub top_level_unrecognised: CompiledRule,
    pub document_expired: CompiledRule,
    pub watchlist_hits: CompiledRule,
    pub nothing_verified: CompiledRule,
}

impl Policy {
    /// Validates `spec` and builds its lookup tables.
    pub fn compile(spec: PolicySpec) -> Result<Self, PolicyError> {
        if spec.id.is_empty() {
            return Err(PolicyError::EmptyId);
        }
        let mut rules = Vec::with_capacity(spec.rules.len());
        let mut by_capability: HashMap<String, TypeTables> = HashMap::new();
        let mut any_capability = TypeTables::default();
        for rule in &spec.rules {
            let id = rule.id();
            if rule.decision_type == DecisionType::Passed {
                return Err(PolicyError::PassedRule(id));
            }
            check_code(&id, &rule.action.code)?;
            let tables = match &rule.capability {
                Some(capability) => by_capability.entry(capability.clone()).or_default(),
                None => &mut any_capability,
            };
            let table = &mut tables[rule.decision_type.index()];
            let slot_taken = match &rule.label {
                Some(label) => table.by_label.insert(label.clone(), rules.len()).is_some(),
                None => table.any_label.replace(rules.len()).is_some(),
            };
            if slot_taken {
                return Err(PolicyError::DuplicateRule(id));
            }
            rules.push(CompiledRule {
                id: id.into(),
                action: rule.action.clone(),
            });
        }
        for decision_type in DecisionType::ALL {
            if decision_type != DecisionType::Passed
                && any_capability[decision_type.index()].any_label.is_none()
            {
                return Err(PolicyError::MissingFallback(decision_type.name()));
            }
        }
        let transaction = compile_transaction_rules(&spec.transaction)?;
        let reference = PolicyRef {
            id: spec.id.clone(),
            version: spec.version.clone(),
            digest: digest(&spec),
        };
        Ok(Self {
            spec,
            reference,
            rules,
            by_capability,
            any_capability,
            transaction,
        })
    }

    /// The embedded default policy: the seed guidance, refined by the catalogue.
    pub fn embedded_default() -> Self {
        // The embedded spec is a constant of this crate; its validity is tested,
        // so failing here is a build defect, not an input error.
        #[expect(
            clippy::expect_used,
            reason = "the embedded policy is tested to compile"
        )]
        Self::compile(default_policy_spec()).expect("the embedded default policy compiles")
    }

    pub fn reference(&self) -> &PolicyRef {
        &self.reference
    }

    pub fn spec(&self) -> &PolicySpec {
        &self.spec
    }

    pub fn transaction_rules(&self) -> &CompiledTransactionRules {
        &self.transaction
    }

    /// The most specific rule for a non-PASSED finding. Always finds one: every
    /// type has a fallback (checked by [`Policy::compile`]).
    pub fn rule_for(
        &self,
        capability: &str,
        decision_type: DecisionType,
        label: &str,
    ) -> &CompiledRule {
        let index = decision_type.index();
        let specific = self
            .by_capability
            .get(capability)
            .map(|tables| &tables[index])
            .and_then(|table| table.by_label.get(label).copied().or(table.any_label));
        let general = &self.any_capability[index];
        let chosen = specific
            .or_else(|| general.by_label.get(label).copied())
            .or(general.any_label)
            // Only PASSED lacks a fallback, and PASSED is never looked up; the
            // first rule keeps this total without a panic path.
            .unwrap_or(0);
        &self.rules[chosen]
    }
}

fn compile_transaction_rules(
    rules: &TransactionRules,
) -> Result<CompiledTransactionRules, PolicyError> {
    let compiled = |id: &str, action: &Action| -> Result<CompiledRule, PolicyError> {
        check_code(id, &action.code)?;
        Ok(CompiledRule {
            id: id.into(),
            action: action.clone(),
        })
    };
    Ok(CompiledTransactionRules {
        session_expired: compiled("status.SESSION_EXPIRED", &rules.session_expired)?,
        token_expired: compiled("status.TOKEN_EXPIRED", &rules.token_expired)?,
        top_level_warning: compiled("top_level.WARNING", &rules.top_level_warning)?,
        top_level_rejected: compiled("top_level.REJECTED", &rules.top_level_rejected)?,
        top_level_not_executed: compiled("top_level.NOT_EXECUTED", &rules.top_level_not_executed)?,
        top_level_unrecognised: compiled("top_level.UNRECOGNISED", &rules.top_level_unrecognised)?,
        document_expired: compiled("document.expired", &rules.document_expired)?,
        watchlist_hits: compiled("watchlist.search_results", &rules.watchlist_hits)?,
        nothing_verified: compiled("workflow.nothing_verified", &rules.nothing_verified)?,
    })
}

fn check_code(rule: &str, code: &str) -> Result<(), PolicyError> {
    let well_formed = code.starts_with(|c: char| c.is_ascii_uppercase())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if well_formed {
        Ok(())
    } else {
        Err(PolicyError::BadCode {
            rule: rule.to_owned(),
            code: code.to_owned(),
        })
    }
}

/// `sha256:<hex>` of the spec's canonical JSON (fields in declaration order,
/// rules in policy order), so equal content gives an equal digest.
fn digest(spec: &PolicySpec) -> String {
    // Serializing plain structs of strings and enums to a Vec cannot fail.
    let canonical = serde_json::to_vec(spec).unwrap_or_default();
    let hash = Sha256::digest(&canonical);
    let mut hex = String::with_capacity(7 + 2 * hash.len());
    hex.push_str("sha256:");
    for byte in hash {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(outcome: Outcome, code: &str) -> Action {
        Action {
            outcome,
            code: code.to_owned(),
            message: String::new(),
            user_message: None,
        }
    }

    fn rule(
        capability: Option<&str>,
        decision_type: DecisionType,
        label: Option<&str>,
        code: &str,
    ) -> RuleSpec {
        RuleSpec {
            capability: capability.map(str::to_owned),
            decision_type,
            label: label.map(str::to_owned),
            action: action(Outcome::Review, code),
        }
    }

    fn spec_with(rules: Vec<RuleSpec>) -> PolicySpec {
        let mut spec = default_policy_spec();
        spec.rules = rules;
        spec
    }

    fn fallbacks() -> Vec<RuleSpec> {
        [
            DecisionType::Warning,
            DecisionType::Rejected,
            DecisionType::NotExecuted,
            DecisionType::Other,
        ]
        .into_iter()
        .map(|t| rule(None, t, None, "FALLBACK"))
        .collect()
    }

    #[test]
    fn the_most_specific_rule_wins_capability_before_label() {
        let mut rules = fallbacks();
        rules.push(rule(
            Some("usability"),
            DecisionType::Rejected,
            Some("GLARE"),
            "EXACT",
        ));
        rules.push(rule(
            Some("usability"),
            DecisionType::Rejected,
            None,
            "CAPABILITY_ANY_LABEL",
        ));
        rules.push(rule(
            None,
            DecisionType::Rejected,
            Some("GLARE"),
            "ANY_CAPABILITY_LABEL",
        ));
        let policy = Policy::compile(spec_with(rules)).expect("valid policy");
        let code = |cap, label| {
            policy
                .rule_for(cap, DecisionType::Rejected, label)
                .action
                .code
                .as_str()
        };
        assert_eq!(code("usability", "GLARE"), "EXACT");
        assert_eq!(code("usability", "BLURRED"), "CAPABILITY_ANY_LABEL");
        assert_eq!(code("liveness", "GLARE"), "ANY_CAPABILITY_LABEL");
        assert_eq!(code("liveness", "BLURRED"), "FALLBACK");
        assert_eq!(
            policy
                .rule_for("liveness", DecisionType::Rejected, "BLURRED")
                .id
                .as_ref(),
            "*.REJECTED.*"
        );
    }

    #[test]
    fn duplicate_rules_are_rejected() {
        let mut rules = fallbacks();
        rules.push(rule(
            Some("imageChecks"),
            DecisionType::Rejected,
            Some("FAKE"),
            "A",
        ));
        rules.push(rule(
            Some("imageChecks"),
            DecisionType::Rejected,
            Some("FAKE"),
            "B",
        ));
        assert_eq!(
            Policy::compile(spec_with(rules))
                .expect_err("duplicate")
                .to_string(),
            "rule imageChecks.REJECTED.FAKE is defined more than once"
        );
    }

    #[test]
    fn every_non_passed_type_needs_a_fallback() {
        let mut rules = fallbacks();
        rules.retain(|r| r.decision_type != DecisionType::NotExecuted);
        assert_eq!(
            Policy::compile(spec_with(rules)).expect_err("no fallback"),
            PolicyError::MissingFallback("NOT_EXECUTED")
        );
    }

    #[test]
    fn a_policy_needs_an_id() {
        let mut spec = default_policy_spec();
        spec.id.clear();
        assert_eq!(
            Policy::compile(spec).expect_err("no id"),
            PolicyError::EmptyId
        );
    }

    #[test]
    fn passed_rules_and_malformed_codes_are_rejected() {
        let mut rules = fallbacks();
        rules.push(rule(
            Some("usability"),
            DecisionType::Passed,
            Some("OK"),
            "NEVER",
        ));
        assert!(matches!(
            Policy::compile(spec_with(rules)),
            Err(PolicyError::PassedRule(_))
        ));
        let mut rules = fallbacks();
        rules.push(rule(
            Some("usability"),
            DecisionType::Rejected,
            Some("GLARE"),
            "glare-ish",
        ));
        assert!(matches!(
            Policy::compile(spec_with(rules)),
            Err(PolicyError::BadCode { .. })
        ));
    }

    #[test]
    fn digest_changes_with_content_and_only_with_content() {
        let policy = Policy::embedded_default();
        let again = Policy::embedded_default();
        assert_eq!(policy.reference().digest, again.reference().digest);
        assert!(policy.reference().digest.starts_with("sha256:"));
        assert_eq!(policy.reference().digest.len(), "sha256:".len() + 64);
        let mut changed = default_policy_spec();
        changed.rules[0].action.outcome = Outcome::Decline;
        let changed = Policy::compile(changed).expect("still valid");
        assert_ne!(policy.reference().digest, changed.reference().digest);
    }
}
