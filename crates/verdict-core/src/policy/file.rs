//! Policy files: TOML in, [`Policy`] out, with every problem pointed at its
//! line and column.
//!
//! The format (documented with a worked example in the README):
//!
//! ```toml
//! id = "acme-eu"
//! version = "2.1.0"
//! description = "..."
//! outcome_order = ["APPROVE", "REVIEW", "RETRY", "DECLINE"]  # optional
//!
//! [status.SESSION_EXPIRED]          # also TOKEN_EXPIRED
//! [top_level.WARNING]               # floors; also REJECTED, NOT_EXECUTED, UNRECOGNISED
//! [workflow.nothing_verified]
//! [watchlist.search_results]
//! [document.expired]
//! [document.expiring]               # optional: within_days = 30
//! [document.country]                # optional: allow = [...], deny = [...]
//! [document.type]                   # optional: allow = [...], deny = [...]
//! [age.minimum]                     # optional: years = 18
//! [[risk]]                          # optional bands: min = 80, max = 100
//!
//! [[rule]]
//! capability = "usability"          # or "*"
//! type = "REJECTED"                 # WARNING, REJECTED, NOT_EXECUTED, UNRECOGNISED
//! label = "BLURRED"                 # or "*"
//! when = { country = ["USA"] }      # optional conditions
//! ```
//!
//! Every table above carries `outcome`, `code`, `message` and optionally
//! `user_message`.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::spec::{
    Action, AgeCheck, Checks, Conditions, DEFAULT_OUTCOME_ORDER, ExpiringCheck, ListCheck,
    PolicySpec, RiskBand, RuleSpec, ScoreRange, TransactionRules,
};
use super::{Policy, PolicyErrors, Site};
use crate::catalogue::CATALOGUE;
use crate::decision::Outcome;
use crate::model::DecisionType;

/// A problem in a policy file, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Every problem of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileErrors(pub Vec<FileError>);

impl fmt::Display for FileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FileErrors {}

/// Parses and validates a policy file's text. `file` names it in errors.
pub fn load_policy(file: &str, text: &str) -> Result<Policy, FileErrors> {
    let (spec, spans) = parse_policy(file, text)?;
    Policy::compile(spec).map_err(|PolicyErrors(errors)| {
        FileErrors(
            errors
                .into_iter()
                .map(|error| {
                    let at = spans.of(error.site);
                    located(file, text, at, error.message)
                })
                .collect(),
        )
    })
}

/// Parses a policy file into its declarative content, checking names against
/// the catalogue, but not yet the rules' interplay ([`Policy::compile`]).
pub fn parse_policy(file: &str, text: &str) -> Result<(PolicySpec, Spans), FileErrors> {
    let raw: RawPolicy = toml::from_str(text).map_err(|error| {
        let at = error.span().unwrap_or(0..0);
        FileErrors(vec![located(
            file,
            text,
            at,
            error.message().trim_end().to_owned(),
        )])
    })?;
    let mut reader = Reader::default();
    let spec = reader.policy(raw);
    if reader.errors.is_empty() {
        Ok((spec, reader.spans))
    } else {
        Err(FileErrors(
            reader
                .errors
                .into_iter()
                .map(|(at, message)| located(file, text, at, message))
                .collect(),
        ))
    }
}

fn located(file: &str, text: &str, at: Range<usize>, message: String) -> FileError {
    let (line, column) = line_column(text, at.start);
    FileError {
        file: file.to_owned(),
        line,
        column,
        message,
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Where each part of a policy file is, to point validation errors at it.
#[derive(Debug, Clone, Default)]
pub struct Spans {
    policy: Range<usize>,
    rules: Vec<Range<usize>>,
    tables: HashMap<&'static str, Range<usize>>,
    risk: Vec<Range<usize>>,
}

impl Spans {
    pub fn of(&self, site: Site) -> Range<usize> {
        let found = match site {
            Site::Policy => None,
            Site::Rule(index) => self.rules.get(index),
            Site::Table(id) => self.tables.get(id),
            Site::RiskBand(index) => self.risk.get(index),
        };
        found.unwrap_or(&self.policy).clone()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    id: Spanned<String>,
    version: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    outcome_order: Option<Spanned<Vec<Spanned<String>>>>,
    status: RawStatus,
    top_level: RawTopLevel,
    workflow: RawWorkflow,
    watchlist: RawWatchlist,
    document: RawDocument,
    #[serde(default)]
    age: Option<RawAge>,
    #[serde(default)]
    risk: Vec<Spanned<RawTable>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatus {
    #[serde(rename = "SESSION_EXPIRED")]
    session_expired: Spanned<RawTable>,
    #[serde(rename = "TOKEN_EXPIRED")]
    token_expired: Spanned<RawTable>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopLevel {
    #[serde(rename = "WARNING")]
    warning: Spanned<RawTable>,
    #[serde(rename = "REJECTED")]
    rejected: Spanned<RawTable>,
    #[serde(rename = "NOT_EXECUTED")]
    not_executed: Spanned<RawTable>,
    #[serde(rename = "UNRECOGNISED")]
    unrecognised: Spanned<RawTable>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkflow {
    nothing_verified: Spanned<RawTable>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWatchlist {
    search_results: Spanned<RawTable>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    expired: Spanned<RawTable>,
    #[serde(default)]
    expiring: Option<Spanned<RawTable>>,
    #[serde(default)]
    country: Option<Spanned<RawTable>>,
    #[serde(default, rename = "type")]
    document_type: Option<Spanned<RawTable>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAge {
    minimum: Spanned<RawTable>,
}

/// A transaction rule or check: an action plus the parameters some checks
/// take. Which parameters a table may carry is checked by [`Reader`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    outcome: Spanned<String>,
    code: String,
    message: String,
    #[serde(default)]
    user_message: Option<String>,
    #[serde(default)]
    within_days: Option<Spanned<u32>>,
    #[serde(default)]
    allow: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    deny: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    years: Option<Spanned<u32>>,
    #[serde(default)]
    min: Option<Spanned<f64>>,
    #[serde(default)]
    max: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    id: Option<String>,
    capability: Spanned<String>,
    #[serde(rename = "type")]
    decision_type: Spanned<String>,
    label: Spanned<String>,
    /// A capability or label verdict's catalogue does not list yet (Jumio adds
    /// labels): skip the spelling check for this rule.
    #[serde(default)]
    uncatalogued: bool,
    outcome: Spanned<String>,
    code: String,
    message: String,
    #[serde(default)]
    user_message: Option<String>,
    #[serde(default)]
    when: Option<RawWhen>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWhen {
    #[serde(default)]
    country: Option<Vec<String>>,
    #[serde(default)]
    country_not: Option<Vec<String>>,
    #[serde(default)]
    document_type: Option<Vec<String>>,
    #[serde(default)]
    definition_key: Option<Vec<String>>,
    #[serde(default)]
    risk_score: Option<RawRange>,
    #[serde(default)]
    top_level: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    #[serde(default)]
    min: Option<f64>,
    #[serde(default)]
    max: Option<f64>,
}

/// Which parameters a table takes besides its action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Params {
    None,
    WithinDays,
    Lists,
    Years,
    Range,
}

/// Turns raw tables into the spec, collecting errors with their spans.
#[derive(Default)]
struct Reader {
    errors: Vec<(Range<usize>, String)>,
    spans: Spans,
}

const OUTCOMES: [&str; 4] = ["APPROVE", "REVIEW", "RETRY", "DECLINE"];
const TYPES: [&str; 5] = [
    "PASSED",
    "WARNING",
    "REJECTED",
    "NOT_EXECUTED",
    "UNRECOGNISED",
];

impl Reader {
    fn error(&mut self, at: Range<usize>, message: String) {
        self.errors.push((at, message));
    }

    fn policy(&mut self, raw: RawPolicy) -> PolicySpec {
        self.spans.policy = raw.id.span();
        let outcome_order = match raw.outcome_order {
            None => DEFAULT_OUTCOME_ORDER.to_vec(),
            Some(order) => order
                .into_inner()
                .iter()
                .map(|name| self.outcome(name))
                .collect(),
        };
        let transaction = TransactionRules {
            session_expired: self
                .table(
                    "status.SESSION_EXPIRED",
                    &raw.status.session_expired,
                    Params::None,
                )
                .action,
            token_expired: self
                .table(
                    "status.TOKEN_EXPIRED",
                    &raw.status.token_expired,
                    Params::None,
                )
                .action,
            top_level_warning: self
                .table("top_level.WARNING", &raw.top_level.warning, Params::None)
                .action,
            top_level_rejected: self
                .table("top_level.REJECTED", &raw.top_level.rejected, Params::None)
                .action,
            top_level_not_executed: self
                .table(
                    "top_level.NOT_EXECUTED",
                    &raw.top_level.not_executed,
                    Params::None,
                )
                .action,
            top_level_unrecognised: self
                .table(
                    "top_level.UNRECOGNISED",
                    &raw.top_level.unrecognised,
                    Params::None,
                )
                .action,
            document_expired: self
                .table("document.expired", &raw.document.expired, Params::None)
                .action,
            watchlist_hits: self
                .table(
                    "watchlist.search_results",
                    &raw.watchlist.search_results,
                    Params::None,
                )
                .action,
            nothing_verified: self
                .table(
                    "workflow.nothing_verified",
                    &raw.workflow.nothing_verified,
                    Params::None,
                )
                .action,
        };
        let checks = Checks {
            document_expiring: raw.document.expiring.as_ref().map(|table| {
                let read = self.table("document.expiring", table, Params::WithinDays);
                ExpiringCheck {
                    within_days: read.within_days,
                    action: read.action,
                }
            }),
            document_country: raw
                .document
                .country
                .as_ref()
                .map(|table| self.table("document.country", table, Params::Lists).list()),
            document_type: raw
                .document
                .document_type
                .as_ref()
                .map(|table| self.table("document.type", table, Params::Lists).list()),
            minimum_age: raw.age.as_ref().map(|age| {
                let read = self.table("age.minimum", &age.minimum, Params::Years);
                AgeCheck {
                    years: read.years,
                    action: read.action,
                }
            }),
            risk: raw
                .risk
                .iter()
                .map(|band| {
                    self.spans.risk.push(band.span());
                    let read = self.table("risk", band, Params::Range);
                    RiskBand {
                        range: read.range,
                        action: read.action,
                    }
                })
                .collect(),
        };
        let rules = raw.rule.iter().map(|rule| self.rule(rule)).collect();
        PolicySpec {
            id: raw.id.into_inner(),
            version: raw.version,
            description: raw.description,
            outcome_order,
            rules,
            transaction,
            checks,
        }
    }

    fn outcome(&mut self, name: &Spanned<String>) -> Outcome {
        match name.get_ref().as_str() {
            "APPROVE" => Outcome::Approve,
            "REVIEW" => Outcome::Review,
            "RETRY" => Outcome::Retry,
            "DECLINE" => Outcome::Decline,
            other => {
                let message = unknown("outcome", other, OUTCOMES.iter().copied());
                self.error(name.span(), message);
                Outcome::Review
            }
        }
    }

    fn decision_type(&mut self, name: &Spanned<String>) -> DecisionType {
        match name.get_ref().as_str() {
            "UNRECOGNISED" => DecisionType::Other,
            other => match DecisionType::from_name(other) {
                DecisionType::Other => {
                    let message = unknown("decision type", other, TYPES.iter().copied());
                    self.error(name.span(), message);
                    DecisionType::Other
                }
                known => known,
            },
        }
    }

    fn table(&mut self, id: &'static str, raw: &Spanned<RawTable>, params: Params) -> ReadTable {
        if id != "risk" {
            self.spans.tables.insert(id, raw.span());
        }
        let table = raw.get_ref();
        let action = Action {
            outcome: self.outcome(&table.outcome),
            code: table.code.clone(),
            message: table.message.clone(),
            user_message: table.user_message.clone(),
        };
        let allowed = |param: Params| params == param;
        let mut stray = Vec::new();
        if table.within_days.is_some() && !allowed(Params::WithinDays) {
            stray.push("within_days");
        }
        if (table.allow.is_some() || table.deny.is_some()) && !allowed(Params::Lists) {
            stray.push(if table.allow.is_some() {
                "allow"
            } else {
                "deny"
            });
        }
        if table.years.is_some() && !allowed(Params::Years) {
            stray.push("years");
        }
        if (table.min.is_some() || table.max.is_some()) && !allowed(Params::Range) {
            stray.push(if table.min.is_some() { "min" } else { "max" });
        }
        for key in stray {
            self.error(raw.span(), format!("[{id}] takes no `{key}`"));
        }
        let within_days = match (&table.within_days, params) {
            (Some(days), _) => *days.get_ref(),
            (None, Params::WithinDays) => {
                self.error(raw.span(), format!("[{id}] needs `within_days`"));
                0
            }
            (None, _) => 0,
        };
        let years = match (&table.years, params) {
            (Some(years), _) => *years.get_ref(),
            (None, Params::Years) => {
                self.error(raw.span(), format!("[{id}] needs `years`"));
                0
            }
            (None, _) => 0,
        };
        ReadTable {
            action,
            within_days,
            years,
            allow: table.allow.as_ref().map(|list| list.get_ref().clone()),
            deny: table
                .deny
                .as_ref()
                .map(|list| list.get_ref().clone())
                .unwrap_or_default(),
            range: ScoreRange {
                min: table.min.as_ref().map(|min| *min.get_ref()),
                max: table.max.as_ref().map(|max| *max.get_ref()),
            },
        }
    }

    fn rule(&mut self, raw: &Spanned<RawRule>) -> RuleSpec {
        self.spans.rules.push(raw.span());
        let rule = raw.get_ref();
        let decision_type = self.decision_type(&rule.decision_type);
        let wildcard =
            |name: &Spanned<String>| Some(name.get_ref().clone()).filter(|name| name != "*");
        let capability = wildcard(&rule.capability);
        let label = wildcard(&rule.label);
        if !rule.uncatalogued {
            self.check_names(rule, decision_type);
        }
        let when = match &rule.when {
            None => Conditions::default(),
            Some(when) => Conditions {
                country: when.country.clone(),
                country_not: when.country_not.clone(),
                document_type: when.document_type.clone(),
                definition_key: when.definition_key.clone(),
                risk_score: when.risk_score.as_ref().map(|range| ScoreRange {
                    min: range.min,
                    max: range.max,
                }),
                top_level: when.top_level.as_ref().map(|types| {
                    types
                        .get_ref()
                        .iter()
                        .map(|name| self.decision_type(name))
                        .collect()
                }),
            },
        };
        RuleSpec {
            id: rule.id.clone(),
            capability,
            decision_type,
            label,
            when,
            action: Action {
                outcome: self.outcome(&rule.outcome),
                code: rule.code.clone(),
                message: rule.message.clone(),
                user_message: rule.user_message.clone(),
            },
        }
    }

    /// Capabilities and labels are checked against the catalogue, because a
    /// misspelt one silently never matches.
    fn check_names(&mut self, rule: &RawRule, decision_type: DecisionType) {
        const ESCAPE: &str =
            "set `uncatalogued = true` on the rule if Jumio added it after verdict's catalogue";
        let capability = rule.capability.get_ref().as_str();
        let label = rule.label.get_ref().as_str();
        let capability_known =
            capability == "*" || CATALOGUE.iter().any(|entry| entry.capability == capability);
        if !capability_known {
            let known = distinct(CATALOGUE.iter().map(|entry| entry.capability));
            let message = unknown("capability", capability, known.into_iter());
            self.error(rule.capability.span(), format!("{message}; {ESCAPE}"));
            return;
        }
        if label == "*" || decision_type == DecisionType::Other {
            return;
        }
        let in_scope = |entry: &&crate::catalogue::CatalogueEntry| {
            capability == "*" || entry.capability == capability
        };
        let catalogued = CATALOGUE
            .iter()
            .filter(in_scope)
            .any(|entry| entry.decision_type == decision_type && entry.label == label);
        if catalogued {
            return;
        }
        let scope = if capability == "*" {
            "any capability".to_owned()
        } else {
            capability.to_owned()
        };
        let other_type = CATALOGUE
            .iter()
            .filter(in_scope)
            .find(|entry| entry.label == label)
            .map(|entry| entry.decision_type.name());
        let message = match other_type {
            Some(other) => format!(
                "label {label:?} is a {other} label of {scope}, not {}",
                decision_type.name()
            ),
            None => {
                let labels = distinct(
                    CATALOGUE
                        .iter()
                        .filter(in_scope)
                        .filter(|entry| entry.decision_type == decision_type)
                        .map(|entry| entry.label),
                );
                let mut message = format!(
                    "label {label:?} is not a {} label of {scope}",
                    decision_type.name()
                );
                if let Some(closest) = closest(label, labels.iter().copied()) {
                    message.push_str(&format!(" (did you mean {closest}?)"));
                }
                message
            }
        };
        self.error(rule.label.span(), format!("{message}; {ESCAPE}"));
    }
}

/// A table as read: its action and whichever parameters it may carry.
struct ReadTable {
    action: Action,
    within_days: u32,
    years: u32,
    allow: Option<Vec<String>>,
    deny: Vec<String>,
    range: ScoreRange,
}

impl ReadTable {
    fn list(self) -> ListCheck {
        ListCheck {
            allow: self.allow,
            deny: self.deny,
            action: self.action,
        }
    }
}

fn distinct<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut names: Vec<&str> = names.collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// "unknown outcome "REVEIW" (did you mean REVIEW?)", or the full list when
/// nothing is close.
fn unknown<'a>(what: &str, name: &str, known: impl Iterator<Item = &'a str> + Clone) -> String {
    match closest(name, known.clone()) {
        Some(closest) => format!("unknown {what} {name:?} (did you mean {closest}?)"),
        None => format!(
            "unknown {what} {name:?}; expected one of {}",
            known.collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The known name nearest to `name` by edit distance, if it is near enough to
/// be a slip (case is ignored).
pub fn closest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = name.to_ascii_uppercase();
    let limit = (wanted.chars().count() / 3).max(2);
    known
        .map(|candidate| {
            (
                edit_distance(&wanted, &candidate.to_ascii_uppercase()),
                candidate,
            )
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests;
