//! Policy files: TOML in, [`Policy`] out, with every problem pointed at its
//! line and column.
//!
//! The format (documented with a worked example in `crates/verdict-core/README.md`):
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
//! [retry.fraud_warning]             # optional: codes = ["REPEATED_FACE", ...]
//! [retry.budget]                    # optional: attempts = 3, window_days = 7
//! [retry.other_channel]             # optional: suggest = { WEB = "...", SDK = "..." }
//! [repeated_face]                   # optional, no action: fraud_codes = [...]
//! [passed.uncatalogued]             # optional: a PASSED label not catalogued as a pass
//! [cascade]                         # optional: input_labels = [...], uncatalogued = false
//! [cascade.upstream]                # optional: imageChecks = ["usability", "extraction"]
//!
//! [[rule]]
//! capability = "usability"          # or "*"
//! type = "REJECTED"                 # WARNING, REJECTED, NOT_EXECUTED, UNRECOGNISED
//! label = "BLURRED"                 # or "*"
//! when = { country = ["USA"] }      # optional conditions (also on the finding:
//!                                   # credential = ["FACEMAP"], dependents_ran = true;
//!                                   # on the evidence: face_search = ["same_account"])
//! ```
//!
//! Every table above but `[cascade]` and `[repeated_face]` carries `outcome`, `code`, `message` and
//! optionally `user_message`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{
    Action, AgeCheck, CascadeSpec, Checks, Condition, Conditions, DEFAULT_OUTCOME_ORDER,
    ExpiringCheck, FraudWarningRule, ListCheck, OtherChannel, PerTransactionRule, Policy,
    PolicyErrors, PolicyPart, PolicySpec, RepeatedFaceSpec, RetryBudget, RiskBand, RuleSpec,
    ScoreRange, TransactionRule,
};
use crate::catalogue::CATALOGUE;
use crate::evidence::FaceRelation;
use crate::model::{DecisionType, Outcome};
use crate::position::line_column;

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

/// Parses and validates a policy file's text. `file` names it in errors;
/// `base` is the policy an `extends` may name.
pub fn read_policy(
    file: &str,
    text: &str,
    base: Option<&PolicySpec>,
) -> Result<Policy, FileErrors> {
    let (spec, spans) = parse_policy(file, text, base)?;
    Policy::compile(spec).map_err(|PolicyErrors(errors)| {
        FileErrors(
            errors
                .into_iter()
                .map(|error| {
                    let at = spans.of(error.part);
                    located(file, text, at, error.message)
                })
                .collect(),
        )
    })
}

/// Parses a policy file into its declarative content, checking names against
/// the catalogue, but not yet the rules' interplay (`Policy::compile`).
/// `base` is the policy an `extends` may name.
pub fn parse_policy(
    file: &str,
    text: &str,
    base: Option<&PolicySpec>,
) -> Result<(PolicySpec, Spans), FileErrors> {
    let raw: RawPolicy = toml::from_str(text).map_err(|error| {
        let at = error.span().unwrap_or(0..0);
        FileErrors(vec![located(
            file,
            text,
            at,
            error.message().trim_end().to_owned(),
        )])
    })?;
    let mut reader = PolicyFileReader::default();
    let spec = reader.policy(raw, base);
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

/// Where each part of a policy file is, to point validation errors at it.
#[derive(Debug, Clone, Default)]
pub struct Spans {
    policy: Range<usize>,
    rules: Vec<Range<usize>>,
    tables: HashMap<&'static str, Range<usize>>,
    risk: Vec<Range<usize>>,
}

impl Spans {
    pub fn of(&self, part: PolicyPart) -> Range<usize> {
        let found = match part {
            PolicyPart::Policy => None,
            PolicyPart::Rule(index) => self.rules.get(index),
            PolicyPart::Table(id) => self.tables.get(id),
            PolicyPart::RiskBand(index) => self.risk.get(index),
        };
        found.unwrap_or(&self.policy).clone()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    /// Start from this policy (only the embedded `jumio-default`): its tables
    /// and rules apply unless this file gives its own.
    #[serde(default)]
    extends: Option<Spanned<String>>,
    id: Spanned<String>,
    version: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    outcome_order: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    status: RawStatus,
    #[serde(default)]
    top_level: RawTopLevel,
    #[serde(default)]
    workflow: RawWorkflow,
    #[serde(default)]
    watchlist: RawWatchlist,
    #[serde(default)]
    document: RawDocument,
    #[serde(default)]
    age: Option<RawAge>,
    #[serde(default)]
    risk: Vec<Spanned<RawTable>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
    #[serde(default)]
    cascade: Option<Spanned<RawCascade>>,
    #[serde(default)]
    retry: RawRetry,
    #[serde(default)]
    passed: RawPassed,
    #[serde(default)]
    repeated_face: Option<Spanned<RawRepeatedFace>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRepeatedFace {
    fraud_codes: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPassed {
    #[serde(default)]
    uncatalogued: Option<Spanned<RawTable>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetry {
    #[serde(default)]
    fraud_warning: Option<Spanned<RawTable>>,
    #[serde(default)]
    budget: Option<Spanned<RawTable>>,
    #[serde(default)]
    other_channel: Option<Spanned<RawTable>>,
}

/// `[cascade]`: a key not given keeps the inherited (or built-in) value.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCascade {
    #[serde(default)]
    input_labels: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    upstream: Option<BTreeMap<String, Spanned<Vec<Spanned<String>>>>>,
    /// Labels or capabilities verdict's catalogue does not list yet: skip
    /// the spelling checks.
    #[serde(default)]
    uncatalogued: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatus {
    #[serde(rename = "SESSION_EXPIRED")]
    #[serde(default)]
    session_expired: Option<Spanned<RawTable>>,
    #[serde(rename = "TOKEN_EXPIRED")]
    #[serde(default)]
    token_expired: Option<Spanned<RawTable>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopLevel {
    #[serde(rename = "WARNING")]
    #[serde(default)]
    warning: Option<Spanned<RawTable>>,
    #[serde(rename = "REJECTED")]
    #[serde(default)]
    rejected: Option<Spanned<RawTable>>,
    #[serde(rename = "NOT_EXECUTED")]
    #[serde(default)]
    not_executed: Option<Spanned<RawTable>>,
    #[serde(rename = "UNRECOGNISED")]
    #[serde(default)]
    unrecognised: Option<Spanned<RawTable>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkflow {
    #[serde(default)]
    nothing_verified: Option<Spanned<RawTable>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWatchlist {
    #[serde(default)]
    search_results: Option<Spanned<RawTable>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    #[serde(default)]
    expired: Option<Spanned<RawTable>>,
    #[serde(default)]
    expiring: Option<Spanned<RawTable>>,
    #[serde(default)]
    country: Option<Spanned<RawTable>>,
    #[serde(default, rename = "type")]
    document_type: Option<Spanned<RawTable>>,
    #[serde(default)]
    birth_after_completion: Option<Spanned<RawTable>>,
}

impl RawPolicy {
    /// The table of a transaction rule, if the file gives it.
    fn transaction_table(&self, rule: TransactionRule) -> Option<&Spanned<RawTable>> {
        match rule {
            TransactionRule::SessionExpired => self.status.session_expired.as_ref(),
            TransactionRule::TokenExpired => self.status.token_expired.as_ref(),
            TransactionRule::TopLevelWarning => self.top_level.warning.as_ref(),
            TransactionRule::TopLevelRejected => self.top_level.rejected.as_ref(),
            TransactionRule::TopLevelNotExecuted => self.top_level.not_executed.as_ref(),
            TransactionRule::TopLevelUnrecognised => self.top_level.unrecognised.as_ref(),
            TransactionRule::DocumentExpired => self.document.expired.as_ref(),
            TransactionRule::WatchlistHits => self.watchlist.search_results.as_ref(),
            TransactionRule::NothingVerified => self.workflow.nothing_verified.as_ref(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAge {
    minimum: Spanned<RawTable>,
}

/// A transaction rule or check: an action plus the parameters some checks
/// take. Which parameters a table may carry is checked by [`PolicyFileReader`].
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
    #[serde(default)]
    codes: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    attempts: Option<u32>,
    #[serde(default)]
    window_days: Option<u32>,
    #[serde(default)]
    suggest: Option<BTreeMap<String, String>>,
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
    #[serde(default)]
    credential: Option<Vec<String>>,
    #[serde(default)]
    dependents_ran: Option<bool>,
    #[serde(default)]
    face_search: Option<Spanned<Vec<Spanned<String>>>>,
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
    Codes,
    Budget,
    Channels,
}

/// Turns a policy file's raw tables into the spec, collecting errors with
/// their spans.
#[derive(Default)]
struct PolicyFileReader {
    errors: Vec<(Range<usize>, String)>,
    spans: Spans,
}

impl PolicyFileReader {
    fn error(&mut self, at: Range<usize>, message: String) {
        self.errors.push((at, message));
    }

    fn policy(&mut self, raw: RawPolicy, base: Option<&PolicySpec>) -> PolicySpec {
        self.spans.policy = raw.id.span();
        let base = self.base(raw.extends.as_ref(), base);
        let outcome_order = match (&raw.outcome_order, &base) {
            (Some(order), _) => order
                .get_ref()
                .iter()
                .map(|name| self.outcome(name))
                .collect(),
            (None, Some(base)) => base.outcome_order.clone(),
            (None, None) => DEFAULT_OUTCOME_ORDER.to_vec(),
        };
        let transaction = PerTransactionRule(TransactionRule::ALL.map(|rule| {
            self.required(
                rule.id(),
                raw.transaction_table(rule),
                base.map(|base| base.transaction.get(rule)),
            )
        }));
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
        let cascade = self.cascade(
            raw.cascade.as_ref(),
            base.and_then(|base| base.cascade.as_ref()),
        );
        // Given here, or inherited: a choice the default makes for the
        // policies that extend it.
        let fraud_warning = match &raw.retry.fraud_warning {
            Some(table) => {
                let read = self.table("retry.fraud_warning", table, Params::Codes);
                Some(FraudWarningRule {
                    codes: read.codes,
                    action: read.action,
                })
            }
            None => base.and_then(|base| base.fraud_warning.clone()),
        };
        let passed_uncatalogued = match &raw.passed.uncatalogued {
            Some(table) => Some(
                self.table("passed.uncatalogued", table, Params::None)
                    .action,
            ),
            None => base.and_then(|base| base.passed_uncatalogued.clone()),
        };
        // Given here, or inherited like the other settings of the default.
        let retry_budget = match &raw.retry.budget {
            Some(table) => {
                let read = self.table("retry.budget", table, Params::Budget);
                Some(RetryBudget {
                    attempts: read.attempts,
                    window_days: read.window_days,
                    action: read.action,
                })
            }
            None => base.and_then(|base| base.retry_budget.clone()),
        };
        let other_channel = match &raw.retry.other_channel {
            Some(table) => {
                let read = self.table("retry.other_channel", table, Params::Channels);
                Some(OtherChannel {
                    suggest: read.suggest,
                    action: read.action,
                })
            }
            None => base.and_then(|base| base.other_channel.clone()),
        };
        let repeated_face = match &raw.repeated_face {
            Some(table) => {
                self.spans.tables.insert("repeated_face", table.span());
                Some(RepeatedFaceSpec {
                    fraud_codes: table.get_ref().fraud_codes.clone(),
                })
            }
            None => base.and_then(|base| base.repeated_face.clone()),
        };
        let birth_after_completion = match &raw.document.birth_after_completion {
            Some(table) => Some(
                self.table("document.birth_after_completion", table, Params::None)
                    .action,
            ),
            None => base.and_then(|base| base.birth_after_completion.clone()),
        };
        let own: Vec<RuleSpec> = raw.rule.iter().map(|rule| self.rule(rule)).collect();
        // Inherited rules come first, minus those this file redefines (same
        // capability, type, label and conditions); their errors point at the
        // policy's id, since they have no line here.
        let mut rules: Vec<RuleSpec> = base
            .as_ref()
            .map(|base| {
                base.rules
                    .iter()
                    .filter(|inherited| !own.iter().any(|rule| overrides(rule, inherited)))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let inherited_count = rules.len();
        let own_spans = std::mem::take(&mut self.spans.rules);
        self.spans.rules = vec![self.spans.policy.clone(); inherited_count];
        self.spans.rules.extend(own_spans);
        rules.extend(own);
        PolicySpec {
            id: raw.id.into_inner(),
            version: raw.version,
            description: raw.description,
            outcome_order,
            rules,
            transaction,
            checks,
            cascade,
            fraud_warning,
            passed_uncatalogued,
            birth_after_completion,
            repeated_face,
            retry_budget,
            other_channel,
        }
    }

    /// `[cascade]`, read over the inherited settings (or the built-in ones);
    /// `None` when neither the file nor its base gives any.
    fn cascade(
        &mut self,
        raw: Option<&Spanned<RawCascade>>,
        inherited: Option<&CascadeSpec>,
    ) -> Option<CascadeSpec> {
        let Some(raw) = raw else {
            return inherited.cloned();
        };
        self.spans.tables.insert("cascade", raw.span());
        let table = raw.get_ref();
        let mut cascade = inherited.cloned().unwrap_or_else(CascadeSpec::jumio);
        if let Some(labels) = &table.input_labels {
            cascade.input_labels = labels
                .iter()
                .map(|label| {
                    if !table.uncatalogued {
                        self.check_input_label(label);
                    }
                    label.get_ref().clone()
                })
                .collect();
        }
        if let Some(upstream) = &table.upstream {
            cascade.upstream = upstream
                .iter()
                .map(|(capability, needs)| {
                    if !table.uncatalogued {
                        self.check_cascade_capability(capability, needs.span());
                        for needed in needs.get_ref() {
                            self.check_cascade_capability(needed.get_ref(), needed.span());
                        }
                    }
                    if needs
                        .get_ref()
                        .iter()
                        .any(|needed| needed.get_ref() == capability)
                    {
                        self.error(
                            needs.span(),
                            format!("[cascade.upstream] {capability} cannot depend on itself"),
                        );
                    }
                    let needs = needs
                        .get_ref()
                        .iter()
                        .map(|needed| needed.get_ref().clone());
                    (capability.clone(), needs.collect())
                })
                .collect();
        }
        Some(cascade)
    }

    fn check_input_label(&mut self, label: &Spanned<String>) {
        let name = label.get_ref().as_str();
        let not_executed = || {
            CATALOGUE
                .iter()
                .filter(|entry| entry.decision_type == DecisionType::NotExecuted)
                .map(|entry| entry.label)
        };
        if not_executed().any(|known| known == name) {
            return;
        }
        let mut message = format!("label {name:?} is not a NOT_EXECUTED label of any capability");
        if let Some(closest) = closest(name, distinct(not_executed()).into_iter()) {
            message.push_str(&format!(" (did you mean {closest}?)"));
        }
        message.push_str(CASCADE_ESCAPE);
        self.error(label.span(), message);
    }

    fn check_cascade_capability(&mut self, name: &str, at: Range<usize>) {
        if CATALOGUE.iter().any(|entry| entry.capability == name) {
            return;
        }
        let known = distinct(CATALOGUE.iter().map(|entry| entry.capability));
        let message = unknown("capability", name, known.into_iter());
        self.error(at, format!("[cascade.upstream]: {message}{CASCADE_ESCAPE}"));
    }

    /// The policy an `extends` names: only the `base` the reader was handed
    /// (the embedded default) can be.
    fn base<'b>(
        &mut self,
        extends: Option<&Spanned<String>>,
        base: Option<&'b PolicySpec>,
    ) -> Option<&'b PolicySpec> {
        let extends = extends?;
        match base {
            Some(base) if *extends.get_ref() == base.id => Some(base),
            _ => {
                let message = match base {
                    Some(base) => format!(
                        "a policy can extend only the embedded {:?}, not {:?}",
                        base.id,
                        extends.get_ref()
                    ),
                    None => format!("this policy cannot extend {:?}", extends.get_ref()),
                };
                self.error(extends.span(), message);
                None
            }
        }
    }

    /// A transaction table this file must give unless it extends a policy.
    fn required(
        &mut self,
        id: &'static str,
        raw: Option<&Spanned<RawTable>>,
        inherited: Option<&Action>,
    ) -> Action {
        match (raw, inherited) {
            (Some(raw), _) => self.table(id, raw, Params::None).action,
            (None, Some(action)) => action.clone(),
            (None, None) => {
                self.error(
                    self.spans.policy.clone(),
                    format!(
                        "missing table [{id}] (or extend the default: extends = \"jumio-default\")"
                    ),
                );
                Action {
                    outcome: Outcome::Review,
                    code: String::new(),
                    message: String::new(),
                    user_message: None,
                }
            }
        }
    }

    fn outcome(&mut self, name: &Spanned<String>) -> Outcome {
        Outcome::from_name(name.get_ref()).unwrap_or_else(|| {
            let known = Outcome::ALL.map(Outcome::name);
            let message = unknown("outcome", name.get_ref(), known.into_iter());
            self.error(name.span(), message);
            Outcome::Review
        })
    }

    /// A value of the `face_search` condition.
    fn face_relation(&mut self, name: &Spanned<String>) -> FaceRelation {
        FaceRelation::from_name(name.get_ref()).unwrap_or_else(|| {
            let known = FaceRelation::ALL.map(FaceRelation::name);
            let message = unknown("face_search value", name.get_ref(), known.into_iter());
            self.error(name.span(), message);
            FaceRelation::Error
        })
    }

    /// A decision type as policies spell it: Jumio's, or `UNRECOGNISED`.
    fn decision_type(&mut self, name: &Spanned<String>) -> DecisionType {
        let known = DecisionType::ALL.map(DecisionType::name);
        DecisionType::ALL
            .into_iter()
            .find(|decision_type| decision_type.name() == name.get_ref())
            .unwrap_or_else(|| {
                let message = unknown("decision type", name.get_ref(), known.into_iter());
                self.error(name.span(), message);
                DecisionType::Other
            })
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
        if table.codes.is_some() && !allowed(Params::Codes) {
            stray.push("codes");
        }
        if (table.attempts.is_some() || table.window_days.is_some()) && !allowed(Params::Budget) {
            stray.push(if table.attempts.is_some() {
                "attempts"
            } else {
                "window_days"
            });
        }
        if table.suggest.is_some() && !allowed(Params::Channels) {
            stray.push("suggest");
        }
        if allowed(Params::Budget) {
            for (key, given) in [
                ("attempts", table.attempts.is_some()),
                ("window_days", table.window_days.is_some()),
            ] {
                if !given {
                    self.error(raw.span(), format!("[{id}] needs `{key}`"));
                }
            }
        }
        if table.codes.is_none() && allowed(Params::Codes) {
            self.error(raw.span(), format!("[{id}] needs `codes`"));
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
            codes: table
                .codes
                .as_ref()
                .map(|codes| codes.get_ref().clone())
                .unwrap_or_default(),
            attempts: table.attempts.unwrap_or_default(),
            window_days: table.window_days.unwrap_or_default(),
            suggest: table.suggest.clone().unwrap_or_default(),
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
            Some(when) => Conditions::new(
                [
                    when.country.clone().map(Condition::Country),
                    when.country_not.clone().map(Condition::CountryNot),
                    when.document_type.clone().map(Condition::DocumentType),
                    when.definition_key.clone().map(Condition::DefinitionKey),
                    when.risk_score.as_ref().map(|range| {
                        Condition::RiskScore(ScoreRange {
                            min: range.min,
                            max: range.max,
                        })
                    }),
                    when.top_level.as_ref().map(|types| {
                        Condition::TopLevel(
                            types
                                .get_ref()
                                .iter()
                                .map(|name| self.decision_type(name))
                                .collect(),
                        )
                    }),
                    when.credential.clone().map(Condition::Credential),
                    when.dependents_ran.map(Condition::DependentsRan),
                    when.face_search.as_ref().map(|relations| {
                        Condition::FaceSearch(
                            relations
                                .get_ref()
                                .iter()
                                .map(|name| self.face_relation(name))
                                .collect(),
                        )
                    }),
                ]
                .into_iter()
                .flatten(),
            ),
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

const CASCADE_ESCAPE: &str =
    "; set `uncatalogued = true` in [cascade] if Jumio added it after verdict's catalogue";

/// Whether `rule` replaces the `inherited` one.
fn overrides(rule: &RuleSpec, inherited: &RuleSpec) -> bool {
    rule.capability == inherited.capability
        && rule.decision_type == inherited.decision_type
        && rule.label == inherited.label
        && rule.when == inherited.when
}

/// A table as read: its action and whichever parameters it may carry.
struct ReadTable {
    action: Action,
    within_days: u32,
    years: u32,
    allow: Option<Vec<String>>,
    deny: Vec<String>,
    range: ScoreRange,
    codes: Vec<String>,
    attempts: u32,
    window_days: u32,
    suggest: BTreeMap<String, String>,
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
