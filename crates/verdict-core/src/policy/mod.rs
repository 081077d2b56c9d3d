//! Policies: what each (capability, decision type, label), each transaction
//! fact and each optional check means for the business.
//!
//! A [`PolicySpec`] is the declarative content (written as a TOML file, see
//! [`file`]); [`Policy::compile`] validates it once and builds lookup tables, so
//! evaluation only does hash lookups and a few comparisons.
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

pub mod check;
pub mod conditions;
pub mod default;
pub mod diff;
pub mod dir;
pub mod file;
pub mod golden;
pub mod space;
pub mod spec;

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use sha2::{Digest, Sha256};

pub use self::conditions::Facts;
pub use self::default::default_policy_spec;
pub use self::spec::{
    Action, AgeCheck, Checks, Conditions, DEFAULT_OUTCOME_ORDER, ExpiringCheck, ListCheck,
    PolicySpec, RiskBand, RuleSpec, ScoreRange, TransactionRules,
};
use crate::decision::Outcome;
use crate::model::DecisionType;

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

/// Identifies the exact policy behind a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRef {
    pub id: String,
    pub version: String,
    /// `sha256:<hex>` of the canonical content.
    pub digest: String,
}

/// Where in a policy a problem is, so a file loader can point at its line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
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
    pub site: Site,
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
    by_label: HashMap<String, Vec<usize>>,
    any_label: Vec<usize>,
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
    checks: CompiledChecks,
    /// Severity rank per outcome (index: `Outcome as usize`).
    severity: [u8; 4],
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

impl CompiledTransactionRules {
    /// Every transaction rule, in a fixed order.
    pub fn all(&self) -> [&CompiledRule; 9] {
        [
            &self.session_expired,
            &self.token_expired,
            &self.top_level_warning,
            &self.top_level_rejected,
            &self.top_level_not_executed,
            &self.top_level_unrecognised,
            &self.document_expired,
            &self.watchlist_hits,
            &self.nothing_verified,
        ]
    }
}

/// The optional checks with their rule ids.
#[derive(Debug, Clone, Default)]
pub struct CompiledChecks {
    pub document_expiring: Option<(u32, CompiledRule)>,
    pub document_country: Option<(ListCheck, CompiledRule)>,
    pub document_type: Option<(ListCheck, CompiledRule)>,
    pub minimum_age: Option<(u32, CompiledRule)>,
    pub risk: Vec<(ScoreRange, CompiledRule)>,
}

/// Collects validation errors so one pass reports them all.
#[derive(Default)]
struct Problems(Vec<PolicyError>);

impl Problems {
    fn add(&mut self, site: Site, message: String) {
        self.0.push(PolicyError { site, message });
    }

    fn code(&mut self, site: Site, rule: &str, code: &str) {
        let well_formed = code.starts_with(|c: char| c.is_ascii_uppercase())
            && code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !well_formed {
            self.add(
                site,
                format!("rule {rule}: code {code:?} is not SCREAMING_SNAKE_CASE"),
            );
        }
    }

    fn list(&mut self, site: Site, rule: &str, what: &str, list: Option<&Vec<String>>) {
        if list.is_some_and(Vec::is_empty) {
            self.add(
                site,
                format!("rule {rule}: {what} is an empty list, which nothing matches"),
            );
        }
    }

    fn range(&mut self, site: Site, rule: &str, range: Option<ScoreRange>) {
        if let Some(ScoreRange {
            min: Some(min),
            max: Some(max),
        }) = range
            && min > max
        {
            self.add(
                site,
                format!("rule {rule}: risk range {min}..={max} is empty (min above max)"),
            );
        }
    }
}

impl Policy {
    /// Validates `spec` and builds its lookup tables; reports every problem.
    pub fn compile(spec: PolicySpec) -> Result<Self, PolicyErrors> {
        let mut problems = Problems::default();
        if spec.id.is_empty() {
            problems.add(Site::Policy, "policy id must not be empty".to_owned());
        }
        let severity = severity_ranks(&spec.outcome_order, &mut problems);

        let mut rules = Vec::with_capacity(spec.rules.len());
        let mut by_capability: HashMap<String, TypeTables> = HashMap::new();
        let mut any_capability = TypeTables::default();
        let mut ids: HashMap<String, usize> = HashMap::new();
        for (index, rule) in spec.rules.iter().enumerate() {
            let site = Site::Rule(index);
            let id = rule.id();
            if rule.decision_type == DecisionType::Passed {
                problems.add(
                    site,
                    format!(
                        "rule {id} can never fire: PASSED findings are neutral and never looked up"
                    ),
                );
            }
            check_rule_fields(&mut problems, site, &id, rule);
            if let Some(first) = ids.insert(id.clone(), index)
                && rule.id.is_some()
            {
                problems.add(
                    site,
                    format!("rule id {id} is used by rule {} too", first + 1),
                );
            }
            let tables = match &rule.capability {
                Some(capability) => by_capability.entry(capability.clone()).or_default(),
                None => &mut any_capability,
            };
            let table = &mut tables[rule.decision_type.index()];
            let slot = match &rule.label {
                Some(label) => table.by_label.entry(label.clone()).or_default(),
                None => &mut table.any_label,
            };
            for &other in slot.iter() {
                check_tie(&mut problems, &spec.rules, other, index);
            }
            slot.push(index);
            rules.push(CompiledRule {
                id: id.into(),
                when: rule.when.clone(),
                action: rule.action.clone(),
            });
        }
        // Most conditions first; the sort is stable, so policy order breaks
        // ties between rules that can never both match.
        let order = |slot: &mut Vec<usize>| {
            slot.sort_by_key(|&index| std::cmp::Reverse(spec.rules[index].when.count()));
        };
        for table in by_capability
            .values_mut()
            .flat_map(|tables| tables.iter_mut())
            .chain(any_capability.iter_mut())
        {
            table.by_label.values_mut().for_each(order);
            order(&mut table.any_label);
        }
        for decision_type in DecisionType::ALL {
            let has_fallback = any_capability[decision_type.index()]
                .any_label
                .iter()
                .any(|&index| spec.rules[index].when.is_empty());
            if decision_type != DecisionType::Passed && !has_fallback {
                problems.add(
                    Site::Policy,
                    format!(
                        "no fallback rule *.{0}.* without conditions: every non-PASSED decision type needs one",
                        decision_type.name()
                    ),
                );
            }
        }
        let transaction = compile_transaction_rules(&spec.transaction, &mut problems);
        let checks = compile_checks(&spec.checks, &mut problems);
        if !problems.0.is_empty() {
            return Err(PolicyErrors(problems.0));
        }
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
            checks,
            severity,
        })
    }

    /// The embedded default policy: the seed guidance, refined by the catalogue.
    pub fn embedded_default() -> Self {
        // The embedded file is a constant of this crate; its validity is tested,
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

    pub fn checks(&self) -> &CompiledChecks {
        &self.checks
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

    /// The most specific rule for a non-PASSED finding whose conditions hold.
    /// Always finds one: every type has an unconditional fallback (checked by
    /// [`Policy::compile`]).
    pub fn rule_for(
        &self,
        capability: &str,
        decision_type: DecisionType,
        label: &str,
        facts: &Facts<'_>,
    ) -> &CompiledRule {
        self.candidates(capability, decision_type, label)
            .find(|rule| rule.when.matches(facts))
            // Only PASSED lacks a fallback, and PASSED is never looked up; the
            // first rule keeps this total without a panic path.
            .unwrap_or(&self.rules[0])
    }
}

/// Ranks from the policy's outcome order: APPROVE first, each outcome once.
fn severity_ranks(order: &[Outcome], problems: &mut Problems) -> [u8; 4] {
    let mut ranks = [0, 1, 2, 3];
    let complete = order.len() == 4
        && DEFAULT_OUTCOME_ORDER
            .iter()
            .all(|outcome| order.contains(outcome));
    if !complete || order.first() != Some(&Outcome::Approve) {
        problems.add(
            Site::Policy,
            "outcome_order must list APPROVE, REVIEW, RETRY and DECLINE once each, APPROVE first"
                .to_owned(),
        );
        return ranks;
    }
    for (rank, outcome) in (0u8..).zip(order) {
        ranks[*outcome as usize] = rank;
    }
    ranks
}

fn check_rule_fields(problems: &mut Problems, site: Site, id: &str, rule: &RuleSpec) {
    problems.code(site, id, &rule.action.code);
    let when = &rule.when;
    problems.list(site, id, "country", when.country.as_ref());
    problems.list(site, id, "country_not", when.country_not.as_ref());
    problems.list(site, id, "document_type", when.document_type.as_ref());
    problems.list(site, id, "definition_key", when.definition_key.as_ref());
    problems.range(site, id, when.risk_score);
    if when.top_level.as_ref().is_some_and(Vec::is_empty) {
        problems.add(
            site,
            format!("rule {id}: top_level is an empty list, which nothing matches"),
        );
    }
}

/// Rules `a` and `b` share capability, type and label. Equal conditions are a
/// duplicate; equally many conditions that one workflow could satisfy together
/// are a tie. Either way no rule is more specific, so both are errors.
fn check_tie(problems: &mut Problems, rules: &[RuleSpec], a: usize, b: usize) {
    let (first, second) = (&rules[a], &rules[b]);
    if first.when == second.when {
        problems.add(
            Site::Rule(b),
            format!(
                "rule {} is defined more than once (rules {} and {})",
                second.id(),
                a + 1,
                b + 1
            ),
        );
    } else if first.when.count() == second.when.count() && first.when.overlaps(&second.when) {
        problems.add(
            Site::Rule(b),
            format!(
                "rules {} and {} tie: both match some {} finding with {} condition(s) each; make one more specific or their conditions disjoint",
                first.id(),
                second.id(),
                second.key(),
                second.when.count()
            ),
        );
    }
}

fn compiled(problems: &mut Problems, site: Site, id: &str, action: &Action) -> CompiledRule {
    problems.code(site, id, &action.code);
    CompiledRule {
        id: id.into(),
        when: Conditions::default(),
        action: action.clone(),
    }
}

fn compile_transaction_rules(
    rules: &TransactionRules,
    problems: &mut Problems,
) -> CompiledTransactionRules {
    let mut rule =
        |id: &'static str, action: &Action| compiled(problems, Site::Table(id), id, action);
    CompiledTransactionRules {
        session_expired: rule("status.SESSION_EXPIRED", &rules.session_expired),
        token_expired: rule("status.TOKEN_EXPIRED", &rules.token_expired),
        top_level_warning: rule("top_level.WARNING", &rules.top_level_warning),
        top_level_rejected: rule("top_level.REJECTED", &rules.top_level_rejected),
        top_level_not_executed: rule("top_level.NOT_EXECUTED", &rules.top_level_not_executed),
        top_level_unrecognised: rule("top_level.UNRECOGNISED", &rules.top_level_unrecognised),
        document_expired: rule("document.expired", &rules.document_expired),
        watchlist_hits: rule("watchlist.search_results", &rules.watchlist_hits),
        nothing_verified: rule("workflow.nothing_verified", &rules.nothing_verified),
    }
}

fn compile_list_check(
    problems: &mut Problems,
    id: &'static str,
    check: Option<&ListCheck>,
) -> Option<(ListCheck, CompiledRule)> {
    let check = check?;
    let site = Site::Table(id);
    problems.list(site, id, "allow", check.allow.as_ref());
    if check.allow.is_none() && check.deny.is_empty() {
        problems.add(
            site,
            format!("rule {id}: give an allow list, a deny list or both"),
        );
    }
    Some((check.clone(), compiled(problems, site, id, &check.action)))
}

fn compile_checks(checks: &Checks, problems: &mut Problems) -> CompiledChecks {
    let expiring = checks.document_expiring.as_ref().map(|check| {
        let id = "document.expiring";
        (
            check.within_days,
            compiled(problems, Site::Table(id), id, &check.action),
        )
    });
    let age = checks.minimum_age.as_ref().map(|check| {
        let id = "age.minimum";
        if check.years == 0 {
            problems.add(
                Site::Table(id),
                format!("rule {id}: a minimum age of 0 years never fires"),
            );
        }
        (
            check.years,
            compiled(problems, Site::Table(id), id, &check.action),
        )
    });
    let mut risk: Vec<(ScoreRange, CompiledRule)> = Vec::new();
    for (index, band) in checks.risk.iter().enumerate() {
        let site = Site::RiskBand(index);
        let id = format!("risk[{}]", conditions::describe_range(band.range));
        problems.range(site, &id, Some(band.range));
        if let Some((_, other)) = risk.iter().find(|(range, _)| range.overlaps(band.range)) {
            problems.add(
                site,
                format!(
                    "risk bands {} and {id} overlap: a score may fall in one band only",
                    other.id
                ),
            );
        }
        risk.push((band.range, compiled(problems, site, &id, &band.action)));
    }
    CompiledChecks {
        document_expiring: expiring,
        document_country: compile_list_check(
            problems,
            "document.country",
            checks.document_country.as_ref(),
        ),
        document_type: compile_list_check(problems, "document.type", checks.document_type.as_ref()),
        minimum_age: age,
        risk,
    }
}

/// `sha256:<hex>` of the spec's canonical JSON (fields in declaration order,
/// rules in policy order), so equal content gives an equal digest whatever the
/// file's comments, spacing or key order.
fn digest(spec: &PolicySpec) -> String {
    // Serializing plain structs of strings, numbers and enums cannot fail.
    let canonical = serde_json::to_vec(spec).unwrap_or_default();
    let hash = Sha256::digest(&canonical);
    let mut hex = String::with_capacity(7 + 2 * hash.len());
    hex.push_str("sha256:");
    for byte in hash {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}
