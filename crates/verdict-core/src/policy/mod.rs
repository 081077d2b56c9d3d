//! Policies: what each (capability, decision type, label), each transaction
//! fact and each optional check means for the business.
//!
//! A [`PolicySpec`] is the declarative content (written as a TOML file, read by
//! [`file`]); `Policy::compile` (in `compile.rs`) validates it once and builds
//! lookup tables, so evaluation only does hash lookups and a few comparisons.
//! This module holds the compiled [`Policy`], its lookups and its errors.
//!
//! Finding rules match on capability, decision type and label, each of
//! capability and label either exact or `*` (any), plus optional conditions on
//! the workflow's facts. The most specific rule whose conditions hold wins:
//!
//! 1. `capability.TYPE.LABEL`
//! 2. `capability.TYPE.*`
//! 3. `*.TYPE.LABEL`
//! 4. `*.TYPE.*` — the fallback; every policy has one without conditions for
//!    each non-PASSED type.
//!
//! Within one of these levels, a rule with more conditions is more specific.
//! Two rules of the same level and the same number of conditions that one
//! workflow could both satisfy are a tie, and a tie is a validation error.
//!
//! PASSED findings are neutral and never looked up.

pub mod cascade;
mod compile;
pub mod conditions;
pub mod default;
pub mod file;
pub mod spec;
pub mod transaction;

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::sync::Arc;

pub use self::cascade::{CascadeSpec, CompiledCascade};
pub use self::conditions::{Condition, Conditions, Credentials, Fact, Facts, ScoreRange};
pub use self::spec::{
    Action, AgeCheck, Checks, DEFAULT_OUTCOME_ORDER, ExpiringCheck, FraudWarningRule, ListCheck,
    OtherChannel, PolicySpec, RepeatedFaceSpec, RetryBudget, RiskBand, RuleSpec, TransactionRules,
};
pub use self::transaction::{PerTransactionRule, TransactionRule};

/// Whether `code` is a result code as policies write them:
/// SCREAMING_SNAKE_CASE (an uppercase letter, then uppercase letters,
/// digits and underscores).
pub fn is_code(code: &str) -> bool {
    code.starts_with(|c: char| c.is_ascii_uppercase())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}
use crate::model::{DecisionType, Outcome};

impl RuleSpec {
    /// The explicit id, or `capability.TYPE.label` with `*` for a wildcard and
    /// the conditions in brackets.
    pub fn id(&self) -> String {
        if let Some(id) = &self.id {
            return id.clone();
        }
        let mut id = self.key();
        if !self.when.is_empty() {
            let _ = write!(id, "[{}]", self.when.describe());
        }
        id
    }

    /// `capability.TYPE.label`, with `*` for a wildcard.
    pub fn key(&self) -> String {
        format!(
            "{}.{}.{}",
            self.capability.as_deref().unwrap_or("*"),
            self.decision_type.name(),
            self.label.as_deref().unwrap_or("*")
        )
    }
}

/// The retry window of a policy with `[retry.other_channel]` and no budget.
pub const DEFAULT_RETRY_WINDOW_DAYS: u32 = 7;

/// Identifies the exact policy behind a decision.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PolicyRef {
    pub id: String,
    pub version: String,
    /// `sha256:<hex>` of the canonical content.
    pub digest: String,
}

/// The part of a policy a problem is in, so a file loader can point at its
/// line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyPart {
    /// The policy as a whole (`id`, `outcome_order`, a missing fallback).
    Policy,
    /// The finding rule at this index of [`PolicySpec::rules`].
    Rule(usize),
    /// A transaction rule or check, by its rule id (e.g. `document.country`).
    Table(&'static str),
    /// The risk band at this index of [`Checks::risk`].
    RiskBand(usize),
}

/// One reason a policy cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub part: PolicyPart,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PolicyError {}

/// Every reason a policy cannot be used, in policy order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyErrors(pub Vec<PolicyError>);

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyErrors {}

/// What matched: the rule's id, conditions and action, as evaluation hands
/// them out.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledRule {
    pub id: Arc<str>,
    pub when: Conditions,
    pub action: Action,
}

/// Candidate rules for one (capability or any, type): by label, and for any
/// label. Each list is most conditions first, then policy order.
#[derive(Debug, Clone, Default)]
struct LabelTable {
    by_label: Lookup<Vec<usize>>,
    any_label: Vec<usize>,
}

type TypeTables = [LabelTable; DecisionType::ALL.len()];

/// A policy's tables by capability or label. Read with every finding, so
/// with foldhash rather than SipHash: its keys come from the policy, and a
/// lookup inserts nothing, so a caller's text cannot flood them.
type Lookup<V> = HashMap<String, V, foldhash::fast::RandomState>;

/// A validated policy with its lookup tables.
#[derive(Debug, Clone)]
pub struct Policy {
    spec: PolicySpec,
    reference: PolicyRef,
    rules: Vec<CompiledRule>,
    by_capability: Lookup<TypeTables>,
    any_capability: TypeTables,
    /// The unconditional `*.TYPE.*` rule per decision type (index:
    /// [`DecisionType::index`]); every type but PASSED has one.
    fallbacks: [Option<usize>; DecisionType::ALL.len()],
    transaction: CompiledTransactionRules,
    checks: CompiledChecks,
    cascade: CompiledCascade,
    /// Severity rank per outcome (index: `Outcome as usize`).
    severity: [u8; 4],
}

/// The transaction rules, compiled, with their rule ids.
pub type CompiledTransactionRules = PerTransactionRule<CompiledRule>;

/// The rules that are neither finding nor transaction rules: the optional
/// checks, the optional rule on a RETRY that would hide a fraud-type warning,
/// and the rule for a PASSED finding with an uncatalogued label.
#[derive(Debug, Clone)]
pub struct CompiledChecks {
    pub document_expiring: Option<(u32, CompiledRule)>,
    pub document_country: Option<(ListCheck, CompiledRule)>,
    pub document_type: Option<(ListCheck, CompiledRule)>,
    pub minimum_age: Option<(u32, CompiledRule)>,
    pub risk: Vec<(ScoreRange, CompiledRule)>,
    /// `retry.fraud_warning`: the codes of fraud-type warnings, and the rule.
    pub fraud_warning: Option<(Vec<String>, CompiledRule)>,
    /// `passed.uncatalogued`.
    pub passed_uncatalogued: CompiledRule,
    /// `document.birth_after_completion`.
    pub birth_after_completion: Option<CompiledRule>,
    /// `retry.budget`: (attempts, window_days) and the rule.
    pub retry_budget: Option<((u32, u32), CompiledRule)>,
    /// `retry.other_channel`: the user message per channel, and the rule.
    pub other_channel: Option<(BTreeMap<String, String>, CompiledRule)>,
}

impl CompiledChecks {
    /// Every check the policy has, with its parameters in words (empty when
    /// the id says it all), in a fixed order.
    pub fn rules(&self) -> Vec<(&CompiledRule, String)> {
        let mut rules = Vec::new();
        if let Some((days, rule)) = &self.document_expiring {
            rules.push((rule, format!("within_days={days}")));
        }
        for (list, rule) in [&self.document_country, &self.document_type]
            .into_iter()
            .flatten()
        {
            let allow = list
                .allow
                .as_ref()
                .map_or_else(|| "any".to_owned(), |allow| allow.join(","));
            rules.push((rule, format!("allow={allow}; deny={}", list.deny.join(","))));
        }
        if let Some((years, rule)) = &self.minimum_age {
            rules.push((rule, format!("years={years}")));
        }
        rules.extend(self.risk.iter().map(|(_, rule)| (rule, String::new())));
        if let Some((codes, rule)) = &self.fraud_warning {
            rules.push((rule, format!("codes={}", codes.join(","))));
        }
        rules.push((&self.passed_uncatalogued, String::new()));
        rules.extend(
            self.birth_after_completion
                .iter()
                .map(|rule| (rule, String::new())),
        );
        if let Some(((attempts, window_days), rule)) = &self.retry_budget {
            rules.push((
                rule,
                format!("attempts={attempts}; window_days={window_days}"),
            ));
        }
        if let Some((suggest, rule)) = &self.other_channel {
            let channels: Vec<&str> = suggest.keys().map(String::as_str).collect();
            rules.push((rule, format!("suggest={}", channels.join(","))));
        }
        rules
    }
}

impl Policy {
    pub fn reference(&self) -> &PolicyRef {
        &self.reference
    }

    pub fn spec(&self) -> &PolicySpec {
        &self.spec
    }

    pub fn transaction_rules(&self) -> &CompiledTransactionRules {
        &self.transaction
    }

    pub fn checks(&self) -> &CompiledChecks {
        &self.checks
    }

    /// The window retries are counted in: the budget's, or 7 days for a
    /// policy that only suggests other channels; `None` when it does neither.
    pub fn retry_window_days(&self) -> Option<u32> {
        match (&self.checks.retry_budget, &self.checks.other_channel) {
            (Some(((_, window_days), _)), _) => Some(*window_days),
            (None, Some(_)) => Some(DEFAULT_RETRY_WINDOW_DAYS),
            (None, None) => None,
        }
    }

    /// Whether a rule reads the `face_search` condition: only then is a face
    /// search worth resolving.
    pub fn reads_face_search(&self) -> bool {
        self.rules
            .iter()
            .any(|rule| rule.when.reads(Fact::FaceSearch))
    }

    /// `[repeated_face] fraud_codes`: result codes that mean "declined for
    /// fraud" (none without the table).
    pub fn fraud_codes(&self) -> &[String] {
        self.spec
            .repeated_face
            .as_ref()
            .map_or(&[], |spec| spec.fraud_codes.as_slice())
    }

    /// Which NOT_EXECUTED findings are consequences, and of what.
    pub fn cascade(&self) -> &CompiledCascade {
        &self.cascade
    }

    /// Every finding rule, in policy order.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// How severe `outcome` is under this policy's outcome order.
    pub fn severity(&self, outcome: Outcome) -> u8 {
        self.severity[outcome as usize]
    }

    /// The rules that could decide a non-PASSED finding, most specific first.
    pub fn candidates(
        &self,
        capability: &str,
        decision_type: DecisionType,
        label: &str,
    ) -> impl Iterator<Item = &CompiledRule> {
        let index = decision_type.index();
        let specific = self
            .by_capability
            .get(capability)
            .map(|tables| &tables[index]);
        let general = &self.any_capability[index];
        let levels: [&[usize]; 4] = [
            specific
                .and_then(|table| table.by_label.get(label))
                .map_or(&[], Vec::as_slice),
            specific.map_or(&[], |table| table.any_label.as_slice()),
            general.by_label.get(label).map_or(&[], Vec::as_slice),
            &general.any_label,
        ];
        levels
            .into_iter()
            .flatten()
            .map(|&index| &self.rules[index])
    }

    /// The most specific rule whose conditions hold for a finding. `None`
    /// only for PASSED, which is neutral: every other type has an
    /// unconditional fallback (checked when the policy is compiled), so the
    /// candidates end in one that always holds.
    pub fn rule_for(
        &self,
        capability: &str,
        decision_type: DecisionType,
        label: &str,
        facts: &Facts<'_>,
    ) -> Option<&CompiledRule> {
        self.candidates(capability, decision_type, label)
            .find(|rule| rule.when.matches(facts))
            .or_else(|| self.fallback(decision_type))
    }

    /// [`Policy::rule_for`] where whether the finding's dependents ran is
    /// worked out only if a candidate rule reads it: it walks the graph.
    pub fn rule_for_finding(
        &self,
        capability: &str,
        decision_type: DecisionType,
        label: &str,
        facts: &Facts<'_>,
        dependents_ran: impl FnOnce() -> Option<bool>,
    ) -> Option<&CompiledRule> {
        let mut facts = *facts;
        let mut dependents_ran = Some(dependents_ran);
        self.candidates(capability, decision_type, label)
            .find(|rule| {
                if rule.when.reads(Fact::DependentsRan)
                    && let Some(work_out) = dependents_ran.take()
                {
                    facts.dependents_ran = work_out();
                }
                rule.when.matches(&facts)
            })
            .or_else(|| self.fallback(decision_type))
    }

    /// The unconditional `*.TYPE.*` rule of `decision_type`.
    pub fn fallback(&self, decision_type: DecisionType) -> Option<&CompiledRule> {
        self.fallbacks[decision_type.index()].map(|index| &self.rules[index])
    }
}
