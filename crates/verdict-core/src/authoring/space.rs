//! The finite input space of finding rules: every non-PASSED (capability,
//! type, label) the catalogue knows, plus one uncatalogued probe per capability
//! and type, each crossed with the boundary values of the facts the candidate
//! rules' conditions read. `policy check` and `policy diff` both walk it.

use super::spec::Conditions;
use super::{Facts, Policy};
use crate::catalogue::CATALOGUE;
use crate::model::DecisionType;

/// A label no catalogue lists: what reaches the fallbacks.
pub const UNCATALOGUED: &str = "(uncatalogued)";
/// A fact value no condition names.
const OTHER: &str = "(other)";

/// One point of the space.
#[derive(Debug, Clone, PartialEq)]
pub struct Point<'a> {
    pub capability: &'a str,
    pub decision_type: DecisionType,
    pub label: &'a str,
    pub facts: Facts<'a>,
    /// Which facts matter at this finding (for display).
    pub dims: Dims,
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
        let show = |value: Option<&str>| value.unwrap_or("(absent)").to_owned();
        let mut parts = Vec::new();
        if self.dims.country {
            parts.push(format!("country={}", show(self.facts.country)));
        }
        if self.dims.document_type {
            parts.push(format!("document_type={}", show(self.facts.document_type)));
        }
        if self.dims.definition_key {
            parts.push(format!(
                "definition_key={}",
                show(self.facts.definition_key)
            ));
        }
        if self.dims.risk_score {
            let score = self
                .facts
                .risk_score
                .map_or_else(|| "(absent)".to_owned(), |score| score.to_string());
            parts.push(format!("risk={score}"));
        }
        if self.dims.top_level {
            parts.push(format!(
                "top_level={}",
                self.facts.top_level.map_or("(absent)", DecisionType::name)
            ));
        }
        parts.join(", ")
    }
}

/// The facts some candidate rule of a finding reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dims {
    pub country: bool,
    pub document_type: bool,
    pub definition_key: bool,
    pub risk_score: bool,
    pub top_level: bool,
}

impl Dims {
    fn add(&mut self, when: &Conditions) {
        self.country |= when.country.is_some() || when.country_not.is_some();
        self.document_type |= when.document_type.is_some();
        self.definition_key |= when.definition_key.is_some();
        self.risk_score |= when.risk_score.is_some();
        self.top_level |= when.top_level.is_some();
    }
}

/// Boundary values per fact, gathered from every condition of `policies`.
struct Boundaries<'a> {
    countries: Vec<Option<&'a str>>,
    document_types: Vec<Option<&'a str>>,
    definition_keys: Vec<Option<&'a str>>,
    risk_scores: Vec<Option<f64>>,
}

impl<'a> Boundaries<'a> {
    fn of(policies: &[&'a Policy]) -> Self {
        let rules = || policies.iter().flat_map(|policy| &policy.spec().rules);
        let values = |pick: fn(&'a Conditions) -> [Option<&'a Vec<String>>; 2]| {
            let mut values: Vec<Option<&'a str>> = rules()
                .flat_map(|rule| pick(&rule.when))
                .flatten()
                .flatten()
                .map(|value| Some(value.as_str()))
                .collect();
            values.sort();
            values.dedup();
            values.push(Some(OTHER));
            values.push(None);
            values
        };
        let mut risk_scores: Vec<f64> = rules()
            .filter_map(|rule| rule.when.risk_score)
            .flat_map(|range| [range.min, range.max])
            .flatten()
            .flat_map(|bound| [bound - 0.5, bound, bound + 0.5])
            .collect();
        // The parser refuses scores outside Jumio's -1..=100, so no point
        // lies beyond them.
        risk_scores.retain(|score| (-1.0..=100.0).contains(score));
        risk_scores.sort_by(f64::total_cmp);
        risk_scores.dedup();
        let mut risk_scores: Vec<Option<f64>> = risk_scores.into_iter().map(Some).collect();
        risk_scores.push(None);
        Self {
            countries: values(|when| [when.country.as_ref(), when.country_not.as_ref()]),
            document_types: values(|when| [when.document_type.as_ref(), None]),
            definition_keys: values(|when| [when.definition_key.as_ref(), None]),
            risk_scores,
        }
    }
}

const TOP_LEVELS: [Option<DecisionType>; 6] = [
    Some(DecisionType::Passed),
    Some(DecisionType::Warning),
    Some(DecisionType::Rejected),
    Some(DecisionType::NotExecuted),
    Some(DecisionType::Other),
    None,
];

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
/// `diff`, so both see the same points).
pub fn points<'a>(policies: &[&'a Policy]) -> Vec<Point<'a>> {
    let boundaries = Boundaries::of(policies);
    let mut points = Vec::new();
    for (capability, decision_type, label) in findings(policies) {
        let mut dims = Dims::default();
        for policy in policies {
            for rule in policy.candidates(capability, decision_type, label) {
                dims.add(&rule.when);
            }
        }
        let pick = |on: bool, values: &[Option<&'a str>]| -> Vec<Option<&'a str>> {
            if on { values.to_vec() } else { vec![None] }
        };
        let risks = if dims.risk_score {
            boundaries.risk_scores.clone()
        } else {
            vec![None]
        };
        let tops = if dims.top_level {
            TOP_LEVELS.to_vec()
        } else {
            vec![None]
        };
        for country in pick(dims.country, &boundaries.countries) {
            for document_type in pick(dims.document_type, &boundaries.document_types) {
                for definition_key in pick(dims.definition_key, &boundaries.definition_keys) {
                    for &risk_score in &risks {
                        for &top_level in &tops {
                            points.push(Point {
                                capability,
                                decision_type,
                                label,
                                facts: Facts {
                                    country,
                                    document_type,
                                    definition_key,
                                    risk_score,
                                    top_level,
                                    ..Facts::default()
                                },
                                dims,
                            });
                        }
                    }
                }
            }
        }
    }
    points
}
