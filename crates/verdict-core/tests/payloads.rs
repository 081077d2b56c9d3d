//! Every payload of `tests/fixtures/`, parsed and decided with the embedded
//! default policy. Expectations are each payload's expected business decision
//! and the default policy tables in `crates/verdict-core/README.md`.

#![allow(
    clippy::expect_used,
    reason = "a test that cannot go on should fail loudly"
)]

use verdict_core::{Outcome, Policy, evaluate, load_policy, parse_workflow_json};

fn fixture(name: &str) -> String {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// (outcome, result code, root-cause reasons as capability/label, count of
/// reasons that are not root causes).
fn decide(name: &str) -> (Outcome, String, Vec<String>, usize) {
    let body = fixture(name);
    let workflow = parse_workflow_json(&body).unwrap_or_else(|error| panic!("{name}: {error}"));
    let policy = Policy::embedded_default();
    let decision = evaluate(&workflow, &policy).unwrap_or_else(|error| panic!("{name}: {error}"));
    let roots = decision
        .reasons
        .iter()
        .filter(|reason| reason.root_cause)
        .map(|reason| format!("{}/{}", reason.capability, reason.label))
        .collect();
    let cascades = decision
        .reasons
        .iter()
        .filter(|reason| !reason.root_cause)
        .count();
    (
        decision.outcome,
        decision.result_code.to_owned(),
        roots,
        cascades,
    )
}

fn expect(name: &str, outcome: Outcome, code: &str, roots: &[&str], cascades: usize) {
    let (got_outcome, got_code, got_roots, got_cascades) = decide(name);
    assert_eq!((got_outcome, got_code.as_str()), (outcome, code), "{name}");
    assert_eq!(got_roots, roots, "{name}: root causes");
    assert_eq!(got_cascades, cascades, "{name}: cascaded reasons");
}

#[test]
fn clean_pass_with_score_zero_is_approved() {
    expect(
        "01-clean-pass-score-0.json",
        Outcome::Approve,
        "APPROVED",
        &[],
        0,
    );
}

#[test]
fn blurred_id_retries_and_its_five_cascades_are_not_root_causes() {
    expect(
        "02-usability-rejected-blurred.json",
        Outcome::Retry,
        "IMAGE_QUALITY_BLURRED",
        &["usability/BLURRED"],
        5,
    );
}

#[test]
fn digital_manipulation_is_declined() {
    expect(
        "03-imagechecks-rejected-digital-manipulation.json",
        Outcome::Decline,
        "DOCUMENT_FRAUD_DIGITAL_MANIPULATION",
        &["imageChecks/DIGITAL_MANIPULATION"],
        3,
    );
}

#[test]
fn punched_document_is_reviewed() {
    expect(
        "04-imagechecks-rejected-punched.json",
        Outcome::Review,
        "DOCUMENT_PUNCHED",
        &["imageChecks/PUNCHED"],
        3,
    );
}

#[test]
fn a_repeated_face_no_evidence_resolves_is_reviewed_as_unresolved() {
    // Its two found workflows are unknown without a ledger or evidence.
    expect(
        "05-imagechecks-warning-repeated-face.json",
        Outcome::Review,
        "REPEATED_FACE_UNRESOLVED",
        &["imageChecks/REPEATED_FACE"],
        0,
    );
}

#[test]
fn mrz_checksum_is_declined() {
    expect(
        "06-datachecks-rejected-mrz-checksum.json",
        Outcome::Decline,
        "DATA_FRAUD_MRZ_CHECKSUM",
        &["dataChecks/MRZ_CHECKSUM"],
        0,
    );
}

#[test]
fn document_expiring_soon_is_reviewed_but_not_expired() {
    // expiryDate 2025-03-28 is after completedAt 2025-03-04: expiring, not expired.
    expect(
        "07-datachecks-warning-document-expiry.json",
        Outcome::Review,
        "DOCUMENT_EXPIRING_SOON",
        &["dataChecks/DOCUMENT_EXPIRY_WITHIN_CONFIGURED_LIMIT"],
        0,
    );
}

#[test]
fn multiple_people_in_the_selfie_retries() {
    expect(
        "08-liveness-rejected-multiple-people.json",
        Outcome::Retry,
        "SELFIE_CAPTURE_MULTIPLE_PEOPLE",
        &["liveness/MULTIPLE_PEOPLE"],
        0,
    );
}

#[test]
fn face_mismatch_is_declined() {
    expect(
        "09-similarity-rejected-no-match.json",
        Outcome::Decline,
        "FACE_MISMATCH",
        &["similarity/NO_MATCH"],
        0,
    );
}

#[test]
fn unknown_capability_and_label_are_reviewed_with_their_raw_spelling() {
    expect(
        "10-unknown-capability-and-label.json",
        Outcome::Review,
        "UNRECOGNISED_REJECTION",
        &[
            "documentProvenanceCheck/PROVENANCE_CHAIN_BROKEN",
            "dataChecks/ISSUER_REGISTRY_UNREACHABLE",
        ],
        0,
    );
}

#[test]
fn expired_token_retries_because_the_user_abandoned() {
    expect(
        "x1-token-expired-not-executed.json",
        Outcome::Retry,
        "TOKEN_EXPIRED",
        &["workflow/TOKEN_EXPIRED"],
        9,
    );
}

#[test]
fn watchlist_alert_is_reviewed() {
    expect(
        "x2-watchlist-alert.json",
        Outcome::Review,
        "WATCHLIST_HIT",
        &["watchlistScreening/ALERT"],
        0,
    );
}

#[test]
fn unsupported_document_under_a_rejected_top_level_retries_with_another_document() {
    expect(
        "x3-usability-warning-unsupported-document-top-rejected.json",
        Outcome::Retry,
        "UNSUPPORTED_DOCUMENT_TYPE",
        &["usability/UNSUPPORTED_DOCUMENT_TYPE"],
        4,
    );
}

#[test]
fn screening_that_failed_validation_after_a_usability_rejection_is_a_consequence() {
    // Before: "screening did not run: its input failed validation" was a
    // second root cause beside the glare.
    expect(
        "11-usability-rejected-screening-validation-failed.json",
        Outcome::Retry,
        "IMAGE_QUALITY_GLARE",
        &["usability/GLARE"],
        5,
    );
}

#[test]
fn screening_without_extraction_is_a_consequence_of_the_extraction_error() {
    expect(
        "12-extraction-error-screening-extraction-not-done.json",
        Outcome::Retry,
        "TECHNICAL_ERROR",
        &["extraction/TECHNICAL_ERROR"],
        2,
    );
}

#[test]
fn standalone_screening_that_failed_validation_is_its_own_root_cause() {
    // Workflow 10010 screens prepared data: nothing upstream to blame.
    expect(
        "13-standalone-screening-validation-failed.json",
        Outcome::Review,
        "SCREENING_NOT_RUN",
        &["watchlistScreening/VALIDATION_FAILED"],
        0,
    );
}

#[test]
fn an_id_never_uploaded_explains_every_check_of_the_id_including_screening() {
    expect(
        "14-id-not-uploaded-no-valid-id-credential.json",
        Outcome::Retry,
        "MISSING_IMAGE",
        &["usability/NOT_UPLOADED"],
        5,
    );
}

#[test]
fn an_optional_facemap_nobody_needed_does_not_hide_a_repeated_face_behind_a_retry() {
    // Liveness and similarity ran on the selfie; the FACEMAP of 3D liveness
    // was never uploaded. Before: RETRY "missing image", which outranked the
    // repeated face, so a possible duplicate account was told to try again.
    expect(
        "15-facemap-not-uploaded-repeated-face.json",
        Outcome::Review,
        "REPEATED_FACE_UNRESOLVED",
        &["imageChecks/REPEATED_FACE", "usability/NOT_UPLOADED"],
        0,
    );
    let body = fixture("15-facemap-not-uploaded-repeated-face.json");
    let workflow = parse_workflow_json(&body).expect("parses");
    let policy = Policy::embedded_default();
    let decision = evaluate(&workflow, &policy).expect("final");
    let upload = decision
        .reasons
        .iter()
        .find(|reason| reason.label == "NOT_UPLOADED")
        .expect("the missing FACEMAP is still reported");
    assert_eq!(
        (upload.outcome, upload.code),
        (Outcome::Approve, "OPTIONAL_PART_NOT_UPLOADED")
    );
}

#[test]
fn a_retry_that_would_hide_a_repeated_face_goes_to_an_analyst() {
    // The selfie needs retaking (RETRY), and the face was seen before with
    // the same data. The default's retry.fraud_warning: REVIEW, naming the
    // repeated face.
    expect(
        "16-selfie-retry-with-repeated-face.json",
        Outcome::Review,
        "RETRY_WITH_FRAUD_WARNING",
        &[
            "imageChecks/REPEATED_FACE",
            "liveness/FACE_NOT_FULLY_VISIBLE",
            "imageChecks/REPEATED_FACE",
        ],
        0,
    );
}

#[test]
fn a_standalone_check_rejected_with_no_capability_results_cites_jumios_decision() {
    // A CPF validation rejected; the failing step is not in `capabilities`.
    // Before: NOTHING_VERIFIED, "nothing about the person was verified".
    expect(
        "17-standalone-cpf-rejected-no-capabilities.json",
        Outcome::Review,
        "TOP_LEVEL_REJECTED",
        &["decision/REJECTED"],
        0,
    );
    expect(
        "18-standalone-warning-no-capabilities.json",
        Outcome::Review,
        "TOP_LEVEL_WARNING",
        &["decision/WARNING"],
        0,
    );
}

#[test]
fn a_missing_chip_reported_under_data_checks_is_declined_as_fraud() {
    // The KYX API guide listed CHIP_MISSING under data checks in its revisions
    // of 14 to 17 January 2022; a body from then carries it there.
    expect(
        "19-datachecks-rejected-chip-missing-2022.json",
        Outcome::Decline,
        "DATA_FRAUD_CHIP_MISSING",
        &["dataChecks/CHIP_MISSING"],
        0,
    );
}

#[test]
fn a_risk_score_sent_as_a_numeric_string_is_read_as_that_score() {
    // Jumio sends a number; a relay that re-serialises numbers as strings
    // sends "65.0". The default reads no score, so the repeated face decides.
    expect(
        "21-risk-score-as-string.json",
        Outcome::Review,
        "REPEATED_FACE_UNRESOLVED",
        &["imageChecks/REPEATED_FACE"],
        0,
    );
    // acme-eu's risk band 60..=89.99 sees the score.
    let acme = load_policy(
        "acme-eu.toml",
        include_str!("../policies/examples/acme-eu.toml"),
    )
    .expect("the worked example loads");
    let body = fixture("21-risk-score-as-string.json");
    let workflow = parse_workflow_json(&body).expect("parses");
    let decision = evaluate(&workflow, &acme).expect("final");
    let codes: Vec<&str> = decision.reasons.iter().map(|reason| reason.code).collect();
    assert_eq!(codes, ["REPEATED_FACE_UNRESOLVED", "RISK_SCORE_ELEVATED"]);
}

#[test]
fn an_entry_without_a_decision_is_reviewed_never_approved() {
    // Everything else passed at risk 0; the device-risk entry carries no
    // decision at all, so nothing says it passed.
    expect(
        "22-entry-without-decision.json",
        Outcome::Review,
        "UNRECOGNISED_DECISION_TYPE",
        &["deviceRiskVerification/"],
        0,
    );
}

#[test]
fn legacy_netverify_bodies_are_named_and_not_decided() {
    for name in [
        "x6-netverify-retrieval-details.json",
        "x7-netverify-scan-status.json",
    ] {
        let body = fixture(name);
        let error = parse_workflow_json(&body).expect_err(name);
        assert_eq!(error.path, "$", "{name}");
        assert_eq!(
            error.message,
            "missing field `workflow`; this looks like a legacy Netverify (ID Verification v2) body, \
             identified by its scan reference: verdict decides workflow results of Jumio's KYX \
             platform, retrieved from /api/v1/accounts/{accountId}/workflow-executions/{workflowExecutionId}",
            "{name}"
        );
        // Request content (names, document numbers) is never repeated.
        for personal in ["JORDAN", "EXAMPLEMAN", "X0000123", "1990-06-15"] {
            assert!(!error.to_string().contains(personal), "{name}: {error}");
        }
    }
}

#[test]
fn a_pass_whose_label_contradicts_it_is_flagged_uncatalogued_and_decided_by_its_type() {
    // liveness PASSED with LIVENESS_UNDETERMINED, Jumio's top level WARNING.
    // Before: silently neutral, nothing reported.
    expect(
        "20-liveness-passed-liveness-undetermined.json",
        Outcome::Review,
        "TOP_LEVEL_WARNING",
        &["decision/WARNING", "liveness/LIVENESS_UNDETERMINED"],
        0,
    );
    let body = fixture("20-liveness-passed-liveness-undetermined.json");
    let workflow = parse_workflow_json(&body).expect("parses");
    let policy = Policy::embedded_default();
    let decision = evaluate(&workflow, &policy).expect("final");
    let flagged = decision
        .reasons
        .iter()
        .find(|reason| reason.capability == "liveness")
        .expect("flagged");
    assert!(!flagged.catalogued);
    assert_eq!(
        (flagged.outcome, flagged.code, flagged.rule_id),
        (Outcome::Approve, "UNCATALOGUED_PASS", "passed.uncatalogued")
    );
}

#[test]
fn callback_bodies_are_not_workflow_results() {
    for name in [
        "x4-callback-processed.json",
        "x5-callback-token-expired.json",
    ] {
        let body = fixture(name);
        let error = parse_workflow_json(&body).expect_err(name);
        assert_eq!(error.path, "$", "{name}");
        assert_eq!(
            error.message,
            "missing field `workflow`; this looks like a callback body: \
             retrieve the workflow execution it names and send that",
            "{name}"
        );
    }
}

#[test]
fn every_payload_decides_the_same_twice() {
    let policy = Policy::embedded_default();
    for entry in std::fs::read_dir(format!(
        "{}/../../tests/fixtures",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixtures")
    {
        let path = entry.expect("entry").path();
        let body = std::fs::read_to_string(&path).expect("readable");
        let (Ok(first), Ok(second)) = (parse_workflow_json(&body), parse_workflow_json(&body))
        else {
            continue;
        };
        assert_eq!(
            evaluate(&first, &policy),
            evaluate(&second, &policy),
            "{}",
            path.display()
        );
    }
}
