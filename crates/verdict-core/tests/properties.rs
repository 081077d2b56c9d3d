//! Properties over generated inputs (proptest): parsing never panics on any
//! text, evaluation never panics, is deterministic, and is monotone — adding a
//! non-PASSED finding never improves the outcome under the default policy,
//! except by the one documented exception: a RETRY that a fraud-type warning
//! turns into the policy's `retry.fraud_warning` outcome (REVIEW). And a
//! workflow read back from its facts record decides as the workflow did.

#![allow(
    clippy::expect_used,
    reason = "a property that cannot run should fail loudly"
)]

use std::borrow::Cow;
use std::sync::LazyLock;

use proptest::prelude::*;
use verdict_core::catalogue::CATALOGUE;
use verdict_core::{
    Capability, CapabilityData, CapabilityEntry, Evidence, Policy, TopLevelDecision,
    WorkflowResult, evaluate, explain, facts_from_json, facts_to_json, load_policy,
    parse_workflow_json,
};

/// The worked example: risk bands, a minimum age and an expiry notice.
static ACME: LazyLock<Policy> = LazyLock::new(|| {
    load_policy(
        "acme-eu.toml",
        include_str!("../policies/examples/acme-eu.toml"),
    )
    .expect("the worked example loads")
});

fn fixture(name: &str) -> String {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// What the fast-path property inserts into a body: whitespace of every kind
/// and length, escapes, characters JSON refuses raw in a string, number parts
/// and punctuation.
const SNIPPETS: [&str; 22] = [
    " ",
    "\n",
    "\t",
    "\r\n",
    "         ",
    "\n\n        ",
    "\\n",
    "\\u00e9",
    "\\\"",
    "\\x",
    "é",
    "x",
    "\u{1}",
    "\u{c}",
    "0",
    "-",
    ".5",
    "e5",
    ",",
    "]",
    "}",
    "null",
];

const TYPES: [&str; 5] = ["PASSED", "WARNING", "REJECTED", "NOT_EXECUTED", "BRAND_NEW"];

/// A finding: a catalogued (capability, label) or a made-up one, any type.
fn finding() -> impl Strategy<Value = (String, String, String)> {
    let catalogued = (0..CATALOGUE.len()).prop_map(|index| {
        let entry = &CATALOGUE[index];
        (
            entry.capability.to_owned(),
            entry.decision_type.name().to_owned(),
            entry.label.to_owned(),
        )
    });
    let made_up = ("[a-zA-Z]{1,12}", 0..TYPES.len(), "[A-Z_]{0,20}")
        .prop_map(|(capability, kind, label)| (capability, TYPES[kind].to_owned(), label));
    prop_oneof![3 => catalogued, 1 => made_up]
}

fn workflow(
    top: usize,
    score: Option<f64>,
    findings: &[(String, String, String)],
) -> WorkflowResult<'static> {
    let mut capabilities: Vec<Capability<'static>> = Vec::new();
    for (capability, kind, label) in findings {
        let entry = CapabilityEntry {
            id: None,
            credential_categories: Vec::new(),
            raw_decision_type: Cow::Owned(kind.clone()),
            label: Cow::Owned(label.clone()),
            data: CapabilityData::default(),
        };
        match capabilities.iter_mut().find(|c| c.name == *capability) {
            Some(existing) => existing.entries.push(entry),
            None => capabilities.push(Capability {
                name: Cow::Owned(capability.clone()),
                entries: vec![entry],
            }),
        }
    }
    WorkflowResult {
        workflow_id: Some(Cow::Borrowed("w")),
        status: Cow::Borrowed("PROCESSED"),
        definition_key: None,
        account_id: None,
        completed_at: None,
        decision: Some(TopLevelDecision {
            raw_decision_type: Cow::Borrowed(TYPES[top]),
            label: Cow::Borrowed(""),
            risk_score: score,
        }),
        capabilities,
    }
}

proptest! {
    // 256 cases each by default; PROPTEST_CASES=20000 for a longer hunt.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn parsing_any_text_never_panics(text in ".{0,400}") {
        let _ = parse_workflow_json(&text);
    }

    #[test]
    fn parsing_a_mangled_payload_never_panics(cut in 0usize..8000, insert in "[\\[\\]{}\",:0-9a-z\\\\]{0,8}") {
        let body = fixture("02-usability-rejected-blurred.json");
        let cut = cut.min(body.len());
        let cut = (0..=cut).rev().find(|at| body.is_char_boundary(*at)).unwrap_or(0);
        let mangled = format!("{}{insert}{}", &body[..cut], &body[cut..]);
        let _ = parse_workflow_json(&mangled);
    }

    /// The parser's fast path reads a body as serde_json does, or leaves it
    /// to serde_json: corpus bodies with text inserted where whitespace,
    /// escapes, numbers or punctuation may change what is read or whether
    /// it is valid JSON at all.
    #[test]
    fn the_fast_path_reads_what_serde_json_reads_or_leaves_it(
        file in 0usize..4,
        edits in proptest::collection::vec((0usize..9000, 0usize..SNIPPETS.len()), 1..5),
    ) {
        let mut body = fixture(["01-clean-pass-score-0.json", "02-usability-rejected-blurred.json",
            "05-imagechecks-warning-repeated-face.json", "x2-watchlist-alert.json"][file]);
        for (at, snippet) in edits {
            let at = at.min(body.len());
            let at = (0..=at).rev().find(|at| body.is_char_boundary(*at)).unwrap_or(0);
            body.insert_str(at, SNIPPETS[snippet]);
        }
        let (fast, serde) = verdict_core::json::read_both_ways(&body);
        if fast.is_some() {
            prop_assert_eq!(fast, serde);
        }
    }

    #[test]
    fn evaluation_is_total_deterministic_and_monotone(
        top in 0usize..TYPES.len(),
        score in proptest::option::of(-1.0f64..=100.0),
        findings in proptest::collection::vec(finding(), 0..12),
        extra in finding().prop_filter("a non-PASSED finding", |(_, kind, _)| kind != "PASSED"),
    ) {
        let policy = Policy::embedded_default();
        let before = workflow(top, score, &findings);
        let first = evaluate(&before, &policy).expect("PROCESSED is final");
        let again = evaluate(&before, &policy).expect("PROCESSED is final");
        prop_assert_eq!(&first, &again);

        let mut more = findings.clone();
        more.push(extra);
        let after = workflow(top, score, &more);
        let worse = evaluate(&after, &policy).expect("PROCESSED is final");
        let spared_a_fraud_warning = worse
            .reasons
            .first()
            .is_some_and(|reason| reason.rule_id == "retry.fraud_warning");
        prop_assert!(
            policy.severity(worse.outcome) >= policy.severity(first.outcome)
                || spared_a_fraud_warning,
            "{:?} became {:?} by adding {:?}", first.outcome, worse.outcome, more.last()
        );
    }

    /// Whatever a field that the decision reads holds, an error never carries
    /// it back (it may be personal data, or megabytes).
    #[test]
    fn errors_never_repeat_a_value(
        // "Zq" starts no word of any error text, so a match is an echo.
        value in "Zq[A-Za-z .'-]{4,40}",
        field in 0usize..4,
    ) {
        let quoted = serde_json::to_string(&value).expect("a string");
        let body = match field {
            0 => format!(r#"{{"workflow":{{"status":"PROCESSED"}},"capabilities":{{"extraction":[{{"decision":{{"type":"PASSED"}},"data":{{"dateOfBirth":{quoted}}}}}]}}}}"#),
            1 => format!(r#"{{"workflow":{{"status":"PROCESSED"}},"capabilities":{{"extraction":[{{"decision":{{"type":"PASSED"}},"data":{{"expiryDate":{quoted}}}}}]}}}}"#),
            2 => format!(r#"{{"workflow":{{"status":"PROCESSED"}},"decision":{{"type":"PASSED","risk":{{"score":{quoted}}}}}}}"#),
            _ => format!(r#"{{"workflow":{{"status":"PROCESSED"}},"completedAt":{quoted}}}"#),
        };
        let error = parse_workflow_json(&body).expect_err("not a date, score or timestamp");
        let shown = format!("{error}");
        prop_assert!(!shown.contains(&value[..6]), "{shown}");
    }

    /// Any score (most have 17 significant digits), any findings, any
    /// document dates: the same decision and explanation from the record.
    #[test]
    fn a_workflow_decides_the_same_from_its_facts(
        top in 0usize..TYPES.len(),
        score in proptest::option::of(-1.0f64..=100.0),
        findings in proptest::collection::vec(finding(), 0..12),
        days_to_expiry in proptest::option::of(-40i64..40),
        age_years in proptest::option::of(-2i64..30),
    ) {
        let mut workflow = workflow(top, score, &findings);
        workflow.capabilities.push(Capability {
            name: Cow::Borrowed("extraction"),
            entries: vec![CapabilityEntry {
                raw_decision_type: Cow::Borrowed("PASSED"),
                label: Cow::Borrowed("OK"),
                data: CapabilityData {
                    days_to_expiry,
                    age_years,
                    ..CapabilityData::default()
                },
                ..CapabilityEntry::default()
            }],
        });
        let json = facts_to_json(&workflow, &Evidence::default());
        let (replayed, _) = facts_from_json(&json).expect("a record");
        prop_assert_eq!(&replayed, &workflow);
        for policy in [&Policy::embedded_default(), &*ACME] {
            prop_assert_eq!(evaluate(&replayed, policy), evaluate(&workflow, policy));
            prop_assert_eq!(explain(&replayed, policy), explain(&workflow, policy));
        }
    }
}
