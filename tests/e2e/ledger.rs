//! The decision ledger over gRPC: every answered decision is recorded and
//! can be read back, on the embedded SQLite file and on PostgreSQL.

use sha2::{Digest as _, Sha256};
use tonic::Code;
use verdict_api::v1::{self as pb, batch_item, get_decision_request};
use verdict_server::LedgerFailure;

use crate::stream::{answers, streamed};
use crate::support::{
    PERSONAL_VALUES, TestServer, batch_evaluate, batch_item, details, evaluate_json, fixture,
    json_request, rpc_status_details, violated_field, workflow_fixtures,
};

verdict_ledger::on_both_stores!(
    an_answered_decision_is_recorded_and_read_back_by_id_and_workflow,
    the_same_input_is_answered_with_the_recorded_id_and_a_new_input_is_a_new_version,
    batch_items_are_recorded_and_listed_by_account_and_outcome_in_pages,
    a_policy_version_no_longer_loaded_is_served_from_the_ledger_by_digest,
    the_ledger_keeps_no_personal_data,
    the_recorded_facts_decide_again_to_the_recorded_decision,
    typed_and_json_input_record_the_same_facts_face_search_included,
    a_decision_the_ledger_cannot_record_fails_closed_and_is_answered_unrecorded_open,
    streamed_and_batched_decisions_are_marked_as_evaluate_marks_them,
    what_cannot_be_decided_is_refused_as_without_a_ledger_and_nothing_of_it_is_recorded,
);

fn sha256(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "sha256:{}",
        digest
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>()
    )
}

async fn get(
    client: &mut pb::decision_service_client::DecisionServiceClient<tonic::transport::Channel>,
    key: get_decision_request::Key,
) -> Result<Vec<pb::RecordedDecision>, tonic::Status> {
    client
        .get_decision(pb::GetDecisionRequest { key: Some(key) })
        .await
        .map(|response| response.into_inner().decisions)
}

async fn an_answered_decision_is_recorded_and_read_back_by_id_and_workflow(location: &str) {
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;
    let body = fixture("04-imagechecks-rejected-punched.json");
    let decision = client
        .evaluate(json_request(body.clone()))
        .await
        .expect("decided")
        .into_inner()
        .decision
        .expect("decision");
    assert!(decision.recorded);
    assert_eq!(decision.workflow_version, 1);
    assert!(!decision.already_recorded);
    // A UUIDv7: version nibble 7.
    assert_eq!(decision.decision_id.len(), 36);
    assert_eq!(
        &decision.decision_id[14..15],
        "7",
        "{}",
        decision.decision_id
    );

    let recorded = get(
        &mut client,
        get_decision_request::Key::DecisionId(decision.decision_id.clone()),
    )
    .await
    .expect("found by id");
    assert_eq!(recorded.len(), 1);
    let record = &recorded[0];
    assert_eq!(record.decision_id, decision.decision_id);
    assert_eq!(record.workflow_id, decision.workflow_id);
    assert_eq!(record.account_id, decision.account_id);
    assert_eq!(record.outcome, decision.outcome);
    assert_eq!(record.result_code, decision.result_code);
    assert_eq!(record.policy, decision.policy);
    assert_eq!(record.input_sha256, sha256(&body));
    assert_eq!(record.sequence, 1);
    assert_eq!(
        record.completed_at.as_ref().map(|at| at.seconds),
        Some(1_741_083_605),
        "2025-03-04T10:20:05Z"
    );
    // The reasons, as codes: the same capability, label, code and rule.
    let codes = |reasons: &[pb::Reason]| {
        reasons
            .iter()
            .map(|r| {
                (
                    r.capability.clone(),
                    r.decision_type,
                    r.label.clone(),
                    r.code.clone(),
                    r.rule_id.clone(),
                    r.root_cause,
                    r.outcome,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(codes(&record.reasons), codes(&decision.reasons));
    assert!(
        record.reasons.iter().all(|r| r.message.is_empty()),
        "no free text is kept"
    );

    let by_workflow = get(
        &mut client,
        get_decision_request::Key::WorkflowId(decision.workflow_id.clone()),
    )
    .await
    .expect("found by workflow");
    assert_eq!(by_workflow, recorded);

    let missing = get(
        &mut client,
        get_decision_request::Key::DecisionId("0190-nope".into()),
    )
    .await
    .expect_err("unknown id");
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(
        details(&missing)
            .resource_info()
            .expect("resource")
            .resource_name,
        "0190-nope"
    );
    let keyless = client
        .get_decision(pb::GetDecisionRequest { key: None })
        .await
        .expect_err("no key");
    assert_eq!(keyless.code(), Code::InvalidArgument);
    let violations = details(&keyless)
        .bad_request()
        .cloned()
        .expect("bad request")
        .field_violations;
    assert_eq!(violations[0].field, "key");
}

/// Each decision of a stream and of a batch carries the ledger's mark of
/// that very item: the latest input of a workflow is answered as already
/// recorded, with its record's id; another input is a new version that
/// supersedes it; a new workflow is a first record.
async fn streamed_and_batched_decisions_are_marked_as_evaluate_marks_them(location: &str) {
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;
    let punched = fixture("04-imagechecks-rejected-punched.json");
    let first = evaluate_json(&mut client, punched.clone()).await;
    assert!(first.recorded && !first.already_recorded);
    let items = [
        batch_item("again", &punched),
        batch_item("broken", "{"),
        batch_item("changed", punched.replacen('{', "{ ", 1)),
        batch_item("blurred", fixture("02-usability-rejected-blurred.json")),
    ];
    let requests = items
        .iter()
        .map(|item| streamed(item.clone(), "", false))
        .collect();
    let streamed = answers(&mut client, requests).await;
    let decision = |results: &[pb::BatchResult], index: usize| match &results[index].result {
        Some(pb::batch_result::Result::Decision(decision)) => decision.clone(),
        other => panic!("{}: {other:?}", results[index].id),
    };
    let ids: Vec<&str> = streamed.iter().map(|result| result.id.as_str()).collect();
    assert_eq!(ids, ["again", "broken", "changed", "blurred"]);
    // The same workflow and input: the Evaluate's decision, marked already
    // recorded, everything else the same.
    let again = decision(&streamed, 0);
    assert_eq!(
        again,
        pb::Decision {
            already_recorded: true,
            ..first.clone()
        }
    );
    assert!(matches!(
        streamed[1].result,
        Some(pb::batch_result::Result::Error(_))
    ));
    let changed = decision(&streamed, 2);
    assert!(changed.recorded && !changed.already_recorded);
    assert_eq!(changed.workflow_version, 2);
    assert_eq!(changed.supersedes_decision_id, first.decision_id);
    let blurred = decision(&streamed, 3);
    assert!(blurred.recorded && !blurred.already_recorded);
    assert_eq!(blurred.workflow_version, 1);
    assert!(blurred.supersedes_decision_id.is_empty());

    // In a batch: the latest input of a workflow the stream recorded, and a
    // new workflow.
    let batched = batch_evaluate(
        &mut client,
        pb::BatchEvaluateRequest {
            items: vec![
                items[3].clone(),
                batch_item("clean", fixture("01-clean-pass-score-0.json")),
            ],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        decision(&batched, 0),
        pb::Decision {
            already_recorded: true,
            ..blurred.clone()
        }
    );
    let clean = decision(&batched, 1);
    assert!(clean.recorded && !clean.already_recorded);
    assert_eq!(clean.workflow_version, 1);
    assert_ne!(clean.decision_id, blurred.decision_id);
    // Each first record, the streamed and the batched, reads back by its id.
    for made in [&blurred, &clean] {
        let recorded = get(
            &mut client,
            get_decision_request::Key::DecisionId(made.decision_id.clone()),
        )
        .await
        .expect("recorded");
        assert_eq!(recorded[0].workflow_id, made.workflow_id);
    }
}

async fn the_same_input_is_answered_with_the_recorded_id_and_a_new_input_is_a_new_version(
    location: &str,
) {
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;
    let body = fixture("02-usability-rejected-blurred.json");
    let decide = |body: String| {
        let mut client = client.clone();
        async move {
            client
                .evaluate(json_request(body))
                .await
                .expect("decided")
                .into_inner()
                .decision
                .expect("decision")
        }
    };
    let first = decide(body.clone()).await;
    let again = decide(body.clone()).await;
    assert!(again.already_recorded);
    assert_eq!(again.decision_id, first.decision_id);
    assert_eq!(again.workflow_version, 1);
    assert_eq!(
        (again.outcome, &again.result_code),
        (first.outcome, &first.result_code)
    );

    // The same workflow, retrieved again: other bytes (here only spacing),
    // so another input.
    let changed = body.replacen('{', "{ ", 1);
    assert_ne!(changed, body);
    let second = decide(changed).await;
    assert!(second.recorded && !second.already_recorded);
    assert_eq!(second.workflow_version, 2);
    assert_eq!(second.supersedes_decision_id, first.decision_id);
    assert_ne!(second.decision_id, first.decision_id);

    let versions = get(
        &mut client,
        get_decision_request::Key::WorkflowId(first.workflow_id.clone()),
    )
    .await
    .expect("versions");
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.decision_id.as_str(), v.workflow_version))
            .collect::<Vec<_>>(),
        [
            (first.decision_id.as_str(), 1),
            (second.decision_id.as_str(), 2)
        ]
    );
}

async fn batch_items_are_recorded_and_listed_by_account_and_outcome_in_pages(location: &str) {
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;
    let names = workflow_fixtures();
    let mut items: Vec<pb::BatchItem> = names
        .iter()
        .map(|name| pb::BatchItem {
            evidence: None,
            id: name.clone(),
            input: Some(batch_item::Input::WorkflowJson(fixture(name))),
        })
        .collect();
    items.push(pb::BatchItem {
        evidence: None,
        id: "broken".into(),
        input: Some(batch_item::Input::WorkflowJson("{".into())),
    });
    let results = client
        .batch_evaluate(pb::BatchEvaluateRequest {
            items,
            ..Default::default()
        })
        .await
        .expect("batch")
        .into_inner()
        .results;
    let mut decided = Vec::new();
    for result in &results {
        match &result.result {
            Some(pb::batch_result::Result::Decision(decision)) => {
                assert!(decision.recorded, "{} not recorded", result.id);
                decided.push(decision.clone());
            }
            Some(pb::batch_result::Result::Error(_)) => {}
            None => panic!("{} has no result", result.id),
        }
    }
    assert!(matches!(
        results.last().and_then(|r| r.result.as_ref()),
        Some(pb::batch_result::Result::Error(_))
    ));
    assert!(decided.len() > 10);

    // Everything, a page of 4 at a time, in the order recorded.
    let mut listed = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_decisions(pb::ListDecisionsRequest {
                page_size: 4,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .expect("page")
            .into_inner();
        assert!(page.decisions.len() <= 4);
        listed.extend(page.decisions.into_iter().map(|d| d.decision_id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let expected: Vec<String> = decided.iter().map(|d| d.decision_id.clone()).collect();
    assert_eq!(listed, expected);

    // By account and by outcome.
    let account = decided[0].account_id.clone();
    let of_account = client
        .list_decisions(pb::ListDecisionsRequest {
            account_id: account.clone(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .decisions;
    let expected_of_account = decided.iter().filter(|d| d.account_id == account).count();
    assert_eq!(of_account.len(), expected_of_account);
    assert!(of_account.iter().all(|d| d.account_id == account));
    let declined = client
        .list_decisions(pb::ListDecisionsRequest {
            outcome: pb::Outcome::Decline as i32,
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .decisions;
    let expected_declined = decided
        .iter()
        .filter(|d| d.outcome == pb::Outcome::Decline as i32)
        .count();
    assert!(expected_declined > 0);
    assert_eq!(declined.len(), expected_declined);

    // Hostile paging: a forged token and an oversized page are the caller's fault.
    for (request, field) in [
        (
            pb::ListDecisionsRequest {
                page_token: "v1.abc".into(),
                ..Default::default()
            },
            "page_token",
        ),
        (
            pb::ListDecisionsRequest {
                page_token: "eyJzZXEiOjF9".into(),
                ..Default::default()
            },
            "page_token",
        ),
        (
            pb::ListDecisionsRequest {
                page_size: 5000,
                ..Default::default()
            },
            "page_size",
        ),
    ] {
        let status = client.list_decisions(request).await.expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument);
        let violations = details(&status)
            .bad_request()
            .cloned()
            .expect("bad request")
            .field_violations;
        assert_eq!(violations[0].field, field);
        assert!(!status.message().contains("eyJ"), "the token is not echoed");
    }
}

async fn a_policy_version_no_longer_loaded_is_served_from_the_ledger_by_digest(location: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = std::fs::read_to_string(format!(
        "{}/crates/verdict-core/policies/examples/acme-eu.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("example policy");
    std::fs::write(dir.path().join("acme-eu.toml"), &text).expect("write policy");
    let policies = std::sync::Arc::new(
        verdict_server::PolicyStore::open(Some(dir.path()), None, false).expect("policies load"),
    );
    let digest = {
        let server =
            TestServer::start_with_ledger_and_policies(location, LedgerFailure::Closed, policies)
                .await;
        let mut client = server.client().await;
        let mut request = json_request(fixture("01-clean-pass-score-0.json"));
        request.policy_id = "acme-eu".into();
        let decision = client
            .evaluate(request)
            .await
            .expect("decided")
            .into_inner()
            .decision
            .expect("decision");
        decision.policy.expect("policy").digest
    };
    // A server that no longer loads it still answers for it.
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;
    let got = client
        .get_policy(pb::GetPolicyRequest {
            digest: digest.clone(),
            ..Default::default()
        })
        .await
        .expect("from the ledger")
        .into_inner();
    let info = got.policy.expect("info");
    assert_eq!(
        (info.id.as_str(), info.digest.as_str(), info.source.as_str()),
        ("acme-eu", digest.as_str(), "ledger")
    );
    assert_eq!(got.content, text);
    let unknown = client
        .get_policy(pb::GetPolicyRequest {
            digest: "sha256:00".into(),
            ..Default::default()
        })
        .await
        .expect_err("unknown digest");
    assert_eq!(unknown.code(), Code::NotFound);
}

async fn the_ledger_keeps_no_personal_data(location: &str) {
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;
    for name in workflow_fixtures() {
        let _ = client
            .evaluate(json_request(fixture(&name)))
            .await
            .expect("decided");
    }
    // And every hostile input: what is decided of them is recorded too.
    for (_, request, _) in crate::hostile::cases() {
        let _ = client.evaluate(request).await;
    }
    // Everything the ledger returns, as one text: records and their facts.
    let listed = client
        .list_decisions(pb::ListDecisionsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner()
        .decisions;
    assert!(listed.len() > 10);
    let text = format!("{listed:?}");
    for personal in PERSONAL_VALUES {
        assert!(!text.contains(personal), "{personal} is in the ledger");
    }
    // The raw storage too: PostgreSQL's dump, or the SQLite file (and its
    // write-ahead log).
    if let Ok(pg_dump) = std::env::var("LEDGER_TEST_PG_DUMP")
        && location.starts_with("postgres")
    {
        let dump = std::process::Command::new(pg_dump)
            .args(["--data-only", location])
            .output()
            .expect("pg_dump runs");
        assert!(
            dump.status.success(),
            "{}",
            String::from_utf8_lossy(&dump.stderr)
        );
        let raw = String::from_utf8_lossy(&dump.stdout);
        assert!(
            raw.contains(&listed[0].decision_id),
            "the dump holds the records"
        );
        for personal in PERSONAL_VALUES {
            assert!(
                !raw.contains(personal),
                "{personal} is in the PostgreSQL dump"
            );
        }
    }
    if let Some(path) = location.strip_prefix("sqlite:") {
        drop(server);
        let mut bytes = std::fs::read(path).expect("ledger file");
        bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
        let raw = String::from_utf8_lossy(&bytes);
        assert!(
            raw.contains(&listed[0].decision_id),
            "the file holds the records"
        );
        for personal in PERSONAL_VALUES {
            assert!(!raw.contains(personal), "{personal} is in the SQLite file");
        }
    }
}

/// Decides one body with Evaluate, and a batch of it and a broken item.
async fn evaluate_and_batch(
    server: &TestServer,
) -> (Result<pb::Decision, tonic::Status>, Vec<pb::BatchResult>) {
    let mut client = server.client().await;
    let body = fixture("01-clean-pass-score-0.json");
    let single = client
        .evaluate(json_request(body.clone()))
        .await
        .map(|response| response.into_inner().decision.expect("a decision"));
    let request = pb::BatchEvaluateRequest {
        items: vec![batch_item("good", body), batch_item("broken", "{")],
        ..Default::default()
    };
    (single, batch_evaluate(&mut client, request).await)
}

async fn a_decision_the_ledger_cannot_record_fails_closed_and_is_answered_unrecorded_open(
    location: &str,
) {
    // Started, then its decisions table gone: every append fails.
    let vanish = "ALTER TABLE decisions RENAME TO decisions_gone";
    let closed = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    verdict_ledger::testing::run_sql(location, vanish).await;
    let (single, batch) = evaluate_and_batch(&closed).await;
    let refused = single.expect_err("not recorded, so not answered");
    assert_eq!(refused.code(), Code::Unavailable);
    assert_eq!(
        details(&refused).error_info().expect("info").reason,
        "LEDGER_UNAVAILABLE"
    );
    let codes: Vec<(&str, i32)> = batch
        .iter()
        .map(|result| match &result.result {
            Some(pb::batch_result::Result::Error(status)) => (result.id.as_str(), status.code),
            other => panic!("{}: answered {other:?}", result.id),
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("good", Code::Unavailable as i32),
            ("broken", Code::InvalidArgument as i32)
        ]
    );
    drop(closed);

    verdict_ledger::testing::run_sql(location, "ALTER TABLE decisions_gone RENAME TO decisions")
        .await;
    let open = TestServer::start_with_ledger(location, LedgerFailure::Open).await;
    verdict_ledger::testing::run_sql(location, vanish).await;
    let (single, batch) = evaluate_and_batch(&open).await;
    let decided = single.expect("answered unrecorded");
    assert_eq!(decided.result_code, "APPROVED");
    assert!(!decided.recorded && decided.decision_id.is_empty());
    let Some(pb::batch_result::Result::Decision(good)) = &batch[0].result else {
        panic!("the good item is answered: {batch:?}");
    };
    assert_eq!(good.result_code, "APPROVED");
    assert!(!good.recorded && good.decision_id.is_empty());
    assert!(matches!(
        batch[1].result,
        Some(pb::batch_result::Result::Error(_))
    ));
}

#[tokio::test]
async fn without_a_ledger_decisions_are_unrecorded_and_ledger_reads_say_why() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let decision = client
        .evaluate(json_request(fixture("01-clean-pass-score-0.json")))
        .await
        .expect("decided")
        .into_inner()
        .decision
        .expect("decision");
    assert!(!decision.recorded);
    assert!(decision.decision_id.is_empty());
    let status = get(
        &mut client,
        get_decision_request::Key::DecisionId("x".into()),
    )
    .await
    .expect_err("no ledger");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(
        details(&status).error_info().expect("info").reason,
        "LEDGER_DISABLED"
    );
}

async fn the_recorded_facts_decide_again_to_the_recorded_decision(location: &str) {
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;
    let policy = verdict_core::Policy::embedded_default();
    let mut replayed = 0;
    for name in workflow_fixtures() {
        let Ok(response) = client.evaluate(json_request(fixture(&name))).await else {
            continue; // not decided (not final): nothing recorded
        };
        let decision = response.into_inner().decision.expect("decision");
        let recorded = get(
            &mut client,
            get_decision_request::Key::DecisionId(decision.decision_id),
        )
        .await
        .expect("recorded");
        let record = &recorded[0];
        // Decided again, offline, from nothing but the stored facts.
        let (facts, evidence) =
            verdict_core::facts_from_json(&record.facts_json).expect("facts read back");
        let again = verdict_core::evaluate_with(&facts, &policy, &evidence).expect("decides");
        assert_eq!(
            again.policy.digest,
            record.policy.as_ref().expect("policy").digest,
            "{name}"
        );
        assert_eq!(
            again.outcome.name(),
            pb::Outcome::try_from(record.outcome)
                .expect("outcome")
                .as_str_name()
                .trim_start_matches("OUTCOME_"),
            "{name}"
        );
        assert_eq!(again.result_code, record.result_code, "{name}");
        let from_facts: Vec<_> = again
            .reasons
            .iter()
            .map(|r| {
                (
                    r.capability.to_owned(),
                    r.label.to_owned(),
                    r.code.to_owned(),
                    r.rule_id.to_owned(),
                    r.root_cause,
                    r.entry_id.unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let stored: Vec<_> = record
            .reasons
            .iter()
            .map(|r| {
                (
                    r.capability.clone(),
                    r.label.clone(),
                    r.code.clone(),
                    r.rule_id.clone(),
                    r.root_cause,
                    r.entry_id.clone(),
                )
            })
            .collect();
        assert_eq!(from_facts, stored, "{name}");
        replayed += 1;
    }
    assert!(replayed > 20, "the corpus was replayed ({replayed})");
}

async fn typed_and_json_input_record_the_same_facts_face_search_included(location: &str) {
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;
    let body = fixture("05-imagechecks-warning-repeated-face.json");
    let mut facts = Vec::new();
    for input in [
        evaluate_request_input_json(&body),
        pb::evaluate_request::Input::Workflow(crate::typed::typed_from_json(&body)),
    ] {
        let decision = client
            .evaluate(pb::EvaluateRequest {
                input: Some(input),
                ..Default::default()
            })
            .await
            .expect("decided")
            .into_inner()
            .decision
            .expect("decision");
        let record = get(
            &mut client,
            get_decision_request::Key::DecisionId(decision.decision_id),
        )
        .await
        .expect("recorded");
        let mut json: serde_json::Value =
            serde_json::from_str(&record[0].facts_json).expect("facts are JSON");
        // This test's typed message lists capabilities by name (serde_json's
        // map is sorted), the JSON body in its own order.
        json["workflow"]["capabilities"]
            .as_array_mut()
            .expect("capabilities")
            .sort_by_key(|capability| capability["name"].as_str().unwrap_or_default().to_owned());
        facts.push(json);
    }
    assert_eq!(facts[0], facts[1], "the two forms of one payload");
    // The repeated face's search: its status and the earlier workflows' ids.
    let json = &facts[0];
    let image_checks = json["workflow"]["capabilities"]
        .as_array()
        .expect("capabilities")
        .iter()
        .find(|capability| capability["name"] == "imageChecks")
        .expect("imageChecks");
    let search = &image_checks["entries"][0]["data"]["face_search"];
    assert_eq!(search["status"], "DONE");
    assert_eq!(
        search["findings"],
        serde_json::json!([
            "57964a48-36c9-501b-8030-bde4761f21ae",
            "5969386e-56bd-53c0-9ce1-528668ba10ad"
        ])
    );
}

fn evaluate_request_input_json(body: &str) -> pb::evaluate_request::Input {
    pb::evaluate_request::Input::WorkflowJson(body.to_owned())
}

/// With a ledger, an input is parsed once and kept for a second round with
/// the ledger's evidence: one that cannot be parsed is refused there with
/// the error it gets without a ledger, and the items beside it are decided
/// and recorded all the same.
async fn what_cannot_be_decided_is_refused_as_without_a_ledger_and_nothing_of_it_is_recorded(
    location: &str,
) {
    let server = TestServer::start_with_ledger(location, LedgerFailure::Closed).await;
    let mut client = server.client().await;

    let missing = client
        .evaluate(pb::EvaluateRequest::default())
        .await
        .expect_err("no input");
    assert_eq!(missing.code(), Code::InvalidArgument);
    assert_eq!(violated_field(&details(&missing)), "input");

    let truncated = client
        .evaluate(json_request("{\"workflow\": "))
        .await
        .expect_err("not JSON");
    assert_eq!(truncated.code(), Code::InvalidArgument);
    assert_eq!(
        details(&truncated).error_info().expect("ErrorInfo").reason,
        "INVALID_WORKFLOW_JSON"
    );

    // A RETRY reads the account's retries: decided twice, from one parse.
    let request = pb::BatchEvaluateRequest {
        items: vec![
            pb::BatchItem {
                evidence: None,
                id: "empty".to_owned(),
                input: None,
            },
            batch_item("blurred", fixture("02-usability-rejected-blurred.json")),
            batch_item("broken", "{"),
        ],
        ..Default::default()
    };
    let results = batch_evaluate(&mut client, request).await;
    let ids: Vec<&str> = results.iter().map(|result| result.id.as_str()).collect();
    assert_eq!(ids, ["empty", "blurred", "broken"]);
    let Some(pb::batch_result::Result::Error(empty)) = &results[0].result else {
        panic!("the empty item answered {:?}", results[0].result);
    };
    assert_eq!(empty.code, Code::InvalidArgument as i32);
    assert_eq!(violated_field(&rpc_status_details(empty)), "input");
    let Some(pb::batch_result::Result::Decision(blurred)) = &results[1].result else {
        panic!("the good item answered {:?}", results[1].result);
    };
    assert_eq!(blurred.result_code, "IMAGE_QUALITY_BLURRED");
    assert!(blurred.recorded);
    let Some(pb::batch_result::Result::Error(broken)) = &results[2].result else {
        panic!("the broken item answered {:?}", results[2].result);
    };
    assert_eq!(broken.code, Code::InvalidArgument as i32);

    let listed = client
        .list_decisions(pb::ListDecisionsRequest::default())
        .await
        .expect("listed")
        .into_inner()
        .decisions;
    let recorded: Vec<&str> = listed
        .iter()
        .map(|record| record.decision_id.as_str())
        .collect();
    assert_eq!(recorded, [blurred.decision_id.as_str()]);
}
