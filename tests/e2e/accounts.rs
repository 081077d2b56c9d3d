//! Account-aware decisions over gRPC: repeated faces resolved through the
//! ledger (or the request's evidence) by account, outcome and feedback; the
//! account's retries escalating to another channel and then to an analyst;
//! `RecordFeedback`; and the chain of events `ListDecisions` shows.

use serde_json::{Value, json};
use tonic::Code;
use tonic::transport::Channel;
use verdict_api::v1::decision_service_client::DecisionServiceClient;
use verdict_api::v1::{self as pb, batch_item, get_decision_request};
use verdict_server::LedgerFailure;

use crate::support::{
    TestServer, decision_of, details, fixture, json_request, rpc_status_details, violated_field,
};

verdict_ledger::on_both_stores!(
    a_repeated_face_of_the_same_account_approves_and_the_chain_shows_why,
    a_face_of_other_accounts_reviews_with_how_many_accounts,
    a_face_linked_to_fraud_declines_and_legitimate_feedback_clears_it,
    pending_failed_and_unknown_searches_review_with_their_own_codes,
    retries_of_an_account_escalate_to_another_channel_then_to_an_analyst,
    feedback_is_refused_with_the_field_and_free_text_is_never_echoed,
    two_servers_on_one_database_see_each_others_accounts,
    a_retry_found_only_once_the_face_resolves_still_counts_the_accounts_retries,
    a_batch_gathers_the_ledgers_evidence_for_every_item_in_order,
    a_large_body_is_decided_with_the_ledgers_evidence_as_a_small_one_is,
    evidence_the_ledger_cannot_read_fails_closed_or_decides_open,
);

type Client = DecisionServiceClient<Channel>;

/// What a caller knows of an earlier workflow: its account.
fn known(workflow_id: &str, account_id: &str) -> pb::KnownWorkflow {
    pb::KnownWorkflow {
        workflow_id: workflow_id.into(),
        account_id: account_id.into(),
        ..Default::default()
    }
}

fn workflows(workflows: Vec<pb::KnownWorkflow>) -> pb::Evidence {
    pb::Evidence {
        workflows,
        ..Default::default()
    }
}

fn retries(retries: Vec<pb::PriorRetry>) -> pb::Evidence {
    pb::Evidence {
        retries,
        ..Default::default()
    }
}

/// A batch item of a JSON body.
fn item(id: &str, body: String, evidence: Option<pb::Evidence>) -> pb::BatchItem {
    pb::BatchItem {
        id: id.into(),
        input: Some(batch_item::Input::WorkflowJson(body)),
        evidence,
    }
}

const ACCOUNT_A: &str = "a0000000-0000-4000-8000-00000000000a";
const ACCOUNT_B: &str = "b0000000-0000-4000-8000-00000000000b";
const ACCOUNT_C: &str = "c0000000-0000-4000-8000-00000000000c";

/// A fixture with its ids (and completion time) replaced.
fn body(name: &str, workflow_id: &str, account_id: &str, completed_at: Option<&str>) -> Value {
    let mut body: Value = serde_json::from_str(&fixture(name)).expect("fixture is JSON");
    body["workflow"]["id"] = json!(workflow_id);
    body["account"]["id"] = json!(account_id);
    if let Some(at) = completed_at {
        body["completedAt"] = json!(at);
    }
    body
}

/// Fixture 05 (imageChecks WARNING REPEATED_FACE) with this search.
fn repeated_face(workflow_id: &str, account_id: &str, status: &str, findings: &[&str]) -> String {
    let mut body = body(
        "05-imagechecks-warning-repeated-face.json",
        workflow_id,
        account_id,
        None,
    );
    let entry = body["capabilities"]["imageChecks"]
        .as_array_mut()
        .expect("imageChecks")
        .iter_mut()
        .find(|entry| entry["decision"]["details"]["label"] == "REPEATED_FACE")
        .expect("the REPEATED_FACE entry");
    entry["data"]["faceSearchFindings"] = json!({ "status": status, "findings": findings });
    body.to_string()
}

/// Fixture 01 (everything passed): an earlier workflow of `account_id`.
fn clean(workflow_id: &str, account_id: &str) -> String {
    body("01-clean-pass-score-0.json", workflow_id, account_id, None).to_string()
}

async fn evaluate(
    client: &mut Client,
    body: String,
    evidence: Option<pb::Evidence>,
) -> pb::Decision {
    client
        .evaluate(pb::EvaluateRequest {
            input: Some(pb::evaluate_request::Input::WorkflowJson(body)),
            evidence,
            ..Default::default()
        })
        .await
        .expect("decided")
        .into_inner()
        .decision
        .expect("decision")
}

fn outcome(decision: &pb::Decision) -> &'static str {
    decision.outcome().as_str_name()
}

/// The face-search evidence of the decision's REPEATED_FACE reason.
fn face_search(decision: &pb::Decision) -> pb::FaceSearchEvidence {
    decision
        .reasons
        .iter()
        .find(|reason| reason.label == "REPEATED_FACE")
        .and_then(|reason| reason.evidence.as_ref())
        .and_then(|evidence| evidence.face_search.clone())
        .expect("the REPEATED_FACE reason cites the face search")
}

fn matches(search: &pb::FaceSearchEvidence) -> Vec<(String, &'static str, String)> {
    search
        .matches
        .iter()
        .map(|found| {
            (
                found.workflow_id.clone(),
                found.relation().as_str_name(),
                found.account_id.clone(),
            )
        })
        .collect()
}

async fn feedback(
    client: &mut Client,
    workflow_id: &str,
    verdict: pb::FeedbackVerdict,
    note_code: &str,
) -> Result<pb::Feedback, tonic::Status> {
    client
        .record_feedback(pb::RecordFeedbackRequest {
            workflow_id: workflow_id.to_owned(),
            verdict: verdict as i32,
            note_code: note_code.to_owned(),
        })
        .await
        .map(|response| response.into_inner().feedback.expect("feedback"))
}

async fn recorded(
    client: &mut Client,
    key: get_decision_request::Key,
) -> Vec<pb::RecordedDecision> {
    client
        .get_decision(pb::GetDecisionRequest { key: Some(key) })
        .await
        .expect("recorded")
        .into_inner()
        .decisions
}

async fn a_repeated_face_of_the_same_account_approves_and_the_chain_shows_why(location: &str) {
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;
    let (w1, w2, w3) = ("wf-same-1", "wf-same-2", "wf-same-3");
    for id in [w1, w2] {
        let earlier = evaluate(&mut client, clean(id, ACCOUNT_A), None).await;
        assert_eq!(outcome(&earlier), "OUTCOME_APPROVE");
    }

    let decision = evaluate(
        &mut client,
        repeated_face(w3, ACCOUNT_A, "DONE", &[w1, w2]),
        None,
    )
    .await;
    assert_eq!(outcome(&decision), "OUTCOME_APPROVE", "{decision:?}");
    let reason = decision
        .reasons
        .iter()
        .find(|reason| reason.label == "REPEATED_FACE")
        .expect("the repeated face is a reason");
    assert_eq!(reason.code, "REPEATED_FACE_SAME_ACCOUNT");
    let search = face_search(&decision);
    assert_eq!(search.status, "DONE");
    assert_eq!(search.relation(), pb::FaceSearchRelation::SameAccount);
    assert_eq!(search.other_accounts, 0);
    assert_eq!(
        matches(&search),
        vec![
            (
                w1.into(),
                "FACE_SEARCH_RELATION_SAME_ACCOUNT",
                ACCOUNT_A.into()
            ),
            (
                w2.into(),
                "FACE_SEARCH_RELATION_SAME_ACCOUNT",
                ACCOUNT_A.into()
            ),
        ]
    );
    assert!(
        search
            .matches
            .iter()
            .all(|found| found.outcome() == pb::Outcome::Approve),
        "each match carries its workflow's latest outcome"
    );

    // The evidence is recorded with the decision: it replays exactly.
    let record = recorded(
        &mut client,
        get_decision_request::Key::DecisionId(decision.decision_id.clone()),
    )
    .await;
    let evidence = record[0].evidence.clone().expect("recorded evidence");
    let known: Vec<_> = evidence
        .workflows
        .iter()
        .map(|known| (known.workflow_id.as_str(), known.account_id.as_str()))
        .collect();
    assert_eq!(known, vec![(w1, ACCOUNT_A), (w2, ACCOUNT_A)]);
    let facts: Value = serde_json::from_str(&record[0].facts_json).expect("facts are JSON");
    assert_eq!(facts["evidence"]["workflows"][0]["workflow_id"], w1);

    // The same body with the ledger unchanged: the same evidence, so the
    // recorded decision.
    let again = evaluate(
        &mut client,
        repeated_face(w3, ACCOUNT_A, "DONE", &[w1, w2]),
        None,
    )
    .await;
    assert!(again.already_recorded);
    assert_eq!(again.decision_id, decision.decision_id);

    // The account's chain of events: the two earlier workflows, then the
    // decision that cites them.
    let listed = client
        .list_decisions(pb::ListDecisionsRequest {
            account_id: ACCOUNT_A.into(),
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner()
        .decisions;
    let chain: Vec<_> = listed
        .iter()
        .map(|record| {
            (
                record.workflow_id.as_str(),
                record
                    .evidence
                    .as_ref()
                    .map(|evidence| evidence.workflows.len())
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(chain, vec![(w1, 0), (w2, 0), (w3, 2)]);
}

async fn a_face_of_other_accounts_reviews_with_how_many_accounts(location: &str) {
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;
    let (w1, w2, w3, w4) = ("wf-other-1", "wf-other-2", "wf-other-3", "wf-other-4");
    evaluate(&mut client, clean(w1, ACCOUNT_B), None).await;
    evaluate(&mut client, clean(w2, ACCOUNT_C), None).await;
    evaluate(&mut client, clean(w3, ACCOUNT_A), None).await;

    let decision = evaluate(
        &mut client,
        repeated_face(w4, ACCOUNT_A, "DONE", &[w1, w2, w3]),
        None,
    )
    .await;
    assert_eq!(outcome(&decision), "OUTCOME_REVIEW", "{decision:?}");
    assert_eq!(decision.result_code, "REPEATED_FACE_OTHER_ACCOUNT");
    let search = face_search(&decision);
    assert_eq!(search.relation(), pb::FaceSearchRelation::OtherAccount);
    assert_eq!(search.other_accounts, 2, "accounts B and C");
    assert_eq!(
        matches(&search),
        vec![
            (
                w1.into(),
                "FACE_SEARCH_RELATION_OTHER_ACCOUNT",
                ACCOUNT_B.into()
            ),
            (
                w2.into(),
                "FACE_SEARCH_RELATION_OTHER_ACCOUNT",
                ACCOUNT_C.into()
            ),
            (
                w3.into(),
                "FACE_SEARCH_RELATION_SAME_ACCOUNT",
                ACCOUNT_A.into()
            ),
        ]
    );

    // A caller claiming w1 and w2 for account A does not overrule what the
    // ledger recorded of them; it fills in what the ledger does not know.
    let claimed = evaluate(
        &mut client,
        repeated_face(
            "wf-other-5",
            ACCOUNT_A,
            "DONE",
            &[w1, w2, "wf-other-unrecorded"],
        ),
        Some(workflows(vec![
            known(w1, ACCOUNT_A),
            known(w2, ACCOUNT_A),
            known("wf-other-unrecorded", ACCOUNT_A),
        ])),
    )
    .await;
    assert_eq!(
        claimed.result_code, "REPEATED_FACE_OTHER_ACCOUNT",
        "{claimed:?}"
    );
    assert_eq!(
        matches(&face_search(&claimed)),
        vec![
            (
                w1.into(),
                "FACE_SEARCH_RELATION_OTHER_ACCOUNT",
                ACCOUNT_B.into()
            ),
            (
                w2.into(),
                "FACE_SEARCH_RELATION_OTHER_ACCOUNT",
                ACCOUNT_C.into()
            ),
            (
                "wf-other-unrecorded".into(),
                "FACE_SEARCH_RELATION_SAME_ACCOUNT",
                ACCOUNT_A.into()
            ),
        ]
    );
}

async fn a_face_linked_to_fraud_declines_and_legitimate_feedback_clears_it(location: &str) {
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;
    // W1 was approved; the business later found it was fraud.
    let w1 = "wf-fraud-1";
    let approved = evaluate(&mut client, clean(w1, ACCOUNT_B), None).await;
    let hash_before = recorded(
        &mut client,
        get_decision_request::Key::DecisionId(approved.decision_id.clone()),
    )
    .await[0]
        .hash
        .clone();
    let given = feedback(
        &mut client,
        w1,
        pb::FeedbackVerdict::FraudConfirmed,
        "CHARGEBACK",
    )
    .await
    .expect("feedback recorded");
    assert_eq!(given.workflow_id, w1);
    assert_eq!(given.decision_id, approved.decision_id);
    assert_eq!(given.account_id, ACCOUNT_B);
    assert_eq!(given.verdict(), pb::FeedbackVerdict::FraudConfirmed);
    assert_eq!(given.note_code, "CHARGEBACK");
    assert_eq!(given.sequence, 1);
    assert_eq!(given.feedback_id.len(), 36);

    let decision = evaluate(
        &mut client,
        repeated_face("wf-fraud-2", ACCOUNT_A, "DONE", &[w1]),
        None,
    )
    .await;
    assert_eq!(outcome(&decision), "OUTCOME_DECLINE", "{decision:?}");
    assert_eq!(decision.result_code, "REPEATED_FACE_FRAUD");
    let search = face_search(&decision);
    assert_eq!(search.relation(), pb::FaceSearchRelation::Fraud);
    assert_eq!(
        search.matches[0].feedback(),
        pb::FeedbackVerdict::FraudConfirmed
    );

    // Feedback never rewrites the decision it judges: W1 is still the one
    // APPROVE it was, now shown with the feedback on it.
    let w1_records = recorded(
        &mut client,
        get_decision_request::Key::WorkflowId(w1.into()),
    )
    .await;
    assert_eq!(w1_records.len(), 1);
    assert_eq!(w1_records[0].outcome(), pb::Outcome::Approve);
    assert_eq!(w1_records[0].decision_id, approved.decision_id);
    assert_eq!(
        w1_records[0].hash, hash_before,
        "the decision's record is unchanged"
    );
    let shown: Vec<_> = w1_records[0]
        .feedback
        .iter()
        .map(|given| (given.verdict(), given.note_code.as_str()))
        .collect();
    assert_eq!(
        shown,
        vec![(pb::FeedbackVerdict::FraudConfirmed, "CHARGEBACK")]
    );

    // A workflow of this same account declined for document fraud: its face
    // declines even on the same account, until the business says otherwise.
    let w3 = "wf-fraud-3";
    let declined = evaluate(
        &mut client,
        body(
            "03-imagechecks-rejected-digital-manipulation.json",
            w3,
            ACCOUNT_A,
            None,
        )
        .to_string(),
        None,
    )
    .await;
    assert_eq!(outcome(&declined), "OUTCOME_DECLINE");
    let decision = evaluate(
        &mut client,
        repeated_face("wf-fraud-4", ACCOUNT_A, "DONE", &[w3]),
        None,
    )
    .await;
    assert_eq!(decision.result_code, "REPEATED_FACE_FRAUD", "{decision:?}");

    let cleared = feedback(&mut client, w3, pb::FeedbackVerdict::Legitimate, "")
        .await
        .expect("feedback recorded");
    assert_eq!(cleared.sequence, 2, "one feedback chain");
    assert_eq!(cleared.previous_hash, given.hash);
    // The same workflow decided again with the new evidence: a new version,
    // superseding the decline.
    let again = evaluate(
        &mut client,
        repeated_face("wf-fraud-4", ACCOUNT_A, "DONE", &[w3]),
        None,
    )
    .await;
    assert_eq!(outcome(&again), "OUTCOME_APPROVE", "{again:?}");
    assert_eq!(
        face_search(&again).relation(),
        pb::FaceSearchRelation::SameAccount
    );
    assert!(!again.already_recorded);
    assert_eq!(again.workflow_version, 2);
    assert_eq!(again.supersedes_decision_id, decision.decision_id);

    // A retried RecordFeedback call: the recorded feedback, nothing new.
    let retried = client
        .record_feedback(pb::RecordFeedbackRequest {
            workflow_id: w1.into(),
            verdict: pb::FeedbackVerdict::FraudConfirmed as i32,
            note_code: "CHARGEBACK".into(),
        })
        .await
        .expect("answered")
        .into_inner();
    assert!(retried.already_recorded);
    assert_eq!(
        retried.feedback.expect("feedback").feedback_id,
        given.feedback_id
    );

    // Account B's chain of events shows the feedback on its workflow.
    let listed = client
        .list_decisions(pb::ListDecisionsRequest {
            account_id: ACCOUNT_B.into(),
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner()
        .decisions;
    assert_eq!(listed.len(), 1);
    let verdicts: Vec<_> = listed[0]
        .feedback
        .iter()
        .map(|given| {
            (
                given.verdict(),
                given.note_code.clone(),
                given.decision_id.clone(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        vec![(
            pb::FeedbackVerdict::FraudConfirmed,
            "CHARGEBACK".to_owned(),
            approved.decision_id.clone()
        )]
    );
}

async fn pending_failed_and_unknown_searches_review_with_their_own_codes(location: &str) {
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;
    for (status, findings, code, relation) in [
        (
            "PENDING",
            &[][..],
            "REPEATED_FACE_SEARCH_PENDING",
            pb::FaceSearchRelation::Pending,
        ),
        (
            "ERROR",
            &[][..],
            "REPEATED_FACE_SEARCH_ERROR",
            pb::FaceSearchRelation::Error,
        ),
        (
            "DONE",
            &["wf-never-seen-1", "wf-never-seen-2"][..],
            "REPEATED_FACE_UNRESOLVED",
            pb::FaceSearchRelation::Unresolved,
        ),
    ] {
        let decision = evaluate(
            &mut client,
            repeated_face(&format!("wf-{status}"), ACCOUNT_A, status, findings),
            None,
        )
        .await;
        assert_eq!(outcome(&decision), "OUTCOME_REVIEW", "{status}");
        assert_eq!(decision.result_code, code, "{status}");
        let search = face_search(&decision);
        assert_eq!(search.relation(), relation, "{status}");
        assert_eq!(search.status, status);
        let unresolved: Vec<_> = findings
            .iter()
            .map(|id| {
                (
                    (*id).to_owned(),
                    "FACE_SEARCH_RELATION_UNRESOLVED",
                    String::new(),
                )
            })
            .collect();
        assert_eq!(matches(&search), unresolved, "{status}");
    }
}

/// Fixture 02 (usability REJECTED BLURRED: a retry) of `account_id`.
fn blurred(workflow_id: &str, account_id: &str, completed_at: &str) -> String {
    body(
        "02-usability-rejected-blurred.json",
        workflow_id,
        account_id,
        Some(completed_at),
    )
    .to_string()
}

fn on_channel(channel: &str) -> Option<pb::Evidence> {
    Some(pb::Evidence {
        channel: channel.to_owned(),
        ..Default::default()
    })
}

async fn retries_of_an_account_escalate_to_another_channel_then_to_an_analyst(location: &str) {
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;
    let account = "r0000000-0000-4000-8000-00000000000r";
    let first = evaluate(
        &mut client,
        blurred("wf-retry-1", account, "2025-03-01T10:00:00Z"),
        on_channel("WEB"),
    )
    .await;
    assert_eq!(outcome(&first), "OUTCOME_RETRY");
    // A first retry keeps its rule's code and message.
    assert_eq!(first.result_code, "IMAGE_QUALITY_BLURRED");
    let first_message = first.reasons[0].user_message.clone();
    assert!(!first_message.is_empty());

    // One earlier retry within 7 days: another channel, named for the one used.
    for (id, at, prior) in [
        ("wf-retry-2", "2025-03-02T10:00:00Z", 1),
        ("wf-retry-3", "2025-03-03T10:00:00Z", 2),
    ] {
        let decision = evaluate(&mut client, blurred(id, account, at), on_channel("WEB")).await;
        assert_eq!(outcome(&decision), "OUTCOME_RETRY", "{id}");
        assert_eq!(decision.result_code, "RETRY_ON_ANOTHER_CHANNEL", "{id}");
        let lead = &decision.reasons[0];
        assert_eq!(
            lead.user_message, "Please try again in our mobile app.",
            "{id}"
        );
        let retries = lead
            .evidence
            .as_ref()
            .and_then(|evidence| evidence.retries.clone())
            .expect("the reason cites the retries");
        assert_eq!(retries.prior_retries, prior, "{id}");
        assert_eq!(retries.budget_attempts, 3);
        assert_eq!(retries.window_days, 7);
        assert_eq!(retries.channel, "WEB");
    }
    // From an SDK, the suggestion names another channel than the SDK.
    let sdk_account = "s0000000-0000-4000-8000-0000000000sd";
    evaluate(
        &mut client,
        blurred("wf-sdk-1", sdk_account, "2025-03-03T10:00:00Z"),
        on_channel("SDK"),
    )
    .await;
    let sdk = evaluate(
        &mut client,
        blurred("wf-sdk-2", sdk_account, "2025-03-03T11:00:00Z"),
        on_channel("SDK"),
    )
    .await;
    assert_eq!(sdk.result_code, "RETRY_ON_ANOTHER_CHANNEL", "{sdk:?}");
    assert_eq!(
        sdk.reasons[0].user_message,
        "Please try again on our website, on a computer."
    );

    // Three earlier retries in the window: the budget is spent.
    // The caller also names a retry of long ago: outside the window, it
    // takes no place among the three the ledger has.
    let fourth = evaluate(
        &mut client,
        blurred("wf-retry-4", account, "2025-03-04T10:00:00Z"),
        Some(pb::Evidence {
            retries: vec![pb::PriorRetry {
                workflow_id: "wf-retry-2024".into(),
                completed_at: Some(prost_types::Timestamp {
                    seconds: 1_704_067_200, // 2024-01-01
                    nanos: 0,
                }),
            }],
            channel: "WEB".into(),
            ..Default::default()
        }),
    )
    .await;
    assert_eq!(outcome(&fourth), "OUTCOME_REVIEW", "{fourth:?}");
    assert_eq!(fourth.result_code, "RETRY_BUDGET_EXHAUSTED");
    let retries = fourth.reasons[0]
        .evidence
        .as_ref()
        .and_then(|evidence| evidence.retries.clone())
        .expect("cites the retries");
    assert_eq!(retries.prior_retries, 3);
    assert_eq!(
        retries.workflow_ids,
        vec!["wf-retry-1", "wf-retry-2", "wf-retry-3"]
    );

    // wf-retry-2 sent again after later retries: only the retries before it
    // count, so its evidence, and its decision, are the recorded ones.
    let resent = evaluate(
        &mut client,
        blurred("wf-retry-2", account, "2025-03-02T10:00:00Z"),
        on_channel("WEB"),
    )
    .await;
    assert!(resent.already_recorded, "{resent:?}");
    assert_eq!(resent.result_code, "RETRY_ON_ANOTHER_CHANNEL");

    // A month later the window holds none of them: a first retry again.
    let later = evaluate(
        &mut client,
        blurred("wf-retry-5", account, "2025-04-04T10:00:00Z"),
        on_channel("WEB"),
    )
    .await;
    assert_eq!(later.result_code, "IMAGE_QUALITY_BLURRED");
    assert_eq!(later.reasons[0].user_message, first_message);
}

async fn feedback_is_refused_with_the_field_and_free_text_is_never_echoed(location: &str) {
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;
    let unknown = feedback(
        &mut client,
        "wf-unknown",
        pb::FeedbackVerdict::FraudConfirmed,
        "",
    )
    .await
    .expect_err("no such workflow");
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(
        details(&unknown)
            .resource_info()
            .expect("resource")
            .resource_name,
        "wf-unknown"
    );

    evaluate(&mut client, clean("wf-judged", ACCOUNT_A), None).await;
    for (workflow_id, verdict, note_code, field) in [
        ("", pb::FeedbackVerdict::Legitimate, "", "workflow_id"),
        (
            &"w".repeat(200)[..],
            pb::FeedbackVerdict::Legitimate,
            "",
            "workflow_id",
        ),
        ("wf-judged", pb::FeedbackVerdict::Unspecified, "", "verdict"),
        (
            "wf-judged",
            pb::FeedbackVerdict::Legitimate,
            "Jane Doe called us",
            "note_code",
        ),
    ] {
        let refused = feedback(&mut client, workflow_id, verdict, note_code)
            .await
            .expect_err("refused");
        assert_eq!(refused.code(), Code::InvalidArgument, "{field}");
        assert_eq!(violated_field(&details(&refused)), field);
        assert!(!refused.message().contains("Jane"), "{}", refused.message());
    }
    let undefined = client
        .record_feedback(pb::RecordFeedbackRequest {
            workflow_id: "wf-judged".into(),
            verdict: 42,
            note_code: String::new(),
        })
        .await
        .expect_err("not a verdict");
    assert_eq!(violated_field(&details(&undefined)), "verdict");
    // Nothing refused was kept.
    let record = recorded(
        &mut client,
        get_decision_request::Key::WorkflowId("wf-judged".into()),
    )
    .await;
    assert!(record[0].feedback.is_empty());
}

async fn two_servers_on_one_database_see_each_others_accounts(location: &str) {
    let first = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let second = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let (mut one, mut two) = (first.client().await, second.client().await);
    evaluate(&mut one, clean("wf-replica-1", ACCOUNT_A), None).await;
    evaluate(&mut two, clean("wf-replica-2", ACCOUNT_B), None).await;

    let decision = evaluate(
        &mut two,
        repeated_face("wf-replica-3", ACCOUNT_A, "DONE", &["wf-replica-1"]),
        None,
    )
    .await;
    assert_eq!(
        decision.result_code, "REPEATED_FACE_SAME_ACCOUNT",
        "{decision:?}"
    );
    let decision = evaluate(
        &mut one,
        repeated_face("wf-replica-4", ACCOUNT_A, "DONE", &["wf-replica-2"]),
        None,
    )
    .await;
    assert_eq!(
        decision.result_code, "REPEATED_FACE_OTHER_ACCOUNT",
        "{decision:?}"
    );

    // Feedback given on one replica decides on the other.
    feedback(
        &mut two,
        "wf-replica-1",
        pb::FeedbackVerdict::FraudConfirmed,
        "",
    )
    .await
    .expect("feedback recorded");
    let decision = evaluate(
        &mut one,
        repeated_face("wf-replica-5", ACCOUNT_A, "DONE", &["wf-replica-1"]),
        None,
    )
    .await;
    assert_eq!(decision.result_code, "REPEATED_FACE_FRAUD", "{decision:?}");
}

/// Without a ledger, the caller's own records decide the same way.
#[tokio::test]
async fn request_evidence_decides_without_a_ledger() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let with = |list: Vec<pb::KnownWorkflow>| Some(workflows(list));
    let face = repeated_face("wf-stateless", ACCOUNT_A, "DONE", &["wf-a", "wf-b"]);
    let same = evaluate(
        &mut client,
        face.clone(),
        with(vec![known("wf-a", ACCOUNT_A), known("wf-b", ACCOUNT_A)]),
    )
    .await;
    assert_eq!(same.result_code, "REPEATED_FACE_SAME_ACCOUNT", "{same:?}");
    assert!(!same.recorded);
    let other = evaluate(
        &mut client,
        face.clone(),
        with(vec![known("wf-a", ACCOUNT_A), known("wf-b", ACCOUNT_B)]),
    )
    .await;
    assert_eq!(other.result_code, "REPEATED_FACE_OTHER_ACCOUNT");
    assert_eq!(face_search(&other).other_accounts, 1);
    let fraud = evaluate(
        &mut client,
        face.clone(),
        with(vec![pb::KnownWorkflow {
            feedback: pb::FeedbackVerdict::FraudConfirmed as i32,
            ..known("wf-a", ACCOUNT_A)
        }]),
    )
    .await;
    assert_eq!(fraud.result_code, "REPEATED_FACE_FRAUD");
    let partly = evaluate(&mut client, face, with(vec![known("wf-a", ACCOUNT_A)])).await;
    assert_eq!(
        partly.result_code, "REPEATED_FACE_UNRESOLVED",
        "wf-b is not known"
    );

    let retries = Some(pb::Evidence {
        retries: ["wf-r1", "wf-r2", "wf-r3"]
            .iter()
            .map(|id| pb::PriorRetry {
                workflow_id: (*id).into(),
                completed_at: Some(prost_types::Timestamp {
                    seconds: 1_741_000_000, // 2025-03-03, the day before fixture 02
                    nanos: 0,
                }),
            })
            .collect(),
        channel: "API".into(),
        ..Default::default()
    });
    let spent = evaluate(
        &mut client,
        fixture("02-usability-rejected-blurred.json"),
        retries,
    )
    .await;
    assert_eq!(spent.result_code, "RETRY_BUDGET_EXHAUSTED", "{spent:?}");
}

/// Bad evidence is refused with its field's path and never echoed; in a batch
/// only its item fails.
#[tokio::test]
async fn invalid_evidence_names_the_field_and_costs_only_its_item() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let secret = "Jane-Doe-1984";
    let long = secret.repeat(10); // 130 characters
    let retry = |workflow_id: &str, nanos: i32| pb::PriorRetry {
        workflow_id: workflow_id.into(),
        completed_at: Some(prost_types::Timestamp { seconds: 0, nanos }),
    };
    for (evidence, field) in [
        (
            pb::Evidence {
                channel: secret.into(),
                ..Default::default()
            },
            "evidence.channel",
        ),
        (
            workflows(vec![known("wf-ok", ""), known("", secret)]),
            "evidence.workflows[1].workflow_id",
        ),
        (
            workflows(vec![known(&long, "")]),
            "evidence.workflows[0].workflow_id",
        ),
        (
            workflows(vec![known("wf-ok", &long)]),
            "evidence.workflows[0].account_id",
        ),
        (
            workflows(vec![pb::KnownWorkflow {
                result_code: secret.into(),
                ..known("wf-ok", "")
            }]),
            "evidence.workflows[0].result_code",
        ),
        (
            workflows(vec![pb::KnownWorkflow {
                outcome: 99,
                ..known("wf-ok", "")
            }]),
            "evidence.workflows[0].outcome",
        ),
        (
            workflows(vec![pb::KnownWorkflow {
                feedback: 42,
                ..known("wf-ok", "")
            }]),
            "evidence.workflows[0].feedback",
        ),
        (
            retries(vec![retry("wf-ok", 0), retry(secret, -1)]),
            "evidence.retries[1].completed_at",
        ),
        (
            retries(vec![retry("", 0)]),
            "evidence.retries[0].workflow_id",
        ),
    ] {
        let refused = client
            .evaluate(pb::EvaluateRequest {
                input: Some(pb::evaluate_request::Input::WorkflowJson(fixture(
                    "05-imagechecks-warning-repeated-face.json",
                ))),
                evidence: Some(evidence.clone()),
                ..Default::default()
            })
            .await
            .expect_err("refused");
        assert_eq!(refused.code(), Code::InvalidArgument, "{field}");
        assert_eq!(violated_field(&details(&refused)), field);
        assert!(!refused.message().contains(secret), "{}", refused.message());
        assert!(!format!("{:?}", details(&refused)).contains(secret));

        let results = client
            .batch_evaluate(pb::BatchEvaluateRequest {
                items: vec![
                    item("bad", fixture("01-clean-pass-score-0.json"), Some(evidence)),
                    item("good", fixture("01-clean-pass-score-0.json"), None),
                ],
                ..Default::default()
            })
            .await
            .expect("the batch is answered")
            .into_inner()
            .results;
        let Some(pb::batch_result::Result::Error(status)) = &results[0].result else {
            panic!("the bad item fails: {results:?}");
        };
        assert_eq!(status.code, Code::InvalidArgument as i32);
        assert_eq!(violated_field(&rpc_status_details(status)), field);
        assert!(matches!(
            results[1].result,
            Some(pb::batch_result::Result::Decision(_))
        ));
    }

    // Past 100 workflows or retries the request is refused on the wire,
    // before it is decoded: a batch as a whole.
    for (many, name) in [
        (
            workflows((0..101).map(|n| known(&format!("wf-{n}"), "")).collect()),
            "workflows",
        ),
        (
            retries((0..101).map(|n| retry(&format!("wf-{n}"), 0)).collect()),
            "retries",
        ),
    ] {
        let refused = client
            .evaluate(pb::EvaluateRequest {
                input: Some(pb::evaluate_request::Input::WorkflowJson(fixture(
                    "01-clean-pass-score-0.json",
                ))),
                evidence: Some(many.clone()),
                ..Default::default()
            })
            .await
            .expect_err("too many");
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert_eq!(
            violated_field(&details(&refused)),
            format!("evidence.{name}")
        );
        let refused = client
            .batch_evaluate(pb::BatchEvaluateRequest {
                items: vec![item(
                    "many",
                    fixture("01-clean-pass-score-0.json"),
                    Some(many),
                )],
                ..Default::default()
            })
            .await
            .expect_err("too many");
        assert_eq!(
            violated_field(&details(&refused)),
            format!("items[0].evidence.{name}")
        );
    }
}

#[tokio::test]
async fn feedback_needs_a_ledger() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let refused = feedback(&mut client, "wf-1", pb::FeedbackVerdict::Legitimate, "")
        .await
        .expect_err("no ledger");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(
        details(&refused).error_info().expect("error info").reason,
        "LEDGER_DISABLED"
    );
}

/// Fixture 05 with its ID's usability REJECTED BLURRED: a RETRY once the
/// repeated face is known to be this account's, a review before.
fn blurred_repeated_face(
    workflow_id: &str,
    account_id: &str,
    findings: &[&str],
    at: &str,
) -> String {
    let mut body: Value =
        serde_json::from_str(&repeated_face(workflow_id, account_id, "DONE", findings))
            .expect("JSON");
    body["completedAt"] = json!(at);
    body["decision"] =
        json!({"type": "REJECTED", "details": {"label": "REJECTED"}, "risk": {"score": 100.0}});
    let usability = body["capabilities"]["usability"]
        .as_array_mut()
        .expect("usability")
        .iter_mut()
        .find(|entry| entry["credentials"][0]["category"] == "ID")
        .expect("the ID's usability");
    usability["decision"] = json!({"type": "REJECTED", "details": {"label": "BLURRED"}});
    body.to_string()
}

async fn a_retry_found_only_once_the_face_resolves_still_counts_the_accounts_retries(
    location: &str,
) {
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;
    let account = "r0000000-0000-4000-8000-0000000000rf";
    evaluate(&mut client, clean("wf-rf-face", account), None).await;
    for (n, at) in [
        "2025-03-01T10:00:00Z",
        "2025-03-02T10:00:00Z",
        "2025-03-03T10:00:00Z",
    ]
    .into_iter()
    .enumerate()
    {
        let retry = evaluate(
            &mut client,
            blurred(&format!("wf-rf-{n}"), account, at),
            None,
        )
        .await;
        assert_eq!(outcome(&retry), "OUTCOME_RETRY");
    }
    // Unresolved, the face would make it a review before any retry is
    // counted; resolved to this account it is a retry — the fourth.
    // Explained: as the decision answered, the one made with what the ledger
    // knew, not the first.
    let body = blurred_repeated_face("wf-rf-4", account, &["wf-rf-face"], "2025-03-04T10:00:00Z");
    let decision = decision_of(
        &mut client,
        pb::EvaluateRequest {
            explain: true,
            ..json_request(body)
        },
    )
    .await;
    assert_eq!(
        decision.result_code, "RETRY_BUDGET_EXHAUSTED",
        "{decision:?}"
    );
    assert_eq!(
        face_search(&decision).relation(),
        pb::FaceSearchRelation::SameAccount
    );
    // Unresolved, the face search would have chosen another rule.
    let reason = decision
        .reasons
        .iter()
        .find(|reason| reason.label == "REPEATED_FACE")
        .expect("a REPEATED_FACE reason");
    let chosen: Vec<&str> = decision
        .explanations
        .iter()
        .filter(|explained| explained.label == "REPEATED_FACE")
        .flat_map(|explained| &explained.rules)
        .filter(|rule| rule.verdict() == pb::rule_considered::Verdict::Chosen)
        .map(|rule| rule.rule_id.as_str())
        .collect();
    assert_eq!(
        chosen,
        ["imageChecks.WARNING.REPEATED_FACE[face_search=same_account]"],
        "{decision:?}"
    );
    assert_eq!(reason.rule_id, chosen[0]);
    // Decided three times (twice with what the ledger knew), recorded once,
    // as it was answered.
    assert!(decision.recorded);
    let record = recorded(
        &mut client,
        get_decision_request::Key::WorkflowId("wf-rf-4".into()),
    )
    .await;
    assert_eq!(record.len(), 1, "{record:?}");
    assert_eq!(record[0].decision_id, decision.decision_id);
    assert_eq!(record[0].result_code, "RETRY_BUDGET_EXHAUSTED");
}

async fn a_large_body_is_decided_with_the_ledgers_evidence_as_a_small_one_is(location: &str) {
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;
    let account = "r0000000-0000-4000-8000-0000000000lg";
    evaluate(&mut client, clean("wf-lg-mine", account), None).await;
    // Past 64 KiB a body is parsed and decided on the blocking pool
    // (decide.rs, `is_heavy`), its parse taken there and back for each
    // round; what pads it is a key verdict does not read.
    let mut body: Value = serde_json::from_str(&repeated_face(
        "wf-lg-same",
        account,
        "DONE",
        &["wf-lg-mine"],
    ))
    .expect("JSON");
    body["padding"] = json!("x".repeat(80 * 1024));
    let decision = evaluate(&mut client, body.to_string(), None).await;
    // Only the ledger knows the face's workflow is this account's.
    assert_eq!(
        decision.result_code, "REPEATED_FACE_SAME_ACCOUNT",
        "{decision:?}"
    );
    assert_eq!(
        face_search(&decision).relation(),
        pb::FaceSearchRelation::SameAccount
    );
    assert!(decision.recorded);
}

async fn a_batch_gathers_the_ledgers_evidence_for_every_item_in_order(location: &str) {
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;
    let account = "r0000000-0000-4000-8000-0000000000bt";
    evaluate(&mut client, clean("wf-bt-mine", account), None).await;
    evaluate(&mut client, clean("wf-bt-theirs", ACCOUNT_B), None).await;
    for (n, at) in [
        "2025-03-01T10:00:00Z",
        "2025-03-02T10:00:00Z",
        "2025-03-03T10:00:00Z",
    ]
    .into_iter()
    .enumerate()
    {
        evaluate(
            &mut client,
            blurred(&format!("wf-bt-{n}"), account, at),
            None,
        )
        .await;
    }
    let results = client
        .batch_evaluate(pb::BatchEvaluateRequest {
            items: vec![
                item("clean", clean("wf-bt-clean", account), None),
                item(
                    "same",
                    repeated_face("wf-bt-same", account, "DONE", &["wf-bt-mine"]),
                    None,
                ),
                item(
                    "bad",
                    clean("wf-bt-bad", account),
                    Some(pb::Evidence {
                        channel: "FAX".into(),
                        ..Default::default()
                    }),
                ),
                item(
                    "other",
                    repeated_face("wf-bt-other", account, "DONE", &["wf-bt-theirs"]),
                    None,
                ),
                item(
                    "spent",
                    blurred_repeated_face(
                        "wf-bt-spent",
                        account,
                        &["wf-bt-mine"],
                        "2025-03-04T10:00:00Z",
                    ),
                    None,
                ),
                item(
                    "retry",
                    blurred("wf-bt-4", account, "2025-03-04T11:00:00Z"),
                    on_channel("SDK"),
                ),
            ],
            ..Default::default()
        })
        .await
        .expect("answered")
        .into_inner()
        .results;
    let answers: Vec<_> = results
        .iter()
        .map(|result| {
            let answer = match &result.result {
                Some(pb::batch_result::Result::Decision(decision)) => decision.result_code.clone(),
                Some(pb::batch_result::Result::Error(status)) => format!("error {}", status.code),
                None => "nothing".into(),
            };
            (result.id.as_str(), answer)
        })
        .collect();
    assert_eq!(
        answers,
        vec![
            ("clean", "APPROVED".to_owned()),
            ("same", "REPEATED_FACE_SAME_ACCOUNT".to_owned()),
            ("bad", format!("error {}", Code::InvalidArgument as i32)),
            ("other", "REPEATED_FACE_OTHER_ACCOUNT".to_owned()),
            ("spent", "RETRY_BUDGET_EXHAUSTED".to_owned()),
            ("retry", "RETRY_BUDGET_EXHAUSTED".to_owned()),
        ]
    );
    // Each decision is recorded, whichever round decided it, with the
    // evidence it used.
    for result in &results {
        if let Some(pb::batch_result::Result::Decision(decision)) = &result.result {
            assert!(decision.recorded, "{}", result.id);
        }
    }
    let Some(pb::batch_result::Result::Decision(same)) = &results[1].result else {
        panic!("decided");
    };
    assert!(same.recorded);
    let record = recorded(
        &mut client,
        get_decision_request::Key::DecisionId(same.decision_id.clone()),
    )
    .await;
    let evidence = record[0].evidence.clone().expect("recorded evidence");
    assert_eq!(evidence.workflows.len(), 1);
    assert_eq!(evidence.workflows[0].workflow_id, "wf-bt-mine");
    assert_eq!(evidence.workflows[0].account_id, account);
}

async fn evidence_the_ledger_cannot_read_fails_closed_or_decides_open(location: &str) {
    let face = |id: &str| repeated_face(id, ACCOUNT_A, "DONE", &["wf-broken-1"]);
    {
        let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
        let mut client = server.client().await;
        evaluate(&mut client, clean("wf-broken-1", ACCOUNT_A), None).await;
    }
    // The feedback table gone: every read of a face search's workflows
    // fails; recording decisions still works.
    verdict_ledger::testing::run_sql(location, "DROP TABLE feedback").await;

    let closed = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = closed.client().await;
    let refused = client
        .evaluate(json_request(face("wf-broken-2")))
        .await
        .expect_err("the evidence cannot be read");
    assert_eq!(refused.code(), Code::Unavailable);
    assert_eq!(
        details(&refused).error_info().expect("info").reason,
        "LEDGER_UNAVAILABLE"
    );
    let results = client
        .batch_evaluate(pb::BatchEvaluateRequest {
            items: vec![
                item("face", face("wf-broken-3"), None),
                item("clean", clean("wf-broken-4", ACCOUNT_A), None),
            ],
            ..Default::default()
        })
        .await
        .expect("the batch is answered")
        .into_inner()
        .results;
    let Some(pb::batch_result::Result::Error(status)) = &results[0].result else {
        panic!("the face item fails: {results:?}");
    };
    assert_eq!(status.code, Code::Unavailable as i32);
    assert_eq!(results[0].id, "face");
    let Some(pb::batch_result::Result::Decision(clean)) = &results[1].result else {
        panic!("the clean item is decided: {results:?}");
    };
    assert!(clean.recorded);
    // Feedback can be neither written nor shown: UNAVAILABLE, not a guess.
    let unwritten = feedback(
        &mut client,
        "wf-broken-1",
        pb::FeedbackVerdict::Legitimate,
        "",
    )
    .await
    .expect_err("no feedback table");
    assert_eq!(unwritten.code(), Code::Unavailable);
    let unread = client
        .get_decision(pb::GetDecisionRequest {
            key: Some(get_decision_request::Key::WorkflowId("wf-broken-1".into())),
        })
        .await
        .expect_err("its feedback cannot be read");
    assert_eq!(unread.code(), Code::Unavailable);

    let open = TestServer::start_with_ledger(location, LedgerFailure::Open).await;
    let mut client = open.client().await;
    let decided = evaluate(&mut client, face("wf-broken-5"), None).await;
    assert_eq!(
        decided.result_code, "REPEATED_FACE_UNRESOLVED",
        "decided with what it had"
    );
    let results = client
        .batch_evaluate(pb::BatchEvaluateRequest {
            items: vec![item("face", face("wf-broken-6"), None)],
            ..Default::default()
        })
        .await
        .expect("the batch is answered")
        .into_inner()
        .results;
    let Some(pb::batch_result::Result::Decision(decided)) = &results[0].result else {
        panic!("decided with what it had: {results:?}");
    };
    assert_eq!(decided.result_code, "REPEATED_FACE_UNRESOLVED");
}
