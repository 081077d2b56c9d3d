//! Evaluation with the embedded default policy, seed row by seed row, plus the
//! combination rules. Expected outcomes and codes are written by hand from the
//! seed guidance and the issue, never computed by the code under test.

use std::borrow::Cow;

use time::macros::{date, datetime};

use super::*;
use crate::catalogue::CATALOGUE;
use crate::model::{Capability, CapabilityData, TopLevelDecision};
use crate::policy::default::default_policy_spec;
use crate::policy::{Action, Conditions, PolicySpec, RuleSpec};

/// A PROCESSED workflow completed on 2025-03-04 with the given top-level type
/// and (capability, type, label) findings, one entry each.
fn workflow(
    top: &'static str,
    findings: &[(&'static str, &'static str, &'static str)],
) -> WorkflowResult<'static> {
    let mut capabilities: Vec<Capability<'static>> = Vec::new();
    for &(name, decision_type, label) in findings {
        let entry = CapabilityEntry {
            id: Some(Cow::Owned(format!("{name}-{}", capabilities.len()))),
            credential_categories: vec![Cow::Borrowed("ID")],
            raw_decision_type: Cow::Borrowed(decision_type),
            label: Cow::Borrowed(label),
            data: CapabilityData::default(),
        };
        match capabilities.iter_mut().find(|c| c.name == name) {
            Some(capability) => capability.entries.push(entry),
            None => capabilities.push(Capability {
                name: Cow::Borrowed(name),
                entries: vec![entry],
            }),
        }
    }
    WorkflowResult {
        workflow_id: Some(Cow::Borrowed("workflow-1")),
        status: Cow::Borrowed("PROCESSED"),
        definition_key: Some(Cow::Borrowed("10013")),
        account_id: Some(Cow::Borrowed("account-1")),
        completed_at: Some(datetime!(2025 - 03 - 04 10:20:05.871 UTC)),
        decision: Some(TopLevelDecision {
            raw_decision_type: Cow::Borrowed(top),
            label: Cow::Borrowed(top),
            risk_score: Some(if top == "PASSED" { 0.0 } else { 60.0 }),
        }),
        capabilities,
    }
}

/// The full set of passing capabilities of an ID + selfie workflow.
const ALL_PASSED: &[(&str, &str, &str)] = &[
    ("usability", "PASSED", "OK"),
    ("liveness", "PASSED", "OK"),
    ("similarity", "PASSED", "MATCH"),
    ("imageChecks", "PASSED", "OK"),
    ("extraction", "PASSED", "OK"),
    ("dataChecks", "PASSED", "OK"),
    ("watchlistScreening", "PASSED", "OK"),
];

/// ALL_PASSED with `finding` replacing the entry of the same capability.
fn one_finding(
    top: &'static str,
    finding: (&'static str, &'static str, &'static str),
) -> WorkflowResult<'static> {
    let findings: Vec<_> = ALL_PASSED
        .iter()
        .map(|&passed| {
            if passed.0 == finding.0 {
                finding
            } else {
                passed
            }
        })
        .collect();
    workflow(top, &findings)
}

fn decide<'a>(workflow: &'a WorkflowResult<'_>, policy: &'a Policy) -> Decision<'a> {
    evaluate(workflow, policy).expect("final workflow")
}

fn outcome_and_code(
    top: &'static str,
    finding: (&'static str, &'static str, &'static str),
) -> (Outcome, String) {
    let policy = Policy::embedded_default();
    let workflow = one_finding(top, finding);
    let decision = decide(&workflow, &policy);
    (decision.outcome, decision.result_code.to_owned())
}

// Seed row: "Risk Score = 0 — low risk, approve the user".
#[test]
fn risk_score_zero_with_everything_passed_is_approved() {
    let policy = Policy::embedded_default();
    let workflow = workflow("PASSED", ALL_PASSED);
    let decision = decide(&workflow, &policy);
    assert_eq!(decision.outcome, Outcome::Approve);
    assert_eq!(decision.result_code, "APPROVED");
    assert!(decision.reasons.is_empty());
    assert_eq!(decision.workflow_id, Some("workflow-1"));
    assert_eq!(decision.account_id, Some("account-1"));
    assert_eq!(decision.policy.id, "jumio-default");
}

// Seed row: "Usability REJECTED — not necessarily fraud; prompt to retry,
// perhaps on a different channel (desktop -> mobile)".
#[test]
fn usability_rejection_asks_for_a_retry_on_another_channel() {
    let policy = Policy::embedded_default();
    let workflow = one_finding("REJECTED", ("usability", "REJECTED", "BLURRED"));
    let decision = decide(&workflow, &policy);
    assert_eq!(decision.outcome, Outcome::Retry);
    assert_eq!(decision.result_code, "IMAGE_QUALITY_BLURRED");
    let user_message = decision.reasons[0].user_message.expect("retry guidance");
    assert!(user_message.contains("mobile device"), "{user_message}");
}

#[test]
fn every_usability_rejection_label_retries_with_guidance() {
    let policy = Policy::embedded_default();
    for entry in CATALOGUE
        .iter()
        .filter(|e| e.capability == "usability" && e.decision_type == DecisionType::Rejected)
    {
        let workflow = one_finding("REJECTED", ("usability", "REJECTED", entry.label));
        let decision = decide(&workflow, &policy);
        assert_eq!(decision.outcome, Outcome::Retry, "{}", entry.label);
        assert!(
            decision.reasons[0].user_message.is_some(),
            "{}",
            entry.label
        );
    }
}

#[test]
fn copies_of_the_document_are_asked_for_the_original() {
    for label in ["PHOTOCOPY", "DIGITAL_COPY"] {
        let policy = Policy::embedded_default();
        let workflow = one_finding("REJECTED", ("usability", "REJECTED", label));
        let decision = decide(&workflow, &policy);
        let user_message = decision.reasons[0].user_message.expect("guidance");
        assert!(
            user_message.contains("original document"),
            "{label}: {user_message}"
        );
    }
}

#[test]
fn an_unknown_usability_rejection_still_retries_and_is_flagged_uncatalogued() {
    let policy = Policy::embedded_default();
    let workflow = one_finding("REJECTED", ("usability", "REJECTED", "FINGER_OVER_LENS"));
    let decision = decide(&workflow, &policy);
    assert_eq!(decision.outcome, Outcome::Retry);
    assert_eq!(decision.result_code, "IMAGE_UNUSABLE");
    assert_eq!(decision.reasons[0].label, "FINGER_OVER_LENS");
    assert!(!decision.reasons[0].catalogued);
    assert_eq!(decision.reasons[0].rule_id, "usability.REJECTED.*");
}

// Seed row: "Usability WARNING — route according to country/document".
#[test]
fn usability_warning_is_reviewed() {
    assert_eq!(
        outcome_and_code("WARNING", ("usability", "WARNING", "LIVENESS_UNDETERMINED")),
        (Outcome::Review, "USABILITY_WARNING".to_owned())
    );
}

#[test]
fn unsupported_country_or_document_type_retries_with_another_document() {
    for label in ["UNSUPPORTED_COUNTRY", "UNSUPPORTED_DOCUMENT_TYPE"] {
        let policy = Policy::embedded_default();
        let workflow = one_finding("WARNING", ("usability", "WARNING", label));
        let decision = decide(&workflow, &policy);
        assert_eq!(
            (decision.outcome, decision.result_code),
            (Outcome::Retry, label)
        );
        let user_message = decision.reasons[0].user_message.expect("guidance");
        assert!(
            user_message.contains("another identity document"),
            "{user_message}"
        );
    }
}

// Seed row: "Extraction — always passed or not executed".
#[test]
fn extraction_technical_error_retries_and_an_extraction_rejection_is_never_approved() {
    assert_eq!(
        outcome_and_code("WARNING", ("extraction", "NOT_EXECUTED", "TECHNICAL_ERROR")),
        (Outcome::Retry, "TECHNICAL_ERROR".to_owned())
    );
    assert_eq!(
        outcome_and_code(
            "PASSED",
            ("extraction", "REJECTED", "MISSING_MANDATORY_DATA")
        ),
        (Outcome::Review, "UNRECOGNISED_REJECTION".to_owned())
    );
}

// Seed row: "Image Checks REJECTED — typically fraud; a function of the label;
// PUNCHED may not be fraud".
#[test]
fn image_check_rejections_decline_except_punched_and_other_rejection() {
    for entry in CATALOGUE
        .iter()
        .filter(|e| e.capability == "imageChecks" && e.decision_type == DecisionType::Rejected)
    {
        let (outcome, code) =
            outcome_and_code("REJECTED", ("imageChecks", "REJECTED", entry.label));
        match entry.label {
            "PUNCHED" | "OTHER_REJECTION" => {
                assert_eq!(outcome, Outcome::Review, "{}", entry.label)
            }
            _ => {
                assert_eq!(outcome, Outcome::Decline, "{}", entry.label);
                assert!(code.starts_with("DOCUMENT_FRAUD_"), "{code}");
            }
        }
    }
}

#[test]
fn punched_document_is_reviewed_not_declined() {
    assert_eq!(
        outcome_and_code("REJECTED", ("imageChecks", "REJECTED", "PUNCHED")),
        (Outcome::Review, "DOCUMENT_PUNCHED".to_owned())
    );
}

// Seed row: "Image Checks WARNING — only three labels; handle each uniquely".
#[test]
fn image_check_warnings_are_reviewed_each_with_its_own_code() {
    let codes: Vec<_> = [
        "DIFFERENT_PERSON",
        "REPEATED_FACE",
        "GHOST_IMAGE_QUALITY_INSUFFICIENT",
    ]
    .into_iter()
    .map(|label| outcome_and_code("WARNING", ("imageChecks", "WARNING", label)))
    .collect();
    assert_eq!(
        codes,
        [
            (Outcome::Review, "DIFFERENT_PERSON".to_owned()),
            (Outcome::Review, "REPEATED_FACE".to_owned()),
            (Outcome::Review, "GHOST_IMAGE_UNVERIFIABLE".to_owned()),
        ]
    );
}

// Seed rows: "Data Checks REJECTED — typically fraud, per label" and
// "Data Checks WARNING — handle each as your use case needs".
#[test]
fn data_check_rejections_decline_and_warnings_are_reviewed_per_label() {
    let mut warning_codes = Vec::new();
    for entry in CATALOGUE.iter().filter(|e| e.capability == "dataChecks") {
        let decision_type = entry.decision_type.name();
        let (outcome, code) =
            outcome_and_code("WARNING", ("dataChecks", decision_type, entry.label));
        match entry.decision_type {
            DecisionType::Rejected => assert_eq!(outcome, Outcome::Decline, "{}", entry.label),
            DecisionType::Warning => {
                assert_eq!(outcome, Outcome::Review, "{}", entry.label);
                warning_codes.push(code);
            }
            _ => {}
        }
    }
    let distinct: std::collections::HashSet<_> = warning_codes.iter().collect();
    assert_eq!(
        distinct.len(),
        5,
        "each data-check warning has its own code: {warning_codes:?}"
    );
}

// Seed row: "Liveness REJECTED — handle per reject reason (e.g. multiple people)".
#[test]
fn liveness_spoofs_decline_and_capture_problems_retry() {
    for label in [
        "ID_USED_AS_SELFIE",
        "DIGITAL_COPY",
        "PHOTOCOPY",
        "MANIPULATED",
    ] {
        let (outcome, code) = outcome_and_code("REJECTED", ("liveness", "REJECTED", label));
        assert_eq!(outcome, Outcome::Decline, "{label}");
        assert_eq!(code, format!("SPOOF_{label}"));
    }
    for label in [
        "MULTIPLE_PEOPLE",
        "NO_FACE_PRESENT",
        "FACE_NOT_FULLY_VISIBLE",
        "BLACK_WHITE",
        "LIVENESS_UNDETERMINED",
    ] {
        let (outcome, code) = outcome_and_code("REJECTED", ("liveness", "REJECTED", label));
        assert_eq!(outcome, Outcome::Retry, "{label}");
        assert!(code.starts_with("SELFIE_CAPTURE_"), "{code}");
    }
}

// Seed row: "Liveness WARNING — circumstantial".
#[test]
fn liveness_warnings_are_reviewed() {
    for label in ["AGE_DIFFERENCE", "BAD_QUALITY", "SOMETHING_NEW"] {
        assert_eq!(
            outcome_and_code("WARNING", ("liveness", "WARNING", label)).0,
            Outcome::Review,
            "{label}"
        );
    }
}

// Seed rows: "Similarity NO_MATCH / NOT_POSSIBLE — circumstantial".
#[test]
fn similarity_no_match_declines_and_not_possible_is_reviewed() {
    assert_eq!(
        outcome_and_code("REJECTED", ("similarity", "REJECTED", "NO_MATCH")),
        (Outcome::Decline, "FACE_MISMATCH".to_owned())
    );
    assert_eq!(
        outcome_and_code("REJECTED", ("similarity", "REJECTED", "NOT_MATCH")),
        (Outcome::Decline, "FACE_MISMATCH".to_owned()),
        "legacy spelling"
    );
    assert_eq!(
        outcome_and_code("WARNING", ("similarity", "WARNING", "NOT_POSSIBLE")),
        (Outcome::Review, "FACE_COMPARISON_NOT_POSSIBLE".to_owned())
    );
}

#[test]
fn watchlist_alert_is_reviewed_even_when_the_top_level_passed() {
    assert_eq!(
        outcome_and_code("PASSED", ("watchlistScreening", "WARNING", "ALERT")),
        (Outcome::Review, "WATCHLIST_HIT".to_owned())
    );
}

fn with_search_results(hits: u64) -> WorkflowResult<'static> {
    let mut workflow = workflow("PASSED", ALL_PASSED);
    let screening = workflow
        .capabilities
        .iter_mut()
        .find(|c| c.name == "watchlistScreening")
        .expect("screening");
    screening.entries[0].data.search_results = Some(hits);
    workflow
}

#[test]
fn watchlist_hits_under_a_passed_screening_are_reviewed() {
    let policy = Policy::embedded_default();
    let workflow = with_search_results(2);
    let decision = decide(&workflow, &policy);
    assert_eq!(
        (decision.outcome, decision.result_code),
        (Outcome::Review, "WATCHLIST_HIT")
    );
    let workflow = with_search_results(0);
    assert_eq!(decide(&workflow, &policy).outcome, Outcome::Approve);
}

/// ALL_PASSED, completed on `completed_on`, whose document expires on `expiry`
/// (kept as the parsers keep it: days to expiry as of completion).
fn with_expiry(expiry: time::Date, completed_on: Option<time::Date>) -> WorkflowResult<'static> {
    let mut workflow = workflow("PASSED", ALL_PASSED);
    workflow.completed_at = completed_on.map(|date| date.midnight().assume_utc());
    let extraction = workflow
        .capabilities
        .iter_mut()
        .find(|c| c.name == "extraction")
        .expect("extraction");
    extraction.entries[0].data.days_to_expiry =
        crate::model::days_to_expiry(Some(expiry), completed_on);
    workflow
}

#[test]
fn a_document_expired_before_completion_retries_with_a_valid_document_though_jumio_passed_it() {
    let policy = Policy::embedded_default();
    let workflow = with_expiry(date!(2025 - 03 - 03), Some(date!(2025 - 03 - 04)));
    let decision = decide(&workflow, &policy);
    assert_eq!(
        (decision.outcome, decision.result_code),
        (Outcome::Retry, "DOCUMENT_EXPIRED")
    );
    assert_eq!(decision.reasons[0].capability, "extraction");
    assert_eq!(decision.reasons[0].rule_id, "document.expired");
    assert!(
        decision.reasons[0]
            .user_message
            .expect("guidance")
            .contains("valid document")
    );
}

#[test]
fn a_date_of_birth_after_completion_goes_to_an_analyst_and_the_day_itself_does_not() {
    let policy = Policy::embedded_default();
    let born = |birth: time::Date| {
        let mut workflow = with_expiry(date!(2030 - 01 - 01), Some(date!(2025 - 03 - 04)));
        if let Some(extraction) = workflow
            .capabilities
            .iter_mut()
            .find(|c| c.name == "extraction")
        {
            extraction.entries[0].data.age_years =
                crate::model::age_years(Some(birth), Some(date!(2025 - 03 - 04)));
        }
        workflow
    };
    let after = born(date!(2025 - 03 - 05));
    let decision = decide(&after, &policy);
    assert_eq!(
        (decision.outcome, decision.result_code),
        (Outcome::Review, "DATE_OF_BIRTH_AFTER_COMPLETION")
    );
    assert_eq!(
        decision.reasons[0].rule_id,
        "document.birth_after_completion"
    );
    // Born on the day the workflow completed: odd, but not after it.
    let same_day = born(date!(2025 - 03 - 04));
    assert_eq!(decide(&same_day, &policy).outcome, Outcome::Approve);
}

#[test]
fn a_document_expiring_on_the_completion_day_is_still_valid() {
    let policy = Policy::embedded_default();
    let workflow = with_expiry(date!(2025 - 03 - 04), Some(date!(2025 - 03 - 04)));
    assert_eq!(decide(&workflow, &policy).outcome, Outcome::Approve);
}

#[test]
fn expiry_is_judged_as_of_completion_not_today() {
    // Expired long before this test runs, but valid when the workflow completed.
    let policy = Policy::embedded_default();
    let workflow = with_expiry(date!(2020 - 01 - 01), Some(date!(2019 - 12 - 31)));
    assert_eq!(decide(&workflow, &policy).outcome, Outcome::Approve);
    // Without a completion date there is no "today" to judge by.
    let workflow = with_expiry(date!(2020 - 01 - 01), None);
    assert_eq!(decide(&workflow, &policy).outcome, Outcome::Approve);
}

#[test]
fn an_unknown_capability_is_decided_by_its_decision_type_and_never_approved() {
    let policy = Policy::embedded_default();
    for (decision_type, code) in [
        ("REJECTED", "UNRECOGNISED_REJECTION"),
        ("WARNING", "UNRECOGNISED_WARNING"),
        ("NOT_EXECUTED", "UNRECOGNISED_NOT_EXECUTED"),
        ("INCONCLUSIVE", "UNRECOGNISED_DECISION_TYPE"),
    ] {
        let mut findings = ALL_PASSED.to_vec();
        findings.push((
            "documentProvenanceCheck",
            decision_type,
            "PROVENANCE_CHAIN_BROKEN",
        ));
        let workflow = workflow("PASSED", &findings);
        let decision = decide(&workflow, &policy);
        assert_eq!(
            (decision.outcome, decision.result_code),
            (Outcome::Review, code),
            "{decision_type}"
        );
        let reason = &decision.reasons[0];
        assert_eq!(reason.capability, "documentProvenanceCheck");
        assert_eq!(reason.label, "PROVENANCE_CHAIN_BROKEN");
        assert_eq!(reason.raw_decision_type, decision_type);
        assert!(!reason.catalogued);
    }
}

#[test]
fn a_pass_with_a_label_that_is_not_a_pass_is_flagged_and_neutral() {
    let policy = Policy::embedded_default();
    for label in ["LIVENESS_UNDETERMINED", "LIKELY_LIVE"] {
        let workflow = one_finding("PASSED", ("liveness", "PASSED", label));
        let decision = decide(&workflow, &policy);
        assert_eq!(
            (decision.outcome, decision.result_code),
            (Outcome::Approve, "UNCATALOGUED_PASS"),
            "{label}"
        );
        assert!(!decision.reasons[0].catalogued, "{label}");
        assert_eq!(decision.reasons[0].label, label);
    }
    // Catalogued passes and passes without a label say nothing.
    let quiet = workflow(
        "PASSED",
        &[("liveness", "PASSED", "OK"), ("dataChecks", "PASSED", "")],
    );
    assert!(decide(&quiet, &policy).reasons.is_empty());
    // A policy may send such passes to an analyst.
    let mut spec = default_policy_spec();
    spec.passed_uncatalogued = Some(Action {
        outcome: Outcome::Review,
        code: "ODD_PASS".to_owned(),
        message: "m".to_owned(),
        user_message: None,
    });
    let strict = Policy::compile(spec).expect("valid policy");
    let workflow = one_finding("PASSED", ("liveness", "PASSED", "LIVENESS_UNDETERMINED"));
    assert_eq!(
        (
            decide(&workflow, &strict).outcome,
            decide(&workflow, &strict).result_code
        ),
        (Outcome::Review, "ODD_PASS")
    );
}

#[test]
fn an_unknown_capability_that_passed_is_neutral() {
    let policy = Policy::embedded_default();
    let mut findings = ALL_PASSED.to_vec();
    findings.push(("documentProvenanceCheck", "PASSED", "OK"));
    assert_eq!(
        decide(&workflow("PASSED", &findings), &policy).outcome,
        Outcome::Approve
    );
}

#[test]
fn cascaded_not_executed_results_are_reported_but_not_root_causes() {
    let policy = Policy::embedded_default();
    let workflow = workflow(
        "REJECTED",
        &[
            ("usability", "REJECTED", "GLARE"),
            ("imageChecks", "NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED"),
            ("extraction", "NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED"),
        ],
    );
    let decision = decide(&workflow, &policy);
    assert_eq!(
        (decision.outcome, decision.result_code),
        (Outcome::Retry, "IMAGE_QUALITY_GLARE")
    );
    let roots: Vec<_> = decision
        .reasons
        .iter()
        .map(|r| (r.capability, r.root_cause))
        .collect();
    assert_eq!(
        roots,
        [
            ("usability", true),
            ("extraction", false),
            ("imageChecks", false)
        ]
    );
}

#[test]
fn cascades_do_not_drive_the_outcome_while_a_root_cause_exists() {
    // A team that approves punched documents: the cascades it causes (REVIEW
    // on their own) must not turn the approval into a review.
    let mut spec = default_policy_spec();
    spec.rules.push(RuleSpec {
        id: None,
        when: Conditions::default(),
        capability: Some("imageChecks".to_owned()),
        decision_type: DecisionType::Rejected,
        label: Some("PUNCHED".to_owned()),
        action: Action {
            outcome: Outcome::Approve,
            code: "PUNCHED_ACCEPTED".to_owned(),
            message: String::new(),
            user_message: None,
        },
    });
    spec.rules.retain(|rule| {
        !(rule.label.as_deref() == Some("PUNCHED") && rule.action.outcome == Outcome::Review)
    });
    let policy = Policy::compile(spec).expect("valid policy");
    let workflow = workflow(
        "PASSED",
        &[
            ("imageChecks", "REJECTED", "PUNCHED"),
            ("extraction", "NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED"),
        ],
    );
    let decision = decide(&workflow, &policy);
    assert_eq!(
        (decision.outcome, decision.result_code),
        (Outcome::Approve, "PUNCHED_ACCEPTED")
    );
    assert_eq!(decision.reasons.len(), 2, "the cascade is still reported");
}

#[test]
fn a_check_that_did_not_run_with_nothing_upstream_to_explain_it_is_a_root_cause() {
    let policy = Policy::embedded_default();
    let workflow = workflow(
        "PASSED",
        &[
            ("usability", "PASSED", "OK"),
            ("extraction", "PASSED", "OK"),
            ("dataChecks", "NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED"),
        ],
    );
    let decision = decide(&workflow, &policy);
    assert_eq!(
        (decision.outcome, decision.result_code),
        (Outcome::Review, "CHECK_NOT_EXECUTED")
    );
    assert!(
        decision.reasons[0].root_cause,
        "nothing upstream explains it"
    );
}

/// `workflow` with each entry's credential categories set, in input order.
fn with_credentials(
    mut workflow: WorkflowResult<'static>,
    credentials: &[&[&'static str]],
) -> WorkflowResult<'static> {
    let entries = workflow
        .capabilities
        .iter_mut()
        .flat_map(|capability| capability.entries.iter_mut());
    for (entry, categories) in entries.zip(credentials) {
        entry.credential_categories = categories.iter().map(|c| Cow::Borrowed(*c)).collect();
    }
    workflow
}

fn roots_and_consequences<'a>(decision: &Decision<'a>) -> Vec<(&'a str, &'a str, bool)> {
    decision
        .reasons
        .iter()
        .map(|reason| (reason.capability, reason.label, reason.root_cause))
        .collect()
}

#[test]
fn every_label_that_means_missing_input_is_a_consequence_of_an_upstream_failure() {
    // A glared ID: screening reports its input failed validation, the rest
    // that its precondition was not fulfilled. One root cause, not two.
    let policy = Policy::embedded_default();
    for label in [
        "VALIDATION_FAILED",
        "EXTRACTION_NOT_DONE",
        "NO_VALID_ID_CREDENTIAL",
        "PRECONDITION_NOT_FULFILLED",
    ] {
        let workflow = workflow(
            "REJECTED",
            &[
                ("usability", "REJECTED", "GLARE"),
                ("extraction", "NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED"),
                ("watchlistScreening", "NOT_EXECUTED", label),
            ],
        );
        let decision = decide(&workflow, &policy);
        assert_eq!(
            (decision.outcome, decision.result_code),
            (Outcome::Retry, "IMAGE_QUALITY_GLARE"),
            "{label}"
        );
        assert_eq!(
            roots_and_consequences(&decision),
            [
                ("usability", "GLARE", true),
                ("extraction", "PRECONDITION_NOT_FULFILLED", false),
                ("watchlistScreening", label, false),
            ],
            "{label}"
        );
    }
}

#[test]
fn a_consequence_cannot_drive_the_outcome_under_a_policy_that_declines_unscreened_customers() {
    // A compliance team declines whenever screening did not run. A glared ID
    // that stopped screening must still be asked to retry, not declined.
    let mut spec = default_policy_spec();
    for rule in spec.rules.iter_mut().filter(|rule| {
        rule.capability.as_deref() == Some("watchlistScreening")
            && rule.decision_type == DecisionType::NotExecuted
    }) {
        rule.action.outcome = Outcome::Decline;
    }
    let policy = Policy::compile(spec).expect("valid policy");
    let glared = workflow(
        "REJECTED",
        &[
            ("usability", "REJECTED", "GLARE"),
            ("watchlistScreening", "NOT_EXECUTED", "VALIDATION_FAILED"),
        ],
    );
    assert_eq!(decide(&glared, &policy).outcome, Outcome::Retry);
    // Screening that failed validation with nothing upstream to blame is
    // that policy's decline.
    let standalone = workflow(
        "WARNING",
        &[("watchlistScreening", "NOT_EXECUTED", "VALIDATION_FAILED")],
    );
    let decision = decide(&standalone, &policy);
    assert_eq!(
        (decision.outcome, decision.result_code),
        (Outcome::Decline, "SCREENING_NOT_RUN")
    );
    assert!(decision.reasons[0].root_cause);
}

#[test]
fn a_failure_explains_only_the_checks_of_the_same_credential() {
    // The selfie failed usability: liveness (selfie) did not run because of
    // it; data checks (ID) did not run with every ID check passed, which
    // nothing explains.
    let policy = Policy::embedded_default();
    let workflow = with_credentials(
        workflow(
            "REJECTED",
            &[
                ("usability", "PASSED", "OK"),
                ("usability", "REJECTED", "BLACK_WHITE"),
                ("liveness", "NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED"),
                ("extraction", "PASSED", "OK"),
                ("dataChecks", "NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED"),
            ],
        ),
        &[
            &["ID"],
            &["SELFIE"],
            &["SELFIE", "FACEMAP"],
            &["ID"],
            &["ID"],
        ],
    );
    let decision = decide(&workflow, &policy);
    assert_eq!(decision.outcome, Outcome::Retry);
    assert_eq!(
        roots_and_consequences(&decision),
        [
            ("usability", "BLACK_WHITE", true),
            ("dataChecks", "PRECONDITION_NOT_FULFILLED", true),
            ("liveness", "PRECONDITION_NOT_FULFILLED", false),
        ]
    );
}

#[test]
fn a_consequence_is_attributed_to_the_failure_at_the_root_of_its_chain() {
    // Usability failed the ID; image checks and extraction did not run, so
    // data checks did not either. Each names the usability finding.
    let policy = Policy::embedded_default();
    let workflow = workflow(
        "REJECTED",
        &[
            ("usability", "REJECTED", "BLURRED"),
            ("imageChecks", "NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED"),
            ("extraction", "NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED"),
            ("dataChecks", "NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED"),
            ("similarity", "NOT_EXECUTED", "TECHNICAL_ERROR"),
        ],
    );
    let traces = explain::explain(&workflow, &policy);
    // (capability, the upstream capability, label and entry it is attributed to)
    type Attribution<'a> = (&'a str, Option<(&'a str, &'a str, Option<&'a str>)>);
    let attributed: Vec<Attribution<'_>> = traces
        .iter()
        .map(|trace| {
            (
                trace.capability,
                trace
                    .caused_by
                    .map(|upstream| (upstream.capability, upstream.label, upstream.entry_id)),
            )
        })
        .collect();
    assert_eq!(
        attributed,
        [
            ("usability", None),
            (
                "imageChecks",
                Some(("usability", "BLURRED", Some("usability-0")))
            ),
            (
                "extraction",
                Some(("usability", "BLURRED", Some("usability-0")))
            ),
            (
                "dataChecks",
                Some(("usability", "BLURRED", Some("usability-0")))
            ),
            // A technical error is not missing input: its own root cause.
            ("similarity", None),
        ]
    );
}

#[test]
fn image_checks_and_extraction_explain_each_other_in_either_documented_order() {
    let policy = Policy::embedded_default();
    for (failed, skipped) in [("imageChecks", "extraction"), ("extraction", "imageChecks")] {
        let workflow = workflow(
            "REJECTED",
            &[
                ("usability", "PASSED", "OK"),
                (failed, "NOT_EXECUTED", "TECHNICAL_ERROR"),
                (skipped, "NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED"),
            ],
        );
        let decision = decide(&workflow, &policy);
        assert_eq!(decision.result_code, "TECHNICAL_ERROR", "{failed}");
        assert_eq!(
            decision.reasons.iter().filter(|r| r.root_cause).count(),
            1,
            "{failed} explains {skipped}"
        );
    }
    // Both skipped with nothing failed: neither explains the other.
    let workflow = workflow(
        "WARNING",
        &[
            ("usability", "PASSED", "OK"),
            ("imageChecks", "NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED"),
            ("extraction", "NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED"),
        ],
    );
    let decision = decide(&workflow, &policy);
    assert!(decision.reasons.iter().all(|reason| reason.root_cause));
}

/// An ID + selfie workflow whose FACEMAP usability entry is `facemap`, with
/// liveness `liveness` on the selfie (and the FACEMAP when it was uploaded).
fn facemap_workflow(
    facemap: (&'static str, &'static str),
    liveness: (&'static str, &'static str),
    liveness_credentials: &'static [&'static str],
) -> WorkflowResult<'static> {
    with_credentials(
        workflow(
            "WARNING",
            &[
                ("usability", "PASSED", "OK"),
                ("usability", "PASSED", "OK"),
                ("usability", facemap.0, facemap.1),
                ("liveness", liveness.0, liveness.1),
                ("similarity", "PASSED", "MATCH"),
            ],
        ),
        &[
            &["ID"],
            &["SELFIE"],
            &["FACEMAP"],
            liveness_credentials,
            &["ID", "SELFIE"],
        ],
    )
}

#[test]
fn an_optional_facemap_that_no_check_needed_is_reported_without_a_retry() {
    let policy = Policy::embedded_default();
    for (label, code) in [
        ("NOT_UPLOADED", "OPTIONAL_PART_NOT_UPLOADED"),
        ("TECHNICAL_ERROR", "OPTIONAL_PART_NOT_CHECKED"),
    ] {
        // Liveness ran on the selfie, listing the FACEMAP or not.
        for liveness_credentials in [&["SELFIE"][..], &["SELFIE", "FACEMAP"][..]] {
            let workflow = facemap_workflow(
                ("NOT_EXECUTED", label),
                ("PASSED", "OK"),
                liveness_credentials,
            );
            let decision = decide(&workflow, &policy);
            // Nothing but Jumio's top-level WARNING holds it back.
            assert_eq!(
                (decision.outcome, decision.result_code),
                (Outcome::Review, "TOP_LEVEL_WARNING"),
                "{label} {liveness_credentials:?}"
            );
            let reported = decision
                .reasons
                .iter()
                .find(|reason| reason.label == label)
                .expect("reported");
            assert_eq!((reported.outcome, reported.code), (Outcome::Approve, code));
        }
    }
}

#[test]
fn a_missing_image_that_stopped_a_check_or_is_the_subject_of_the_workflow_retries() {
    let policy = Policy::embedded_default();
    // Liveness could not run without the FACEMAP.
    let stopped = facemap_workflow(
        ("NOT_EXECUTED", "NOT_UPLOADED"),
        ("NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED"),
        &["SELFIE", "FACEMAP"],
    );
    let decision = decide(&stopped, &policy);
    assert_eq!(
        (decision.outcome, decision.result_code),
        (Outcome::Retry, "MISSING_IMAGE")
    );
    assert_eq!(
        roots_and_consequences(&decision),
        [
            ("usability", "NOT_UPLOADED", true),
            ("liveness", "PRECONDITION_NOT_FULFILLED", false),
        ]
    );
    // A selfie never uploaded retries even where a check ran without it.
    let selfie = with_credentials(
        workflow(
            "WARNING",
            &[
                ("usability", "PASSED", "OK"),
                ("usability", "NOT_EXECUTED", "NOT_UPLOADED"),
                ("similarity", "PASSED", "MATCH"),
            ],
        ),
        &[&["ID"], &["SELFIE"], &["ID"]],
    );
    assert_eq!(
        decide(&selfie, &policy).result_code,
        "MISSING_IMAGE",
        "the selfie is not optional"
    );
    // A FACEMAP in a body where no check that depends on usability appears:
    // nothing shows it was not needed.
    let alone = with_credentials(
        workflow("WARNING", &[("usability", "NOT_EXECUTED", "NOT_UPLOADED")]),
        &[&["FACEMAP"]],
    );
    assert_eq!(decide(&alone, &policy).result_code, "MISSING_IMAGE");
}

#[test]
fn a_retry_never_hides_a_fraud_type_warning_under_the_default() {
    let policy = Policy::embedded_default();
    for (capability, decision_type, label, warning_code) in [
        ("imageChecks", "WARNING", "REPEATED_FACE", "REPEATED_FACE"),
        (
            "imageChecks",
            "WARNING",
            "DIFFERENT_PERSON",
            "DIFFERENT_PERSON",
        ),
        (
            "dataChecks",
            "WARNING",
            "LOOKUPS_MEDIUM_RISK_SAME_DOCUMENT_NUMBER",
            "DOCUMENT_NUMBER_SEEN_WITH_OTHER_DATA",
        ),
        ("watchlistScreening", "WARNING", "ALERT", "WATCHLIST_HIT"),
    ] {
        let workflow = workflow(
            "REJECTED",
            &[
                ("liveness", "REJECTED", "NO_FACE_PRESENT"),
                (capability, decision_type, label),
            ],
        );
        let decision = decide(&workflow, &policy);
        assert_eq!(
            (decision.outcome, decision.result_code),
            (Outcome::Review, "RETRY_WITH_FRAUD_WARNING"),
            "{label}"
        );
        let lead = &decision.reasons[0];
        assert_eq!(
            (lead.capability, lead.label, lead.rule_id, lead.user_message),
            (capability, label, "retry.fraud_warning", None),
            "the leading reason names the warning, and tells the user nothing to retry"
        );
        assert!(
            decision
                .reasons
                .iter()
                .any(|reason| reason.code == warning_code && reason.root_cause),
            "{label}: the warning itself is still reported"
        );
    }
}

#[test]
fn a_retry_with_other_warnings_or_a_decline_with_a_fraud_warning_is_unchanged() {
    let policy = Policy::embedded_default();
    let benign = workflow(
        "REJECTED",
        &[
            ("liveness", "REJECTED", "NO_FACE_PRESENT"),
            ("similarity", "WARNING", "NOT_POSSIBLE"),
        ],
    );
    assert_eq!(
        decide(&benign, &policy).result_code,
        "SELFIE_CAPTURE_NO_FACE"
    );
    let declined = workflow(
        "REJECTED",
        &[
            ("imageChecks", "WARNING", "REPEATED_FACE"),
            ("similarity", "REJECTED", "NO_MATCH"),
            ("liveness", "REJECTED", "NO_FACE_PRESENT"),
        ],
    );
    assert_eq!(
        (decide(&declined, &policy).outcome),
        Outcome::Decline,
        "only a RETRY hides a warning"
    );
    // An abandoned session retries whatever its findings say: they are
    // consequences, not root causes.
    let mut abandoned = workflow(
        "NOT_EXECUTED",
        &[("imageChecks", "WARNING", "REPEATED_FACE")],
    );
    abandoned.status = Cow::Borrowed("TOKEN_EXPIRED");
    assert_eq!(decide(&abandoned, &policy).outcome, Outcome::Retry);
}

#[test]
fn a_policy_without_the_fraud_warning_rule_keeps_the_retry() {
    let mut spec = default_policy_spec();
    spec.fraud_warning = None;
    let policy = Policy::compile(spec).expect("valid policy");
    let workflow = workflow(
        "REJECTED",
        &[
            ("liveness", "REJECTED", "NO_FACE_PRESENT"),
            ("imageChecks", "WARNING", "REPEATED_FACE"),
        ],
    );
    assert_eq!(
        (
            decide(&workflow, &policy).outcome,
            decide(&workflow, &policy).result_code
        ),
        (Outcome::Retry, "SELFIE_CAPTURE_NO_FACE")
    );
}

#[test]
fn the_worst_outcome_wins_decline_retry_review_approve() {
    assert!(
        Outcome::Decline > Outcome::Retry
            && Outcome::Retry > Outcome::Review
            && Outcome::Review > Outcome::Approve
    );
    let policy = Policy::embedded_default();
    type Findings = &'static [(&'static str, &'static str, &'static str)];
    let cases: [(Findings, Outcome); 3] = [
        (
            &[
                ("liveness", "REJECTED", "MULTIPLE_PEOPLE"),
                ("imageChecks", "REJECTED", "FAKE"),
                ("similarity", "WARNING", "NOT_POSSIBLE"),
            ],
            Outcome::Decline,
        ),
        (
            &[
                ("similarity", "WARNING", "NOT_POSSIBLE"),
                ("liveness", "REJECTED", "MULTIPLE_PEOPLE"),
            ],
            Outcome::Retry,
        ),
        (
            &[
                ("usability", "PASSED", "OK"),
                ("similarity", "WARNING", "NOT_POSSIBLE"),
            ],
            Outcome::Review,
        ),
    ];
    for (findings, expected) in cases {
        let workflow = workflow("REJECTED", findings);
        let decision = decide(&workflow, &policy);
        assert_eq!(decision.outcome, expected, "{findings:?}");
        assert_eq!(
            decision.reasons[0].outcome, expected,
            "the deciding reason leads"
        );
    }
}

#[test]
fn the_top_level_decision_is_a_floor() {
    let policy = Policy::embedded_default();
    for (top, outcome, code) in [
        ("WARNING", Outcome::Review, "TOP_LEVEL_WARNING"),
        ("REJECTED", Outcome::Review, "TOP_LEVEL_REJECTED"),
        ("NOT_EXECUTED", Outcome::Retry, "TOP_LEVEL_NOT_EXECUTED"),
        ("SOMETHING_ELSE", Outcome::Review, "TOP_LEVEL_UNRECOGNISED"),
    ] {
        let workflow = workflow(top, ALL_PASSED);
        let decision = decide(&workflow, &policy);
        assert_eq!(
            (decision.outcome, decision.result_code),
            (outcome, code),
            "{top}"
        );
        assert_eq!(decision.reasons[0].capability, "decision");
    }
    // A floor never lowers a worse outcome, and adds no reason when not needed.
    let workflow = one_finding("WARNING", ("imageChecks", "REJECTED", "FAKE"));
    let decision = decide(&workflow, &policy);
    assert_eq!(decision.outcome, Outcome::Decline);
    assert!(decision.reasons.iter().all(|r| r.capability != "decision"));
}

#[test]
fn abandoned_sessions_retry_and_their_findings_are_consequences() {
    let policy = Policy::embedded_default();
    for status in ["SESSION_EXPIRED", "TOKEN_EXPIRED"] {
        let mut workflow = workflow(
            "NOT_EXECUTED",
            &[
                ("usability", "NOT_EXECUTED", "NOT_UPLOADED"),
                ("liveness", "NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED"),
            ],
        );
        workflow.status = Cow::Borrowed(status);
        let decision = decide(&workflow, &policy);
        assert_eq!(
            (decision.outcome, decision.result_code),
            (Outcome::Retry, status)
        );
        assert_eq!(decision.reasons[0].capability, "workflow");
        assert_eq!(decision.reasons[0].label, status);
        assert_eq!(decision.reasons.iter().filter(|r| r.root_cause).count(), 1);
    }
}

#[test]
fn workflows_that_are_not_final_are_not_decided() {
    let policy = Policy::embedded_default();
    for status in ["INITIATED", "ACQUIRED", "ACQUISITION_STARTED", ""] {
        let mut workflow = workflow("PASSED", ALL_PASSED);
        workflow.status = Cow::Borrowed(status);
        let error = evaluate(&workflow, &policy).expect_err(status);
        assert_eq!(error.status, status);
    }
}

#[test]
fn a_processed_workflow_with_no_capability_results_verified_nothing() {
    // Upload-only workflows pass with `capabilities: {}`: "passed" there
    // means received, not verified.
    let policy = Policy::embedded_default();
    let workflow = workflow("PASSED", &[]);
    let decision = decide(&workflow, &policy);
    assert_eq!(
        (decision.outcome, decision.result_code),
        (Outcome::Review, "NOTHING_VERIFIED")
    );
}

#[test]
fn with_no_capability_results_jumios_warning_or_rejection_is_the_reason() {
    let policy = Policy::embedded_default();
    for (top, code, rule_id) in [
        ("REJECTED", "TOP_LEVEL_REJECTED", "top_level.REJECTED"),
        ("WARNING", "TOP_LEVEL_WARNING", "top_level.WARNING"),
    ] {
        let mut workflow = workflow(top, &[]);
        if let Some(decision) = workflow.decision.as_mut() {
            decision.label = Cow::Borrowed("CPF_NOT_CONFIRMED");
        }
        let decision = decide(&workflow, &policy);
        assert_eq!(
            (decision.outcome, decision.result_code),
            (Outcome::Review, code),
            "{top}"
        );
        let reasons: Vec<(&str, DecisionType, &str, &str)> = decision
            .reasons
            .iter()
            .map(|r| (r.capability, r.decision_type, r.label, r.rule_id))
            .collect();
        assert_eq!(
            reasons,
            [(
                "decision",
                DecisionType::from_name(top),
                "CPF_NOT_CONFIRMED",
                rule_id
            )],
            "one reason, citing Jumio's decision and its label"
        );
    }
}

#[test]
fn the_same_content_in_another_order_gives_the_same_decision() {
    let policy = Policy::embedded_default();
    let findings = [
        ("similarity", "WARNING", "NOT_POSSIBLE"),
        ("documentProvenanceCheck", "REJECTED", "X"),
        ("dataChecks", "WARNING", "ID_DATA_INVALID"),
        ("liveness", "WARNING", "BAD_QUALITY"),
        ("extraction", "NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED"),
    ];
    let forward = workflow("WARNING", &findings);
    let mut reversed_findings = findings;
    reversed_findings.reverse();
    let reversed = workflow("WARNING", &reversed_findings);
    let strip_ids = |decision: Decision<'_>| -> Vec<(String, String, bool)> {
        decision
            .reasons
            .iter()
            .map(|r| (r.capability.to_owned(), r.code.to_owned(), r.root_cause))
            .collect()
    };
    let first = decide(&forward, &policy);
    assert_eq!(
        first,
        decide(&forward, &policy),
        "evaluating twice gives the same decision"
    );
    assert_eq!(
        first.result_code, "UNRECOGNISED_REJECTION",
        "Jumio's worse rating leads among equal outcomes"
    );
    assert_eq!(strip_ids(first), strip_ids(decide(&reversed, &policy)));
}

#[test]
fn compiling_the_same_policy_twice_decides_identically() {
    let spec: PolicySpec = default_policy_spec();
    let (a, b) = (
        Policy::compile(spec.clone()).expect("valid"),
        Policy::compile(spec).expect("valid"),
    );
    let workflow = one_finding("REJECTED", ("imageChecks", "REJECTED", "SAMPLE"));
    assert_eq!(decide(&workflow, &a), decide(&workflow, &b));
}
