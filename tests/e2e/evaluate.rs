//! Evaluate with the retrieval body as JSON.

use verdict_api::v1 as pb;

use crate::support::{TestServer, evaluate_json, fixture};

#[tokio::test]
async fn a_clean_pass_is_approved_with_the_policy_that_decided() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let decision = evaluate_json(&mut client, fixture("01-clean-pass-score-0.json")).await;
    assert_eq!(decision.outcome(), pb::Outcome::Approve);
    assert_eq!(decision.result_code, "APPROVED");
    assert!(decision.reasons.is_empty());
    assert_eq!(decision.workflow_id, "02c1ef8f-6006-5146-9113-94776d502e5d");
    assert_eq!(decision.account_id, "25bff096-78cb-58ad-8010-25f0446c5a81");
    let policy = decision.policy.expect("policy reference");
    assert_eq!(
        (policy.id.as_str(), policy.version.as_str()),
        ("jumio-default", "1.3.0")
    );
    assert!(
        policy.digest.starts_with("sha256:") && policy.digest.len() == 71,
        "{}",
        policy.digest
    );
}

#[tokio::test]
async fn a_punched_document_is_reviewed_with_every_reason() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let decision =
        evaluate_json(&mut client, fixture("04-imagechecks-rejected-punched.json")).await;
    assert_eq!(decision.outcome(), pb::Outcome::Review);
    assert_eq!(decision.result_code, "DOCUMENT_PUNCHED");
    let first = &decision.reasons[0];
    assert_eq!(
        (
            first.capability.as_str(),
            first.label.as_str(),
            first.rule_id.as_str()
        ),
        ("imageChecks", "PUNCHED", "imageChecks.REJECTED.PUNCHED")
    );
    assert_eq!(first.decision_type(), pb::DecisionType::Rejected);
    assert!(first.root_cause && first.catalogued);
    assert_eq!(first.credential_categories, ["ID", "SELFIE"]);
    // extraction, dataChecks and watchlistScreening did not run because of it.
    let cascades: Vec<_> = decision.reasons[1..]
        .iter()
        .map(|r| (r.capability.as_str(), r.root_cause))
        .collect();
    assert_eq!(
        cascades,
        [
            ("dataChecks", false),
            ("extraction", false),
            ("watchlistScreening", false)
        ]
    );
}

#[tokio::test]
async fn a_blurred_id_asks_the_user_to_retry_on_another_channel() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let decision = evaluate_json(&mut client, fixture("02-usability-rejected-blurred.json")).await;
    assert_eq!(decision.outcome(), pb::Outcome::Retry);
    assert!(
        decision.reasons[0].user_message.contains("mobile device"),
        "{}",
        decision.reasons[0].user_message
    );
}

#[tokio::test]
async fn unknown_capabilities_come_back_with_their_raw_spelling() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let decision =
        evaluate_json(&mut client, fixture("10-unknown-capability-and-label.json")).await;
    assert_eq!(decision.outcome(), pb::Outcome::Review);
    let unknown = &decision.reasons[0];
    assert_eq!(unknown.capability, "documentProvenanceCheck");
    assert_eq!(unknown.label, "PROVENANCE_CHAIN_BROKEN");
    assert_eq!(unknown.code, "UNRECOGNISED_REJECTION");
    assert!(!unknown.catalogued);
}

#[tokio::test]
async fn an_unrecognised_decision_type_keeps_its_spelling() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let body = r#"{"workflow":{"status":"PROCESSED"},"decision":{"type":"PASSED"},
        "capabilities":{"usability":[{"decision":{"type":"INCONCLUSIVE","details":{"label":"OK"}}}]}}"#;
    let decision = evaluate_json(&mut client, body).await;
    let reason = &decision.reasons[0];
    assert_eq!(reason.decision_type(), pb::DecisionType::Unspecified);
    assert_eq!(reason.raw_decision_type, "INCONCLUSIVE");
    assert_eq!(decision.result_code, "UNRECOGNISED_DECISION_TYPE");
}

#[tokio::test]
async fn the_same_request_gets_byte_identical_answers() {
    use prost::Message;
    let server = TestServer::start().await;
    let mut client = server.client().await;
    for name in crate::support::workflow_fixtures() {
        let body = fixture(&name);
        let first = evaluate_json(&mut client, body.clone())
            .await
            .encode_to_vec();
        let second = evaluate_json(&mut client, body).await.encode_to_vec();
        assert_eq!(first, second, "{name}");
    }
}
