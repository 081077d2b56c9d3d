//! Matching a rule's conditions against the facts of one workflow, and the
//! set reasoning validation and `policy check` need (overlap, boundaries).

use std::fmt::Write as _;

use time::Date;

use super::spec::{Conditions, ScoreRange};
use crate::model::{DecisionType, WorkflowResult};

/// The facts of a workflow that conditions read. Read once per evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Facts<'a> {
    pub country: Option<&'a str>,
    pub document_type: Option<&'a str>,
    pub definition_key: Option<&'a str>,
    pub risk_score: Option<f64>,
    pub top_level: Option<DecisionType>,
    /// The document's expiry date and the holder's date of birth, for the
    /// policy's checks (conditions do not read them).
    pub expiry_date: Option<Date>,
    pub date_of_birth: Option<Date>,
}

impl<'a> Facts<'a> {
    /// The document facts come from the first extraction entry that has each.
    pub fn of(workflow: &'a WorkflowResult<'_>) -> Self {
        let extraction = workflow
            .capabilities
            .iter()
            .filter(|capability| capability.name == "extraction")
            .flat_map(|capability| &capability.entries);
        let (mut country, mut document_type, mut expiry_date, mut date_of_birth) =
            (None, None, None, None);
        for entry in extraction {
            country = country.or(entry.data.issuing_country.as_deref());
            document_type = document_type.or(entry.data.document_type.as_deref());
            expiry_date = expiry_date.or(entry.data.expiry_date);
            date_of_birth = date_of_birth.or(entry.data.date_of_birth);
        }
        Self {
            country,
            document_type,
            definition_key: workflow.definition_key.as_deref(),
            risk_score: workflow
                .decision
                .as_ref()
                .and_then(|decision| decision.risk_score),
            top_level: workflow
                .decision
                .as_ref()
                .map(|decision| DecisionType::from_name(&decision.decision_type)),
            expiry_date,
            date_of_birth,
        }
    }
}

/// The condition that failed, so the words are built only when asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failing {
    Country,
    CountryNot,
    DocumentType,
    DefinitionKey,
    RiskScore,
    TopLevel,
}

fn listed(list: &[String], value: Option<&str>) -> bool {
    value.is_some_and(|value| list.iter().any(|item| item == value))
}

impl Conditions {
    /// How many facts the rule constrains: its specificity among rules with
    /// the same capability, type and label.
    pub fn count(&self) -> usize {
        [
            self.country.is_some() || self.country_not.is_some(),
            self.document_type.is_some(),
            self.definition_key.is_some(),
            self.risk_score.is_some(),
            self.top_level.is_some(),
        ]
        .into_iter()
        .filter(|set| *set)
        .count()
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// Whether every condition holds. On the evaluation path: no allocation.
    pub fn matches(&self, facts: &Facts<'_>) -> bool {
        self.is_empty() || self.failing(facts).is_none()
    }

    /// Which condition fails first, if any.
    fn failing(&self, facts: &Facts<'_>) -> Option<Failing> {
        if self
            .country
            .as_ref()
            .is_some_and(|list| !listed(list, facts.country))
        {
            return Some(Failing::Country);
        }
        if self
            .country_not
            .as_ref()
            .is_some_and(|list| facts.country.is_none() || listed(list, facts.country))
        {
            return Some(Failing::CountryNot);
        }
        if self
            .document_type
            .as_ref()
            .is_some_and(|list| !listed(list, facts.document_type))
        {
            return Some(Failing::DocumentType);
        }
        if self
            .definition_key
            .as_ref()
            .is_some_and(|list| !listed(list, facts.definition_key))
        {
            return Some(Failing::DefinitionKey);
        }
        if self
            .risk_score
            .is_some_and(|range| !facts.risk_score.is_some_and(|score| range.contains(score)))
        {
            return Some(Failing::RiskScore);
        }
        if self
            .top_level
            .as_ref()
            .is_some_and(|types| !facts.top_level.is_some_and(|top| types.contains(&top)))
        {
            return Some(Failing::TopLevel);
        }
        None
    }

    /// The first condition that does not hold, in words, or `None` (for
    /// `explain`; evaluation only asks [`Conditions::matches`]).
    pub fn failure(&self, facts: &Facts<'_>) -> Option<String> {
        let shown = |value: Option<&str>| value.unwrap_or("(absent)").to_owned();
        let joined = |list: &Option<Vec<String>>| list.as_deref().unwrap_or_default().join(", ");
        Some(match self.failing(facts)? {
            Failing::Country => format!(
                "country {} is not one of {}",
                shown(facts.country),
                joined(&self.country)
            ),
            Failing::CountryNot => format!(
                "country {} is not outside {}",
                shown(facts.country),
                joined(&self.country_not)
            ),
            Failing::DocumentType => format!(
                "document type {} is not one of {}",
                shown(facts.document_type),
                joined(&self.document_type)
            ),
            Failing::DefinitionKey => format!(
                "definitionKey {} is not one of {}",
                shown(facts.definition_key),
                joined(&self.definition_key)
            ),
            Failing::RiskScore => {
                let score = facts
                    .risk_score
                    .map_or_else(|| "(absent)".to_owned(), |score| score.to_string());
                format!(
                    "risk score {score} is not in {}",
                    describe_range(self.risk_score.unwrap_or_default())
                )
            }
            Failing::TopLevel => format!(
                "top-level decision {} is not one of {}",
                facts.top_level.map_or("(absent)", DecisionType::name),
                names(self.top_level.as_deref().unwrap_or_default())
            ),
        })
    }

    /// Whether one workflow could satisfy both `self` and `other`.
    pub fn overlaps(&self, other: &Self) -> bool {
        countries_overlap(self, other)
            && lists_overlap(
                self.document_type.as_deref(),
                other.document_type.as_deref(),
            )
            && lists_overlap(
                self.definition_key.as_deref(),
                other.definition_key.as_deref(),
            )
            && match (self.risk_score, other.risk_score) {
                (Some(a), Some(b)) => a.overlaps(b),
                _ => true,
            }
            && match (&self.top_level, &other.top_level) {
                (Some(a), Some(b)) => a.iter().any(|t| b.contains(t)),
                _ => true,
            }
    }

    /// The conditions in a compact form, e.g. `country=USA,CAN; risk=50..=100`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(list) = &self.country {
            parts.push(format!("country={}", list.join(",")));
        }
        if let Some(list) = &self.country_not {
            parts.push(format!("country!={}", list.join(",")));
        }
        if let Some(list) = &self.document_type {
            parts.push(format!("document_type={}", list.join(",")));
        }
        if let Some(list) = &self.definition_key {
            parts.push(format!("definition_key={}", list.join(",")));
        }
        if let Some(range) = self.risk_score {
            parts.push(format!("risk={}", describe_range(range)));
        }
        if let Some(types) = &self.top_level {
            parts.push(format!("top_level={}", names(types).replace(", ", ",")));
        }
        parts.join("; ")
    }
}

fn names(types: &[DecisionType]) -> String {
    types
        .iter()
        .map(|t| t.name())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn describe_range(range: ScoreRange) -> String {
    let mut text = String::new();
    if let Some(min) = range.min {
        let _ = write!(text, "{min}");
    }
    text.push_str("..=");
    if let Some(max) = range.max {
        let _ = write!(text, "{max}");
    }
    text
}

/// `None` is "any value", which overlaps everything.
fn lists_overlap(a: Option<&[String]>, b: Option<&[String]>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.iter().any(|item| b.contains(item)),
        _ => true,
    }
}

fn countries_overlap(a: &Conditions, b: &Conditions) -> bool {
    let excluded = |country: &String| {
        [&a.country_not, &b.country_not]
            .into_iter()
            .flatten()
            .any(|list| list.contains(country))
    };
    match (&a.country, &b.country) {
        (Some(x), Some(y)) => x.iter().any(|c| y.contains(c) && !excluded(c)),
        (Some(only), None) | (None, Some(only)) => only.iter().any(|c| !excluded(c)),
        // Two deny lists always leave some country both allow.
        (None, None) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Option<Vec<String>> {
        Some(items.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn every_set_condition_must_hold_and_absent_facts_fail_them() {
        let when = Conditions {
            country: strings(&["USA", "CAN"]),
            risk_score: Some(ScoreRange {
                min: Some(50.0),
                max: None,
            }),
            ..Conditions::default()
        };
        let facts = Facts {
            country: Some("USA"),
            risk_score: Some(50.0),
            ..Facts::default()
        };
        assert!(when.matches(&facts));
        assert_eq!(
            when.failure(&Facts {
                country: Some("DEU"),
                ..facts
            }),
            Some("country DEU is not one of USA, CAN".to_owned())
        );
        assert_eq!(
            when.failure(&Facts {
                risk_score: Some(49.5),
                ..facts
            }),
            Some("risk score 49.5 is not in 50..=".to_owned())
        );
        assert_eq!(
            when.failure(&Facts {
                country: None,
                ..facts
            }),
            Some("country (absent) is not one of USA, CAN".to_owned())
        );
        assert_eq!(when.count(), 2);
    }

    #[test]
    fn overlap_is_judged_per_fact() {
        let usa = Conditions {
            country: strings(&["USA"]),
            ..Conditions::default()
        };
        let not_usa = Conditions {
            country_not: strings(&["USA"]),
            ..Conditions::default()
        };
        let passports = Conditions {
            document_type: strings(&["PASSPORT"]),
            ..Conditions::default()
        };
        assert!(!usa.overlaps(&not_usa));
        // A US passport satisfies both.
        assert!(usa.overlaps(&passports));
        let low = Conditions {
            risk_score: Some(ScoreRange {
                min: None,
                max: Some(49.0),
            }),
            ..Conditions::default()
        };
        let high = Conditions {
            risk_score: Some(ScoreRange {
                min: Some(50.0),
                max: None,
            }),
            ..Conditions::default()
        };
        assert!(!low.overlaps(&high));
        assert!(low.overlaps(&usa));
    }
}
