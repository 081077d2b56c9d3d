//! The finite input space of finding rules: every non-PASSED (capability,
//! type, label) the catalogue knows, plus one uncatalogued probe per capability
//! and type, each crossed with the boundary values of the facts the candidate
//! rules' conditions read ([`Fact::boundaries`]). `policy check` and
//! `policy diff` both walk it.

use crate::catalogue::CATALOGUE;
use crate::model::DecisionType;
use crate::policy::{Condition, Fact, Facts, Policy};

/// A label no catalogue lists: what reaches the fallbacks.
pub const UNCATALOGUED: &str = "(uncatalogued)";

/// One point of the space.
#[derive(Debug, Clone, PartialEq)]
pub struct Point<'a> {
    pub capability: &'a str,
    pub decision_type: DecisionType,
    pub label: &'a str,
    pub facts: Facts<'a>,
    /// The facts some candidate rule of this finding reads (for display).
    pub facts_read: Vec<Fact>,
}

impl Point<'_> {
    /// `capability.TYPE.LABEL`.
    pub fn finding(&self) -> String {
        format!(
            "{}.{}.{}",
            self.capability,
            self.decision_type.name(),
            self.label
        )
    }

    /// The facts that matter here, e.g. `country=USA, risk=49.5`; empty when
    /// no rule for this finding has conditions.
    pub fn describe_facts(&self) -> String {
        let parts: Vec<String> = self
            .facts_read
            .iter()
            .map(|fact| format!("{}={}", fact.name(), fact.show(&self.facts)))
            .collect();
        parts.join(", ")
    }
}

/// Every (capability, type, label) of the space, in catalogue order, then the
/// uncatalogued probes, then labels the policies name that the catalogue lacks.
fn findings<'a>(policies: &[&'a Policy]) -> Vec<(&'a str, DecisionType, &'a str)> {
    let mut findings: Vec<(&str, DecisionType, &str)> = CATALOGUE
        .iter()
        .filter(|entry| entry.decision_type != DecisionType::Passed)
        .map(|entry| (entry.capability, entry.decision_type, entry.label))
        .collect();
    let mut capabilities: Vec<&str> = CATALOGUE.iter().map(|entry| entry.capability).collect();
    capabilities.sort_unstable();
    capabilities.dedup();
    for decision_type in DecisionType::ALL {
        if decision_type == DecisionType::Passed {
            continue;
        }
        for capability in capabilities.iter().copied().chain([UNCATALOGUED]) {
            findings.push((capability, decision_type, UNCATALOGUED));
        }
    }
    for rule in policies.iter().flat_map(|policy| &policy.spec().rules) {
        let capability = rule.capability.as_deref().unwrap_or(UNCATALOGUED);
        let label = rule.label.as_deref().unwrap_or(UNCATALOGUED);
        let finding = (capability, rule.decision_type, label);
        if rule.decision_type != DecisionType::Passed && !findings.contains(&finding) {
            findings.push(finding);
        }
    }
    findings
}

/// Every point of the space of `policies` (one policy for `check`, two for
/// `diff`, so both see the same points): each finding crossed with the
/// boundary values of every fact its candidate rules read.
pub fn points<'a>(policies: &[&'a Policy]) -> Vec<Point<'a>> {
    let conditions: Vec<&Condition> = policies
        .iter()
        .flat_map(|policy| &policy.spec().rules)
        .flat_map(|rule| rule.when.iter())
        .collect();
    let boundaries = Fact::ALL.map(|fact| fact.boundaries(&conditions));
    let mut points = Vec::new();
    for (capability, decision_type, label) in findings(policies) {
        let facts_read: Vec<Fact> = Fact::ALL
            .into_iter()
            .filter(|&fact| {
                policies.iter().any(|policy| {
                    policy
                        .candidates(capability, decision_type, label)
                        .flat_map(|rule| rule.when.iter())
                        .any(|condition| condition.fact() == fact)
                })
            })
            .collect();
        // The cross product of the facts read, the last fact varying fastest.
        let mut combinations = vec![Facts::default()];
        for &fact in &facts_read {
            let values = &boundaries[fact as usize];
            combinations = combinations
                .iter()
                .flat_map(|facts| {
                    values.iter().map(move |value| {
                        let mut facts = *facts;
                        fact.copy(value, &mut facts);
                        facts
                    })
                })
                .collect();
        }
        points.extend(combinations.into_iter().map(|facts| Point {
            capability,
            decision_type,
            label,
            facts,
            facts_read: facts_read.clone(),
        }));
    }
    points
}
