//! Rule conditions, in one representation: each kind of condition a finding
//! rule can carry is a variant of [`Condition`], and everything a condition
//! does is defined here once per variant — matching the facts of a workflow,
//! saying why it failed, describing itself, validating, the overlap reasoning
//! the compiler needs, and the boundary values `policy check` and `policy diff`
//! walk.
//!
//! Adding a condition: a variant of [`Condition`] (and a [`Fact`] if it reads a
//! new one) with its arms in the `impl`s below, plus its key in the policy
//! file's `when` table (`RawWhen` in `file.rs`).

use std::fmt::Write as _;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::evidence::FaceRelation;
use crate::model::{DecisionType, RISK_SCORES, WorkflowResult};

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

/// The credential categories Jumio names (`credentials[].category`), as a
/// set; a category outside [`Credentials::CATEGORIES`] counts as one "other".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Credentials(u8);

impl Credentials {
    /// The categories Jumio documents.
    pub const CATEGORIES: [&'static str; 5] = ["ID", "SELFIE", "FACEMAP", "DOCUMENT", "DATA"];
    const OTHER: u8 = 1 << Self::CATEGORIES.len();

    /// The set of `categories`.
    pub fn of<'c>(categories: impl IntoIterator<Item = &'c str>) -> Self {
        Self(
            categories
                .into_iter()
                .fold(0, |bits, category| bits | Self::bit(category)),
        )
    }

    fn bit(category: &str) -> u8 {
        Self::CATEGORIES
            .iter()
            .position(|known| *known == category)
            .map_or(Self::OTHER, |index| 1 << index)
    }

    /// A set holding one category no condition names.
    fn other() -> Self {
        Self(Self::OTHER)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether the two sets share a category.
    pub fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    /// The categories, e.g. `SELFIE,FACEMAP`, or `(absent)`.
    fn show(self) -> String {
        if self.is_empty() {
            return ABSENT.to_owned();
        }
        let mut names: Vec<&str> = Self::CATEGORIES
            .iter()
            .enumerate()
            .filter(|(index, _)| self.0 & (1 << index) != 0)
            .map(|(_, name)| *name)
            .collect();
        if self.0 & Self::OTHER != 0 {
            names.push(OTHER_VALUE);
        }
        names.join(",")
    }
}

/// The facts that conditions read: those of the workflow, read once per
/// evaluation, and those of the finding being decided (its credentials and
/// its dependents), set per finding.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Facts<'a> {
    pub country: Option<&'a str>,
    pub document_type: Option<&'a str>,
    pub definition_key: Option<&'a str>,
    pub risk_score: Option<f64>,
    pub top_level: Option<DecisionType>,
    /// The finding's `credentials[].category`.
    pub credentials: Credentials,
    /// Whether the capabilities that depend on the finding's ran: `false`
    /// when one that uses its credential did not run for lack of input,
    /// `true` when some are in the workflow and none was stopped so, absent
    /// when none is in the workflow.
    pub dependents_ran: Option<bool>,
    /// Days from completion to the document's expiry and the holder's age on
    /// completion, for the policy's checks (conditions do not read them).
    pub days_to_expiry: Option<i64>,
    pub age_years: Option<i64>,
    /// How the workflows Jumio's face search found relate to this account,
    /// from the evidence; absent without a search or with nothing found.
    pub face_search: Option<FaceRelation>,
}

impl<'a> Facts<'a> {
    /// The document facts come from the first extraction entry that has each.
    pub fn of(workflow: &'a WorkflowResult<'_>) -> Self {
        let extraction = workflow
            .capabilities
            .iter()
            .filter(|capability| capability.name == "extraction")
            .flat_map(|capability| &capability.entries);
        let (mut country, mut document_type, mut days_to_expiry, mut age_years) =
            (None, None, None, None);
        for entry in extraction {
            country = country.or(entry.data.issuing_country.as_deref());
            document_type = document_type.or(entry.data.document_type.as_deref());
            days_to_expiry = days_to_expiry.or(entry.data.days_to_expiry);
            age_years = age_years.or(entry.data.age_years);
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
                .map(|decision| decision.decision_type()),
            credentials: Credentials::default(),
            dependents_ran: None,
            days_to_expiry,
            age_years,
            face_search: None,
        }
    }
}

/// A fact conditions read. Two conditions on the same fact (country and
/// country_not) count once towards a rule's specificity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    Country,
    DocumentType,
    DefinitionKey,
    RiskScore,
    TopLevel,
    Credential,
    DependentsRan,
    FaceSearch,
}

/// A value no condition names.
pub const OTHER_VALUE: &str = "(other)";
const ABSENT: &str = "(absent)";

impl Fact {
    /// Every fact, in the order conditions are checked and shown.
    pub const ALL: [Fact; 8] = [
        Self::Country,
        Self::DocumentType,
        Self::DefinitionKey,
        Self::RiskScore,
        Self::TopLevel,
        Self::Credential,
        Self::DependentsRan,
        Self::FaceSearch,
    ];

    /// The short name `policy check` and `policy diff` show.
    pub fn name(self) -> &'static str {
        match self {
            Self::Country => "country",
            Self::DocumentType => "document_type",
            Self::DefinitionKey => "definition_key",
            Self::RiskScore => "risk",
            Self::TopLevel => "top_level",
            Self::Credential => "credential",
            Self::DependentsRan => "dependents_ran",
            Self::FaceSearch => "face_search",
        }
    }

    /// This fact's value in `facts`, or `(absent)`.
    pub fn show(self, facts: &Facts<'_>) -> String {
        let text = |value: Option<&str>| value.unwrap_or(ABSENT).to_owned();
        match self {
            Self::Country => text(facts.country),
            Self::DocumentType => text(facts.document_type),
            Self::DefinitionKey => text(facts.definition_key),
            Self::RiskScore => facts
                .risk_score
                .map_or_else(|| ABSENT.to_owned(), |score| score.to_string()),
            Self::TopLevel => facts
                .top_level
                .map_or(ABSENT, DecisionType::name)
                .to_owned(),
            Self::Credential => facts.credentials.show(),
            Self::DependentsRan => facts
                .dependents_ran
                .map_or_else(|| ABSENT.to_owned(), |ran| ran.to_string()),
            Self::FaceSearch => facts
                .face_search
                .map_or(ABSENT, FaceRelation::name)
                .to_owned(),
        }
    }

    /// Sets this fact of `to` to its value in `from`.
    pub fn copy<'a>(self, from: &Facts<'a>, to: &mut Facts<'a>) {
        match self {
            Self::Country => to.country = from.country,
            Self::DocumentType => to.document_type = from.document_type,
            Self::DefinitionKey => to.definition_key = from.definition_key,
            Self::RiskScore => to.risk_score = from.risk_score,
            Self::TopLevel => to.top_level = from.top_level,
            Self::Credential => to.credentials = from.credentials,
            Self::DependentsRan => to.dependents_ran = from.dependents_ran,
            Self::FaceSearch => to.face_search = from.face_search,
        }
    }

    /// [`Facts`] with only this fact set to `value`: a text fact (country,
    /// document type, definition key). Other facts stay absent.
    fn with_text(self, value: Option<&str>) -> Facts<'_> {
        let mut facts = Facts::default();
        match self {
            Self::Country => facts.country = value,
            Self::DocumentType => facts.document_type = value,
            Self::DefinitionKey => facts.definition_key = value,
            Self::RiskScore
            | Self::TopLevel
            | Self::Credential
            | Self::DependentsRan
            | Self::FaceSearch => {}
        }
        facts
    }

    /// The values of this fact worth trying against `conditions` (every
    /// condition of the policies compared): each value a condition names, one
    /// no condition names, and absent. Risk scores are tried on and half a
    /// point either side of every bound. Each value comes as [`Facts`] with
    /// only this fact set.
    pub fn boundaries<'a>(self, conditions: &[&'a Condition]) -> Vec<Facts<'a>> {
        match self {
            Self::Country | Self::DocumentType | Self::DefinitionKey => {
                let mut values: Vec<Option<&str>> = conditions
                    .iter()
                    .filter(|condition| condition.fact() == self)
                    .flat_map(|condition| condition.named_values())
                    .map(Some)
                    .collect();
                values.sort();
                values.dedup();
                values.push(Some(OTHER_VALUE));
                values.push(None);
                values
                    .into_iter()
                    .map(|value| self.with_text(value))
                    .collect()
            }
            Self::RiskScore => {
                let mut scores: Vec<f64> = conditions
                    .iter()
                    .flat_map(|condition| condition.score_bounds())
                    .flat_map(|bound| [bound - 0.5, bound, bound + 0.5])
                    .collect();
                // The parser refuses scores outside Jumio's range, so no point
                // lies beyond it.
                scores.retain(|score| RISK_SCORES.contains(score));
                scores.sort_by(f64::total_cmp);
                scores.dedup();
                let mut scores: Vec<Option<f64>> = scores.into_iter().map(Some).collect();
                scores.push(None);
                scores
                    .into_iter()
                    .map(|risk_score| Facts {
                        risk_score,
                        ..Facts::default()
                    })
                    .collect()
            }
            Self::TopLevel => DecisionType::ALL
                .into_iter()
                .map(Some)
                .chain([None])
                .map(|top_level| Facts {
                    top_level,
                    ..Facts::default()
                })
                .collect(),
            Self::Credential => {
                let mut sets: Vec<Credentials> = conditions
                    .iter()
                    .filter(|condition| condition.fact() == self)
                    .flat_map(|condition| condition.named_values())
                    .map(|category| Credentials::of([category]))
                    .collect();
                sets.sort_by_key(|set| set.0);
                sets.dedup();
                sets.push(Credentials::other());
                sets.push(Credentials::default());
                sets.into_iter()
                    .map(|credentials| Facts {
                        credentials,
                        ..Facts::default()
                    })
                    .collect()
            }
            Self::DependentsRan => [Some(true), Some(false), None]
                .into_iter()
                .map(|dependents_ran| Facts {
                    dependents_ran,
                    ..Facts::default()
                })
                .collect(),
            Self::FaceSearch => FaceRelation::ALL
                .into_iter()
                .map(Some)
                .chain([None])
                .map(|face_search| Facts {
                    face_search,
                    ..Facts::default()
                })
                .collect(),
        }
    }
}

/// One condition of a finding rule. A fact the workflow does not carry (no
/// extraction, no score) fails every condition on it.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// The document's issuing country (ISO 3166 alpha-3) is one of these.
    Country(Vec<String>),
    /// The document's issuing country is none of these.
    CountryNot(Vec<String>),
    /// extraction `data.type` is one of these (e.g. PASSPORT, ID_CARD).
    DocumentType(Vec<String>),
    /// `workflow.definitionKey` is one of these.
    DefinitionKey(Vec<String>),
    /// `decision.risk.score` lies in this range.
    RiskScore(ScoreRange),
    /// Jumio's top-level decision type is one of these.
    TopLevel(Vec<DecisionType>),
    /// The finding evaluated a credential of one of these categories (ID,
    /// SELFIE, FACEMAP, DOCUMENT, DATA).
    Credential(Vec<String>),
    /// The capabilities that depend on the finding's ran (`true`), or one
    /// that uses its credential did not run for lack of input (`false`).
    /// Absent — neither holds — when no dependent is in the workflow.
    DependentsRan(bool),
    /// The workflows Jumio's face search found relate to this account so
    /// (resolved through the evidence; see `evaluate::account`).
    FaceSearch(Vec<FaceRelation>),
}

fn listed(list: &[String], value: Option<&str>) -> bool {
    value.is_some_and(|value| list.iter().any(|item| item == value))
}

impl Condition {
    /// Its key in a policy file's `when` table and in the policy digest.
    pub fn key(&self) -> &'static str {
        match self {
            Self::Country(_) => "country",
            Self::CountryNot(_) => "country_not",
            Self::DocumentType(_) => "document_type",
            Self::DefinitionKey(_) => "definition_key",
            Self::RiskScore(_) => "risk_score",
            Self::TopLevel(_) => "top_level",
            Self::Credential(_) => "credential",
            Self::DependentsRan(_) => "dependents_ran",
            Self::FaceSearch(_) => "face_search",
        }
    }

    /// Position among conditions: the order they are checked, shown and
    /// serialized in.
    fn rank(&self) -> u8 {
        match self {
            Self::Country(_) => 0,
            Self::CountryNot(_) => 1,
            Self::DocumentType(_) => 2,
            Self::DefinitionKey(_) => 3,
            Self::RiskScore(_) => 4,
            Self::TopLevel(_) => 5,
            Self::Credential(_) => 6,
            Self::DependentsRan(_) => 7,
            Self::FaceSearch(_) => 8,
        }
    }

    /// The fact it reads.
    pub fn fact(&self) -> Fact {
        match self {
            Self::Country(_) | Self::CountryNot(_) => Fact::Country,
            Self::DocumentType(_) => Fact::DocumentType,
            Self::DefinitionKey(_) => Fact::DefinitionKey,
            Self::RiskScore(_) => Fact::RiskScore,
            Self::TopLevel(_) => Fact::TopLevel,
            Self::Credential(_) => Fact::Credential,
            Self::DependentsRan(_) => Fact::DependentsRan,
            Self::FaceSearch(_) => Fact::FaceSearch,
        }
    }

    /// Whether it holds. On the evaluation path: no allocation.
    pub fn holds(&self, facts: &Facts<'_>) -> bool {
        match self {
            Self::Country(list) => listed(list, facts.country),
            Self::CountryNot(list) => facts.country.is_some() && !listed(list, facts.country),
            Self::DocumentType(list) => listed(list, facts.document_type),
            Self::DefinitionKey(list) => listed(list, facts.definition_key),
            Self::RiskScore(range) => facts.risk_score.is_some_and(|score| range.contains(score)),
            Self::TopLevel(types) => facts.top_level.is_some_and(|top| types.contains(&top)),
            Self::Credential(list) => facts
                .credentials
                .intersects(Credentials::of(list.iter().map(String::as_str))),
            Self::DependentsRan(ran) => facts.dependents_ran == Some(*ran),
            Self::FaceSearch(relations) => facts
                .face_search
                .is_some_and(|relation| relations.contains(&relation)),
        }
    }

    /// Why it does not hold for `facts`, in words (for `explain`).
    pub fn failure(&self, facts: &Facts<'_>) -> String {
        let shown = self.fact().show(facts);
        match self {
            Self::Country(list) => format!("country {shown} is not one of {}", list.join(", ")),
            Self::CountryNot(list) => {
                format!("country {shown} is not outside {}", list.join(", "))
            }
            Self::DocumentType(list) => {
                format!("document type {shown} is not one of {}", list.join(", "))
            }
            Self::DefinitionKey(list) => {
                format!("definitionKey {shown} is not one of {}", list.join(", "))
            }
            Self::RiskScore(range) => {
                format!("risk score {shown} is not in {}", describe_range(*range))
            }
            Self::TopLevel(types) => format!(
                "top-level decision {shown} is not one of {}",
                names(types).join(", ")
            ),
            Self::Credential(list) => {
                format!("credential {shown} is not one of {}", list.join(", "))
            }
            Self::DependentsRan(ran) => format!("dependents_ran is {shown}, not {ran}"),
            Self::FaceSearch(relations) => format!(
                "face_search is {shown}, not {}",
                relation_names(relations).join(", ")
            ),
        }
    }

    /// Compact form, e.g. `country=USA,CAN` or `risk=50..=100`.
    pub fn describe(&self) -> String {
        match self {
            Self::Country(list) => format!("country={}", list.join(",")),
            Self::CountryNot(list) => format!("country!={}", list.join(",")),
            Self::DocumentType(list) => format!("document_type={}", list.join(",")),
            Self::DefinitionKey(list) => format!("definition_key={}", list.join(",")),
            Self::RiskScore(range) => format!("risk={}", describe_range(*range)),
            Self::TopLevel(types) => format!("top_level={}", names(types).join(",")),
            Self::Credential(list) => format!("credential={}", list.join(",")),
            Self::DependentsRan(ran) => format!("dependents_ran={ran}"),
            Self::FaceSearch(relations) => {
                format!("face_search={}", relation_names(relations).join(","))
            }
        }
    }

    /// What makes it unusable, if anything: a condition nothing can satisfy.
    pub fn problem(&self) -> Option<String> {
        if let Self::Credential(list) = self
            && let Some(unknown) = list
                .iter()
                .find(|category| !Credentials::CATEGORIES.contains(&category.as_str()))
        {
            return Some(format!(
                "credential {unknown:?} is not a credential category; expected one of {}",
                Credentials::CATEGORIES.join(", ")
            ));
        }
        let empty = match self {
            Self::Country(list)
            | Self::CountryNot(list)
            | Self::DocumentType(list)
            | Self::DefinitionKey(list)
            | Self::Credential(list) => list.is_empty(),
            Self::DependentsRan(_) => false,
            Self::TopLevel(types) => types.is_empty(),
            Self::FaceSearch(relations) => relations.is_empty(),
            Self::RiskScore(ScoreRange {
                min: Some(min),
                max: Some(max),
            }) if min > max => {
                return Some(format!("risk range {min}..={max} is empty (min above max)"));
            }
            Self::RiskScore(_) => false,
        };
        empty.then(|| format!("{} is an empty list, which nothing matches", self.key()))
    }

    /// The values it names (for boundary values).
    fn named_values(&self) -> impl Iterator<Item = &str> {
        let list: &[String] = match self {
            Self::Country(list)
            | Self::CountryNot(list)
            | Self::DocumentType(list)
            | Self::DefinitionKey(list)
            | Self::Credential(list) => list,
            Self::RiskScore(_)
            | Self::TopLevel(_)
            | Self::DependentsRan(_)
            | Self::FaceSearch(_) => &[],
        };
        list.iter().map(String::as_str)
    }

    /// The bounds of a risk range.
    fn score_bounds(&self) -> impl Iterator<Item = f64> {
        let bounds = match self {
            Self::RiskScore(range) => [range.min, range.max],
            _ => [None, None],
        };
        bounds.into_iter().flatten()
    }

    /// Facts it accepts, enough to decide whether it and others on the same
    /// fact can hold together: every value of an allow list, every bound of a
    /// range (if ranges intersect, the highest lower bound, or else the lowest
    /// upper bound, lies in all of them). A deny list names none.
    fn witnesses(&self) -> Vec<Facts<'_>> {
        match self {
            Self::Country(list) | Self::DocumentType(list) | Self::DefinitionKey(list) => list
                .iter()
                .map(|value| self.fact().with_text(Some(value)))
                .collect(),
            Self::RiskScore(_) => self
                .score_bounds()
                .map(|score| Facts {
                    risk_score: Some(score),
                    ..Facts::default()
                })
                .collect(),
            Self::TopLevel(types) => types
                .iter()
                .map(|&top| Facts {
                    top_level: Some(top),
                    ..Facts::default()
                })
                .collect(),
            Self::Credential(list) => list
                .iter()
                .map(|category| Facts {
                    credentials: Credentials::of([category.as_str()]),
                    ..Facts::default()
                })
                .collect(),
            Self::DependentsRan(ran) => vec![Facts {
                dependents_ran: Some(*ran),
                ..Facts::default()
            }],
            Self::FaceSearch(relations) => relations
                .iter()
                .map(|&relation| Facts {
                    face_search: Some(relation),
                    ..Facts::default()
                })
                .collect(),
            Self::CountryNot(_) => Vec::new(),
        }
    }
}

fn names(types: &[DecisionType]) -> Vec<&'static str> {
    types.iter().map(|t| t.name()).collect()
}

fn relation_names(relations: &[FaceRelation]) -> Vec<&'static str> {
    relations.iter().map(|relation| relation.name()).collect()
}

/// `min..=max`, an open end left empty.
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

/// A finding rule's conditions; all must hold. At most one of each kind, kept
/// in [`Condition`] order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Conditions(Vec<Condition>);

impl Conditions {
    /// The conditions, in their canonical order.
    pub fn new(conditions: impl IntoIterator<Item = Condition>) -> Self {
        let mut conditions: Vec<Condition> = conditions.into_iter().collect();
        conditions.sort_by_key(Condition::rank);
        Self(conditions)
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Condition> {
        self.0.iter()
    }

    /// How many facts the rule constrains: its specificity among rules with
    /// the same capability, type and label.
    pub fn count(&self) -> usize {
        Fact::ALL
            .into_iter()
            .filter(|&fact| self.0.iter().any(|condition| condition.fact() == fact))
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a condition reads `fact`.
    pub fn reads(&self, fact: Fact) -> bool {
        self.0.iter().any(|condition| condition.fact() == fact)
    }

    /// Whether every condition holds. On the evaluation path: no allocation.
    pub fn matches(&self, facts: &Facts<'_>) -> bool {
        self.0.iter().all(|condition| condition.holds(facts))
    }

    /// The first condition that does not hold, in words, or `None` (for
    /// `explain`; evaluation only asks [`Conditions::matches`]).
    pub fn failure(&self, facts: &Facts<'_>) -> Option<String> {
        self.0
            .iter()
            .find(|condition| !condition.holds(facts))
            .map(|condition| condition.failure(facts))
    }

    /// Whether one workflow could satisfy both `self` and `other`: judged per
    /// fact, since facts are independent.
    pub fn overlaps(&self, other: &Self) -> bool {
        Fact::ALL.into_iter().all(|fact| {
            let on_fact: Vec<&Condition> = self
                .0
                .iter()
                .chain(&other.0)
                .filter(|condition| condition.fact() == fact)
                .collect();
            let witnesses: Vec<Facts<'_>> = on_fact
                .iter()
                .flat_map(|condition| condition.witnesses())
                .collect();
            // Only deny lists (or nothing) on this fact: a value none of them
            // names satisfies all.
            witnesses.is_empty()
                || witnesses
                    .iter()
                    .any(|facts| on_fact.iter().all(|condition| condition.holds(facts)))
        })
    }

    /// The conditions in a compact form, e.g. `country=USA,CAN; risk=50..=100`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self.0.iter().map(Condition::describe).collect();
        parts.join("; ")
    }
}

/// As a map from each condition's key to its value, in canonical order: the
/// form the policy digest is taken over.
impl Serialize for Conditions {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for condition in &self.0 {
            match condition {
                Condition::Country(list)
                | Condition::CountryNot(list)
                | Condition::DocumentType(list)
                | Condition::DefinitionKey(list)
                | Condition::Credential(list) => map.serialize_entry(condition.key(), list)?,
                Condition::RiskScore(range) => map.serialize_entry(condition.key(), range)?,
                Condition::TopLevel(types) => map.serialize_entry(condition.key(), types)?,
                Condition::DependentsRan(ran) => map.serialize_entry(condition.key(), ran)?,
                Condition::FaceSearch(relations) => {
                    map.serialize_entry(condition.key(), &relation_names(relations))?;
                }
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn when(conditions: impl IntoIterator<Item = Condition>) -> Conditions {
        Conditions::new(conditions)
    }

    #[test]
    fn every_set_condition_must_hold_and_absent_facts_fail_them() {
        let when = when([
            Condition::RiskScore(ScoreRange {
                min: Some(50.0),
                max: None,
            }),
            Condition::Country(strings(&["USA", "CAN"])),
        ]);
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
        // Given in any order, kept in the canonical one.
        assert_eq!(when.describe(), "country=USA,CAN; risk=50..=");
    }

    #[test]
    fn country_and_country_not_constrain_one_fact() {
        let when = when([
            Condition::CountryNot(strings(&["USA"])),
            Condition::Country(strings(&["USA", "CAN"])),
        ]);
        assert_eq!(when.count(), 1);
        assert!(when.matches(&Facts {
            country: Some("CAN"),
            ..Facts::default()
        }));
        assert_eq!(
            when.failure(&Facts {
                country: Some("USA"),
                ..Facts::default()
            }),
            Some("country USA is not outside USA".to_owned())
        );
    }

    #[test]
    fn overlap_is_judged_per_fact() {
        let usa = when([Condition::Country(strings(&["USA"]))]);
        let not_usa = when([Condition::CountryNot(strings(&["USA"]))]);
        let passports = when([Condition::DocumentType(strings(&["PASSPORT"]))]);
        assert!(!usa.overlaps(&not_usa));
        // A US passport satisfies both.
        assert!(usa.overlaps(&passports));
        let low = when([Condition::RiskScore(ScoreRange {
            min: None,
            max: Some(49.0),
        })]);
        let high = when([Condition::RiskScore(ScoreRange {
            min: Some(50.0),
            max: None,
        })]);
        let middle = when([Condition::RiskScore(ScoreRange {
            min: Some(40.0),
            max: Some(60.0),
        })]);
        assert!(!low.overlaps(&high));
        assert!(low.overlaps(&middle) && high.overlaps(&middle));
        assert!(low.overlaps(&usa));
        // Two deny lists always leave some country both allow.
        assert!(not_usa.overlaps(&when([Condition::CountryNot(strings(&["CAN"]))])));
        let warning = when([Condition::TopLevel(vec![DecisionType::Warning])]);
        let rejected = when([Condition::TopLevel(vec![
            DecisionType::Rejected,
            DecisionType::Other,
        ])]);
        assert!(!warning.overlaps(&rejected));
    }

    #[test]
    fn credential_and_dependents_ran_read_the_finding_being_decided() {
        let optional_part = when([
            Condition::DependentsRan(true),
            Condition::Credential(strings(&["FACEMAP"])),
        ]);
        assert_eq!(optional_part.count(), 2);
        assert_eq!(
            optional_part.describe(),
            "credential=FACEMAP; dependents_ran=true"
        );
        let facemap = Facts {
            credentials: Credentials::of(["FACEMAP"]),
            dependents_ran: Some(true),
            ..Facts::default()
        };
        assert!(optional_part.matches(&facemap));
        assert_eq!(
            optional_part.failure(&Facts {
                credentials: Credentials::of(["SELFIE", "CARD"]),
                ..facemap
            }),
            Some("credential SELFIE,(other) is not one of FACEMAP".to_owned())
        );
        assert_eq!(
            optional_part.failure(&Facts {
                dependents_ran: None,
                ..facemap
            }),
            Some("dependents_ran is (absent), not true".to_owned())
        );
        // One of several categories is enough.
        assert!(optional_part.matches(&Facts {
            credentials: Credentials::of(["SELFIE", "FACEMAP"]),
            ..facemap
        }));
        let blocked = when([Condition::DependentsRan(false)]);
        assert!(!optional_part.overlaps(&blocked));
        assert!(
            optional_part.overlaps(&when([Condition::Credential(strings(&["FACEMAP", "ID"]))]))
        );
        assert_eq!(
            Condition::Credential(strings(&["FACE"])).problem(),
            Some(
                "credential \"FACE\" is not a credential category; expected one of ID, SELFIE, FACEMAP, DOCUMENT, DATA"
                    .to_owned()
            )
        );
    }

    #[test]
    fn serializes_as_the_file_keys_in_canonical_order() {
        let when = when([
            Condition::TopLevel(vec![DecisionType::Warning]),
            Condition::Country(strings(&["USA"])),
            Condition::RiskScore(ScoreRange {
                min: Some(50.0),
                max: None,
            }),
        ]);
        assert_eq!(
            serde_json::to_string(&when).expect("serializes"),
            r#"{"country":["USA"],"risk_score":{"min":50.0},"top_level":["WARNING"]}"#
        );
    }
}
