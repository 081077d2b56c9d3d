//! Golden cases: a policy's expected decisions, kept beside it as
//! `NAME.test.toml` and run by `verdict policy test` and before every reload.
//!
//! ```toml
//! [[case]]
//! name = "a blurred ID asks for a retry"
//! payload = "payloads/02-usability-rejected-blurred.json"  # relative to this file
//! outcome = "RETRY"
//! code = "IMAGE_QUALITY_BLURRED"          # optional: the decision's result code
//! codes = ["IMAGE_QUALITY_BLURRED"]       # optional: all root-cause codes, in order
//!
//! [[case]]
//! name = "glare on a US passport is declined"
//! findings = ["usability.REJECTED.GLARE"] # a compact workflow instead of a payload
//! country = "USA"
//! document_type = "PASSPORT"
//! outcome = "DECLINE"
//! ```
//!
//! A compact case is a PROCESSED workflow completed at `completed_at`
//! (default 2026-01-01) whose top-level type is `top_level` (default: the type
//! of the finding Jumio rated worst, as `DecisionType::severity` ranks them),
//! with one entry per finding and an extraction entry carrying the document
//! facts given. A finding may name the credential categories its entry
//! evaluated after a colon: `usability.NOT_EXECUTED.NOT_UPLOADED:FACEMAP`,
//! `liveness.PASSED.OK:SELFIE,FACEMAP`; without them it names none.
//!
//! A case states the evidence its decision is made with, as the ledger or a
//! caller would give it; a compact case can give its account and the face
//! search of its (first) imageChecks entry:
//!
//! ```toml
//! [[case]]
//! name = "a repeated face of another account is reviewed"
//! findings = ["imageChecks.WARNING.REPEATED_FACE"]
//! account_id = "acct-1"
//! face_search = { status = "DONE", findings = ["w-1"] }
//! evidence = { workflows = [{ workflow_id = "w-1", account_id = "acct-2" }] }
//! outcome = "REVIEW"
//! code = "REPEATED_FACE_OTHER_ACCOUNT"
//! ```

use std::collections::BTreeMap;
use std::io;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::evaluate::evaluate_with;
use crate::evidence::Evidence;
use crate::json::parse_workflow_json;
use crate::model::DecisionType;
use crate::policy::file::{FileError, FileErrors};
use crate::policy::{DEFAULT_OUTCOME_ORDER, Policy, TransactionRule};
use crate::position::line_column;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGolden {
    /// The policy id these cases are for; checked when given.
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    case: Vec<toml::Spanned<RawCase>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: String,
    #[serde(default)]
    payload: Option<String>,
    #[serde(default)]
    findings: Vec<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    top_level: Option<String>,
    #[serde(default)]
    risk_score: Option<f64>,
    #[serde(default)]
    definition_key: Option<String>,
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    document_type: Option<String>,
    #[serde(default)]
    date_of_birth: Option<String>,
    #[serde(default)]
    expiry_date: Option<String>,
    #[serde(default)]
    completed_at: Option<String>,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    face_search: Option<RawFaceSearch>,
    #[serde(default)]
    evidence: Evidence,
    outcome: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    codes: Option<Vec<String>>,
}

/// `faceSearchFindings` of a compact case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFaceSearch {
    status: String,
    #[serde(default)]
    findings: Vec<String>,
}

/// One case's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    pub name: String,
    /// 1-based line of the case in its file.
    pub line: usize,
    /// Why it failed, or `None` when it passed.
    pub failure: Option<String>,
    /// Ids of the rules behind the decision's reasons.
    pub rules: Vec<String>,
}

/// The results of one golden file against one policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldenReport {
    pub file: String,
    pub cases: Vec<CaseResult>,
}

impl GoldenReport {
    pub fn failed(&self) -> impl Iterator<Item = &CaseResult> {
        self.cases.iter().filter(|case| case.failure.is_some())
    }

    pub fn passed(&self) -> bool {
        self.failed().next().is_none()
    }
}

/// Runs the golden cases in `text` (read from `file`) against `policy`.
/// `read_payload` reads a case's `payload` file by the path the case gives
/// (`files.rs` reads them beside the cases file). Errors in
/// the file itself (not failing cases) are [`FileErrors`].
pub fn run_golden(
    file: &str,
    text: &str,
    read_payload: &dyn Fn(&str) -> io::Result<String>,
    policy: &Policy,
) -> Result<GoldenReport, FileErrors> {
    let at = |offset: usize, message: String| {
        let (line, column) = line_column(text, offset);
        FileErrors(vec![FileError {
            file: file.to_owned(),
            line,
            column,
            message,
        }])
    };
    let raw: RawGolden = toml::from_str(text).map_err(|error| {
        at(
            error.span().map_or(0, |span| span.start),
            error.message().trim_end().to_owned(),
        )
    })?;
    if let Some(id) = &raw.policy
        && *id != policy.reference().id
    {
        return Err(at(
            0,
            format!(
                "these cases are for policy {id:?}, not {:?}",
                policy.reference().id
            ),
        ));
    }
    let mut cases = Vec::with_capacity(raw.case.len());
    for case in &raw.case {
        let offset = case.span().start;
        let (line, _) = line_column(text, offset);
        let case = case.get_ref();
        let body = match (&case.payload, case.findings.is_empty()) {
            (Some(path), true) => read_payload(path).map_err(|error| {
                at(
                    offset,
                    format!("case {:?}: payload {path}: {error}", case.name),
                )
            })?,
            (None, false) => compact_body(case),
            _ => {
                return Err(at(
                    offset,
                    format!("case {:?}: give either `payload` or `findings`", case.name),
                ));
            }
        };
        let (failure, rules) = judge(case, &body, policy);
        cases.push(CaseResult {
            name: case.name.clone(),
            line,
            failure,
            rules,
        });
    }
    Ok(GoldenReport {
        file: file.to_owned(),
        cases,
    })
}

/// (failure, rule ids behind the reasons).
fn judge(case: &RawCase, body: &str, policy: &Policy) -> (Option<String>, Vec<String>) {
    let workflow = match parse_workflow_json(body) {
        Ok(workflow) => workflow,
        Err(error) => {
            return (
                Some(format!("the workflow does not parse: {error}")),
                Vec::new(),
            );
        }
    };
    let mut evidence = case.evidence.clone();
    evidence.normalize();
    let decision = match evaluate_with(&workflow, policy, &evidence) {
        Ok(decision) => decision,
        Err(error) => return (Some(error.to_string()), Vec::new()),
    };
    let rules = decision
        .reasons
        .iter()
        .map(|reason| reason.rule_id.to_owned())
        .collect();
    let roots: Vec<&str> = decision
        .reasons
        .iter()
        .filter(|reason| reason.root_cause)
        .map(|reason| reason.code)
        .collect();
    let mut wrong = Vec::new();
    if !DEFAULT_OUTCOME_ORDER
        .iter()
        .any(|outcome| outcome.name() == case.outcome)
    {
        wrong.push(format!("unknown outcome {:?}", case.outcome));
    } else if decision.outcome.name() != case.outcome {
        wrong.push(format!(
            "outcome {} where {} was expected",
            decision.outcome.name(),
            case.outcome
        ));
    }
    if let Some(code) = &case.code
        && decision.result_code != code
    {
        wrong.push(format!(
            "result code {} where {code} was expected",
            decision.result_code
        ));
    }
    if let Some(codes) = &case.codes
        && roots != *codes
    {
        wrong.push(format!(
            "root-cause codes [{}] where [{}] were expected",
            roots.join(", "),
            codes.join(", ")
        ));
    }
    let failure = (!wrong.is_empty()).then(|| wrong.join("; "));
    (failure, rules)
}

/// The retrieval body a compact case stands for.
fn compact_body(case: &RawCase) -> String {
    let findings: Vec<(&str, &str, &str, Vec<&str>)> = case
        .findings
        .iter()
        .map(|finding| {
            let (finding, credentials) = finding.split_once(':').unwrap_or((finding, ""));
            let mut parts = finding.splitn(3, '.');
            (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
                credentials
                    .split(',')
                    .filter(|category| !category.is_empty())
                    .collect(),
            )
        })
        .collect();
    // The top level follows the finding Jumio rated worst, by the same
    // ranking evaluation orders reasons with.
    let worst = findings
        .iter()
        .map(|(_, t, _, _)| *t)
        .max_by_key(|t| DecisionType::from_name(t).severity())
        .unwrap_or("PASSED");
    let mut capabilities: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for (capability, decision_type, label, credentials) in &findings {
        let credentials: Vec<Value> = credentials
            .iter()
            .map(|category| json!({ "category": category }))
            .collect();
        capabilities.entry(capability).or_default().push(json!({
            "credentials": credentials,
            "decision": {"type": decision_type, "details": {"label": label}}
        }));
    }
    let mut data = Map::new();
    for (key, value) in [
        ("issuingCountry", &case.country),
        ("type", &case.document_type),
        ("dateOfBirth", &case.date_of_birth),
        ("expiryDate", &case.expiry_date),
    ] {
        if let Some(value) = value {
            data.insert(key.to_owned(), json!(value));
        }
    }
    if !data.is_empty() {
        let extraction = capabilities.entry("extraction").or_default();
        match extraction.first_mut() {
            Some(entry) => {
                entry["data"] = Value::Object(data);
            }
            None => extraction.push(json!({
                "decision": {"type": "PASSED", "details": {"label": "OK"}},
                "data": data
            })),
        }
    }
    if let Some(search) = &case.face_search {
        let image_checks = capabilities.entry("imageChecks").or_default();
        if image_checks.is_empty() {
            image_checks.push(json!({"decision": {"type": "PASSED", "details": {"label": "OK"}}}));
        }
        image_checks[0]["data"] = json!({
            "faceSearchFindings": {"status": search.status, "findings": search.findings}
        });
    }
    let mut decision = json!({
        "type": case.top_level.as_deref().unwrap_or(worst),
        "details": {"label": case.top_level.as_deref().unwrap_or(worst)}
    });
    if let Some(score) = case.risk_score {
        decision["risk"] = json!({"score": score});
    }
    let mut workflow = json!({
        "id": "golden-case",
        "status": case.status.as_deref().unwrap_or("PROCESSED"),
    });
    if let Some(key) = &case.definition_key {
        workflow["definitionKey"] = json!(key);
    }
    let mut body = json!({
        "workflow": workflow,
        "completedAt": case.completed_at.as_deref().unwrap_or("2026-01-01T00:00:00.000Z"),
        "decision": decision,
        "capabilities": capabilities,
    });
    if let Some(account) = &case.account_id {
        body["account"] = json!({ "id": account });
    }
    body.to_string()
}

/// How many cases each rule of `policy` decided a reason for, in policy order:
/// finding rules, then transaction rules and checks.
pub fn coverage<'a>(policy: &'a Policy, reports: &[GoldenReport]) -> Vec<(&'a str, usize)> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for case in reports.iter().flat_map(|report| &report.cases) {
        let mut seen: Vec<&str> = case.rules.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for rule in seen {
            *counts.entry(rule).or_default() += 1;
        }
    }
    let transaction = TransactionRule::ALL
        .into_iter()
        .map(|rule| policy.transaction_rules().get(rule));
    let checks = policy.checks().rules().into_iter().map(|(rule, _)| rule);
    policy
        .rules()
        .iter()
        .chain(transaction)
        .chain(checks)
        .map(|rule| (&*rule.id, counts.get(&*rule.id).copied().unwrap_or(0)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASES: &str = r#"
policy = "jumio-default"

[[case]]
name = "a blurred ID asks for a retry"
payload = "02-usability-rejected-blurred.json"
outcome = "RETRY"
code = "IMAGE_QUALITY_BLURRED"
codes = ["IMAGE_QUALITY_BLURRED"]

[[case]]
name = "a sample document is fraud"
findings = ["imageChecks.REJECTED.SAMPLE"]
outcome = "DECLINE"
codes = ["DOCUMENT_FRAUD_SAMPLE"]

[[case]]
name = "an expired passport is retried"
findings = ["usability.PASSED.OK"]
expiry_date = "2025-12-31"
outcome = "RETRY"
code = "DOCUMENT_EXPIRED"

[[case]]
name = "a FACEMAP nobody needed does not retry"
findings = ["usability.NOT_EXECUTED.NOT_UPLOADED:FACEMAP", "liveness.PASSED.OK:SELFIE"]
top_level = "PASSED"
outcome = "APPROVE"
codes = ["OPTIONAL_PART_NOT_UPLOADED"]

[[case]]
name = "a wrong expectation"
findings = ["similarity.REJECTED.NO_MATCH"]
outcome = "APPROVE"
code = "APPROVED"
"#;

    fn fixtures() -> impl Fn(&str) -> io::Result<String> {
        crate::authoring::files::payload_reader(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures"),
        )
    }

    #[test]
    fn cases_pass_and_fail_with_what_differed() {
        let policy = Policy::embedded_default();
        let report =
            run_golden("cases.test.toml", CASES, &fixtures(), &policy).expect("valid file");
        let results: Vec<(&str, usize, Option<&str>)> = report
            .cases
            .iter()
            .map(|case| (case.name.as_str(), case.line, case.failure.as_deref()))
            .collect();
        assert_eq!(
            results,
            [
                ("a blurred ID asks for a retry", 4, None),
                ("a sample document is fraud", 11, None),
                ("an expired passport is retried", 17, None),
                ("a FACEMAP nobody needed does not retry", 24, None),
                (
                    "a wrong expectation",
                    31,
                    Some(
                        "outcome DECLINE where APPROVE was expected; result code FACE_MISMATCH where APPROVED was expected"
                    )
                ),
            ]
        );
        assert!(!report.passed());
        let covered: Vec<(&str, usize)> = coverage(&policy, &[report])
            .into_iter()
            .filter(|(_, count)| *count > 0)
            .collect();
        assert!(
            covered.contains(&("imageChecks.REJECTED.SAMPLE", 1)),
            "{covered:?}"
        );
        assert!(covered.contains(&("document.expired", 1)), "{covered:?}");
        assert!(
            covered.contains(&("usability.REJECTED.BLURRED", 1)),
            "{covered:?}"
        );
    }

    #[test]
    fn the_default_policy_passes_its_golden_cases_which_cover_the_rules_for_real_world_payloads() {
        let policy = Policy::embedded_default();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/policy");
        let report = run_golden(
            "default.test.toml",
            include_str!("../policy/default.test.toml"),
            &crate::authoring::files::payload_reader(&dir),
            &policy,
        )
        .unwrap_or_else(|errors| panic!("{errors}"));
        let failed: Vec<String> = report
            .failed()
            .map(|case| format!("{}: {}", case.name, case.failure.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(failed, Vec::<String>::new());
        let counts = coverage(&policy, &[report]);
        for rule in [
            "retry.fraud_warning",
            "passed.uncatalogued",
            "top_level.REJECTED",
            "top_level.WARNING",
            "usability.NOT_EXECUTED.NOT_UPLOADED[credential=FACEMAP; dependents_ran=true]",
            "usability.NOT_EXECUTED.TECHNICAL_ERROR[credential=FACEMAP; dependents_ran=true]",
            "dataChecks.REJECTED.CHIP_MISSING",
            "dataChecks.REJECTED.DIGITAL_MANIPULATION",
            "watchlistScreening.NOT_EXECUTED.VALIDATION_FAILED",
            "watchlistScreening.NOT_EXECUTED.EXTRACTION_NOT_DONE",
            "watchlistScreening.NOT_EXECUTED.NO_VALID_ID_CREDENTIAL",
            "*.NOT_EXECUTED.PRECONDITION_NOT_FULFILLED",
            "*.UNRECOGNISED.*",
        ] {
            let count = counts
                .iter()
                .find(|(id, _)| *id == rule)
                .map_or(0, |(_, count)| *count);
            assert!(count > 0, "no golden case reaches {rule}");
        }
    }

    #[test]
    fn a_case_file_for_another_policy_or_without_input_is_an_error() {
        let policy = Policy::embedded_default();
        let error = run_golden("x.test.toml", "policy = \"acme\"\n", &fixtures(), &policy)
            .expect_err("wrong policy");
        assert_eq!(
            error.to_string(),
            "x.test.toml:1:1: these cases are for policy \"acme\", not \"jumio-default\""
        );
        let error = run_golden(
            "x.test.toml",
            "[[case]]\nname = \"empty\"\noutcome = \"APPROVE\"\n",
            &fixtures(),
            &policy,
        )
        .expect_err("no input");
        assert_eq!(
            error.to_string(),
            "x.test.toml:1:1: case \"empty\": give either `payload` or `findings`"
        );
    }
}
