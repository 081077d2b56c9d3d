//! The policy compiler: validates a [`PolicySpec`] once, reporting every
//! problem with the part of the policy it is in, and builds the lookup tables
//! evaluation reads.

use std::collections::HashMap;

use super::cascade::{CascadeSpec, CompiledCascade};
use super::conditions::describe_range;
use super::{
    Action, Checks, CompiledChecks, CompiledRule, CompiledTransactionRules, Condition, Conditions,
    DEFAULT_OUTCOME_ORDER, ListCheck, Lookup, Policy, PolicyError, PolicyErrors, PolicyPart,
    PolicyRef, PolicySpec, RuleSpec, ScoreRange, TransactionRules, TypeTables,
};
use crate::evidence::{CHANNELS, MAX_RETRY_ATTEMPTS};
use crate::hash::sha256_digest;
use crate::model::{DecisionType, Outcome};

/// Collects validation errors so one pass reports them all.
#[derive(Default)]
struct ValidationErrors(Vec<PolicyError>);

impl ValidationErrors {
    fn add(&mut self, part: PolicyPart, message: String) {
        self.0.push(PolicyError { part, message });
    }

    fn code(&mut self, site: PolicyPart, rule: &str, code: &str) {
        if !super::is_code(code) {
            self.add(
                site,
                format!("rule {rule}: code {code:?} is not SCREAMING_SNAKE_CASE"),
            );
        }
    }

    fn list(&mut self, site: PolicyPart, rule: &str, what: &str, list: Option<&Vec<String>>) {
        if list.is_some_and(Vec::is_empty) {
            self.add(
                site,
                format!("rule {rule}: {what} is an empty list, which nothing matches"),
            );
        }
    }

    fn condition(&mut self, site: PolicyPart, rule: &str, condition: &Condition) {
        if let Some(problem) = condition.problem() {
            self.add(site, format!("rule {rule}: {problem}"));
        }
    }
}

impl Policy {
    /// Validates `spec` and builds its lookup tables; reports every problem.
    pub fn compile(spec: PolicySpec) -> Result<Self, PolicyErrors> {
        let mut problems = ValidationErrors::default();
        if spec.id.is_empty() {
            problems.add(PolicyPart::Policy, "policy id must not be empty".to_owned());
        }
        let severity = severity_ranks(&spec.outcome_order, &mut problems);

        let mut rules = Vec::with_capacity(spec.rules.len());
        let mut by_capability = Lookup::<TypeTables>::default();
        let mut any_capability = TypeTables::default();
        let mut ids: HashMap<String, usize> = HashMap::new();
        for (index, rule) in spec.rules.iter().enumerate() {
            let site = PolicyPart::Rule(index);
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
        let mut fallbacks = [None; DecisionType::ALL.len()];
        for decision_type in DecisionType::ALL {
            let fallback = any_capability[decision_type.index()]
                .any_label
                .iter()
                .copied()
                .find(|&index| spec.rules[index].when.is_empty());
            fallbacks[decision_type.index()] = fallback;
            if decision_type != DecisionType::Passed && fallback.is_none() {
                problems.add(
                    PolicyPart::Policy,
                    format!(
                        "no fallback rule *.{0}.* without conditions: every non-PASSED decision type needs one",
                        decision_type.name()
                    ),
                );
            }
        }
        let transaction = compile_transaction_rules(&spec.transaction, &mut problems);
        let mut checks = compile_checks(&spec.checks, &mut problems);
        checks.fraud_warning = compile_fraud_warning(&spec, &mut problems);
        let id = "passed.uncatalogued";
        let passed = spec
            .passed_uncatalogued
            .clone()
            .unwrap_or_else(Action::uncatalogued_pass);
        checks.passed_uncatalogued = compiled(&mut problems, PolicyPart::Table(id), id, &passed);
        checks.birth_after_completion = spec.birth_after_completion.as_ref().map(|action| {
            let id = "document.birth_after_completion";
            compiled(&mut problems, PolicyPart::Table(id), id, action)
        });
        checks.retry_budget = compile_retry_budget(&spec, &mut problems);
        checks.other_channel = spec.other_channel.as_ref().map(|rule| {
            let id = "retry.other_channel";
            for channel in rule.suggest.keys() {
                if !CHANNELS.contains(&channel.as_str()) {
                    problems.add(
                        PolicyPart::Table(id),
                        format!(
                            "rule {id}: suggest names the channel {channel:?}; channels are {}",
                            CHANNELS.join(", ")
                        ),
                    );
                }
            }
            (
                rule.suggest.clone(),
                compiled(&mut problems, PolicyPart::Table(id), id, &rule.action),
            )
        });
        check_fraud_codes(&spec, &mut problems);
        let cascade = compile_cascade(spec.cascade.as_ref(), &mut problems);
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
            fallbacks,
            transaction,
            checks,
            cascade,
            severity,
        })
    }
}

/// Ranks from the policy's outcome order: APPROVE first, each outcome once.
fn severity_ranks(order: &[Outcome], problems: &mut ValidationErrors) -> [u8; 4] {
    let mut ranks = [0, 1, 2, 3];
    let complete = order.len() == 4
        && DEFAULT_OUTCOME_ORDER
            .iter()
            .all(|outcome| order.contains(outcome));
    if !complete || order.first() != Some(&Outcome::Approve) {
        problems.add(
            PolicyPart::Policy,
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

fn check_rule_fields(problems: &mut ValidationErrors, site: PolicyPart, id: &str, rule: &RuleSpec) {
    problems.code(site, id, &rule.action.code);
    for condition in rule.when.iter() {
        problems.condition(site, id, condition);
    }
}

/// Rules `a` and `b` share capability, type and label. Equal conditions are a
/// duplicate; equally many conditions that one workflow could satisfy together
/// are a tie. Either way no rule is more specific, so both are errors.
fn check_tie(problems: &mut ValidationErrors, rules: &[RuleSpec], a: usize, b: usize) {
    let (first, second) = (&rules[a], &rules[b]);
    if first.when == second.when {
        problems.add(
            PolicyPart::Rule(b),
            format!(
                "rule {} is defined more than once (rules {} and {})",
                second.id(),
                a + 1,
                b + 1
            ),
        );
    } else if first.when.count() == second.when.count() && first.when.overlaps(&second.when) {
        problems.add(
            PolicyPart::Rule(b),
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

fn compiled(
    problems: &mut ValidationErrors,
    site: PolicyPart,
    id: &str,
    action: &Action,
) -> CompiledRule {
    problems.code(site, id, &action.code);
    CompiledRule {
        id: id.into(),
        when: Conditions::default(),
        action: action.clone(),
    }
}

fn compile_transaction_rules(
    rules: &TransactionRules,
    problems: &mut ValidationErrors,
) -> CompiledTransactionRules {
    rules.map(|rule, action| {
        let id = rule.id();
        compiled(problems, PolicyPart::Table(id), id, action)
    })
}

fn compile_list_check(
    problems: &mut ValidationErrors,
    id: &'static str,
    check: Option<&ListCheck>,
) -> Option<(ListCheck, CompiledRule)> {
    let check = check?;
    let site = PolicyPart::Table(id);
    problems.list(site, id, "allow", check.allow.as_ref());
    if check.allow.is_none() && check.deny.is_empty() {
        problems.add(
            site,
            format!("rule {id}: give an allow list, a deny list or both"),
        );
    }
    Some((check.clone(), compiled(problems, site, id, &check.action)))
}

fn compile_checks(checks: &Checks, problems: &mut ValidationErrors) -> CompiledChecks {
    let expiring = checks.document_expiring.as_ref().map(|check| {
        let id = "document.expiring";
        (
            check.within_days,
            compiled(problems, PolicyPart::Table(id), id, &check.action),
        )
    });
    let age = checks.minimum_age.as_ref().map(|check| {
        let id = "age.minimum";
        if check.years == 0 {
            problems.add(
                PolicyPart::Table(id),
                format!("rule {id}: a minimum age of 0 years never fires"),
            );
        }
        (
            check.years,
            compiled(problems, PolicyPart::Table(id), id, &check.action),
        )
    });
    let mut risk: Vec<(ScoreRange, CompiledRule)> = Vec::new();
    for (index, band) in checks.risk.iter().enumerate() {
        let site = PolicyPart::RiskBand(index);
        let id = format!("risk[{}]", describe_range(band.range));
        problems.condition(site, &id, &Condition::RiskScore(band.range));
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
        fraud_warning: None,
        passed_uncatalogued: CompiledRule {
            id: "passed.uncatalogued".into(),
            when: Conditions::default(),
            action: Action::uncatalogued_pass(),
        },
        birth_after_completion: None,
        retry_budget: None,
        other_channel: None,
    }
}

/// `retry.fraud_warning`: its codes must be codes some rule of the policy gives.
fn compile_fraud_warning(
    spec: &PolicySpec,
    problems: &mut ValidationErrors,
) -> Option<(Vec<String>, CompiledRule)> {
    let rule = spec.fraud_warning.as_ref()?;
    let id = "retry.fraud_warning";
    let site = PolicyPart::Table(id);
    if rule.codes.is_empty() {
        problems.add(
            site,
            format!("rule {id}: codes is an empty list, which nothing matches"),
        );
    }
    let given: Vec<&str> = spec
        .rules
        .iter()
        .map(|rule| &rule.action)
        .chain(spec.transaction.0.iter())
        .chain(check_actions(&spec.checks))
        .map(|action| action.code.as_str())
        .collect();
    for code in &rule.codes {
        if !given.contains(&code.as_str()) {
            problems.add(
                site,
                format!("rule {id}: no rule of this policy gives the code {code:?}"),
            );
        }
    }
    Some((
        rule.codes.clone(),
        compiled(problems, site, id, &rule.action),
    ))
}

/// `retry.budget`: at least one attempt, at most [`MAX_RETRY_ATTEMPTS`] (the
/// evidence holds that many retries), a window of 1 to 3650 days.
fn compile_retry_budget(
    spec: &PolicySpec,
    problems: &mut ValidationErrors,
) -> Option<((u32, u32), CompiledRule)> {
    let budget = spec.retry_budget.as_ref()?;
    let id = "retry.budget";
    let site = PolicyPart::Table(id);
    if !(1..=MAX_RETRY_ATTEMPTS).contains(&budget.attempts) {
        problems.add(
            site,
            format!(
                "rule {id}: attempts must be 1 to {MAX_RETRY_ATTEMPTS}, not {}",
                budget.attempts
            ),
        );
    }
    if !(1..=3650).contains(&budget.window_days) {
        problems.add(
            site,
            format!(
                "rule {id}: window_days must be 1 to 3650, not {}",
                budget.window_days
            ),
        );
    }
    Some((
        (budget.attempts, budget.window_days),
        compiled(problems, site, id, &budget.action),
    ))
}

/// `repeated_face.fraud_codes`: codes of DECLINE rules of this policy, so a
/// misspelt code cannot silently never match.
fn check_fraud_codes(spec: &PolicySpec, problems: &mut ValidationErrors) {
    let Some(repeated_face) = &spec.repeated_face else {
        return;
    };
    let site = PolicyPart::Table("repeated_face");
    let declines: Vec<&str> = spec
        .rules
        .iter()
        .map(|rule| &rule.action)
        .chain(spec.transaction.0.iter())
        .chain(check_actions(&spec.checks))
        .filter(|action| action.outcome == Outcome::Decline)
        .map(|action| action.code.as_str())
        .collect();
    for code in &repeated_face.fraud_codes {
        if !declines.contains(&code.as_str()) {
            problems.add(
                site,
                format!("[repeated_face] fraud_codes: no DECLINE rule of this policy gives the code {code:?}"),
            );
        }
    }
}

/// The actions of the optional checks.
fn check_actions(checks: &Checks) -> impl Iterator<Item = &Action> {
    let lists = [&checks.document_country, &checks.document_type]
        .into_iter()
        .flatten()
        .map(|check| &check.action);
    checks
        .document_expiring
        .iter()
        .map(|check| &check.action)
        .chain(lists)
        .chain(checks.minimum_age.iter().map(|check| &check.action))
        .chain(checks.risk.iter().map(|band| &band.action))
}

/// The cascade graph, Jumio's documented one when the policy gives none.
fn compile_cascade(
    cascade: Option<&CascadeSpec>,
    problems: &mut ValidationErrors,
) -> CompiledCascade {
    let Some(cascade) = cascade else {
        return CompiledCascade::new(&CascadeSpec::jumio());
    };
    for capability in cascade.self_dependent() {
        problems.add(
            PolicyPart::Table("cascade"),
            format!("[cascade.upstream] {capability} cannot depend on itself"),
        );
    }
    CompiledCascade::new(cascade)
}

/// `sha256:<hex>` of the spec's canonical JSON (fields in declaration order,
/// rules in policy order), so equal content gives an equal digest whatever the
/// file's comments, spacing or key order.
fn digest(spec: &PolicySpec) -> String {
    // Serializing plain structs of strings, numbers and enums cannot fail.
    sha256_digest(&serde_json::to_vec(spec).unwrap_or_default())
}
