//! Shadow policies over gRPC: a candidate decides beside the live policy on
//! every request; the caller gets the live decision only; disagreements are
//! counted, recorded beside the live decision (on SQLite and PostgreSQL) and
//! listed for review; a reloaded shadow decides with its new version.

use std::path::Path;
use std::sync::Arc;

use tokio_stream::StreamExt as _;
use verdict_api::v1::{self as pb, batch_item, batch_result, get_decision_request};
use verdict_server::{LedgerFailure, PolicyStore, ServeOptions};

use crate::support::{TestServer, counter, evaluate_json, fixture, recorder};

verdict_ledger::on_both_stores!(
    a_shadow_disagreement_is_counted_recorded_and_listed_and_the_caller_sees_the_live_decision,
);

/// The embedded default, but a punched document gets `outcome` and `code`.
fn candidate(id: &str, version: &str, outcome: &str, code: &str) -> String {
    format!(
        r#"extends = "jumio-default"
id = "{id}"
version = "{version}"
description = "a shadow candidate: punched documents are not reviewed"

[[rule]]
capability = "imageChecks"
type = "REJECTED"
label = "PUNCHED"
outcome = "{outcome}"
code = "{code}"
message = "a punched document"
"#
    )
}

const PUNCHED_WORKFLOW: &str = "c7562c8e-fa4b-52fc-9eac-cb7ed459c23a";

/// Fixture 04 (a punched document) as another workflow.
fn punched(workflow_id: &str) -> String {
    fixture("04-imagechecks-rejected-punched.json").replace(PUNCHED_WORKFLOW, workflow_id)
}

fn write_candidate(dir: &Path, body: &str) {
    std::fs::write(dir.join("candidate.toml"), body).expect("write the candidate");
}

async fn a_shadow_disagreement_is_counted_recorded_and_listed_and_the_caller_sees_the_live_decision(
    location: &str,
) {
    // A shadow id of this store's own, so that the counters of the test on
    // the other store (same process) are apart.
    let shadow = if location.starts_with("sqlite") {
        "shadow-sqlite"
    } else {
        "shadow-postgres"
    };
    let dir = tempfile::tempdir().expect("policy dir");
    write_candidate(
        dir.path(),
        &candidate(shadow, "1.0.0", "DECLINE", "DOCUMENT_PUNCHED_DECLINED"),
    );
    let policies =
        Arc::new(PolicyStore::open(Some(dir.path()), None, true).expect("policies load"));
    let server = TestServer::start_full(
        ServeOptions {
            ledger: Some(recorder(location, LedgerFailure::Closed).await),
            shadow_policies: vec![shadow.to_owned()],
            ..ServeOptions::default()
        },
        Arc::clone(&policies),
    )
    .await;
    let without_shadows = TestServer::start().await;
    let mut client = server.client().await;
    let decided =
        format!(r#"verdict_shadow_decisions_total{{live="jumio-default",shadow="{shadow}"}}"#);
    let disagreed = format!(
        r#"verdict_shadow_disagreements_total{{live="jumio-default",shadow="{shadow}",from="REVIEW",to="DECLINE"}}"#
    );
    let (decided_before, disagreed_before) = (counter(&decided), counter(&disagreed));

    // The caller is answered with the live decision, exactly as without shadows.
    let live = evaluate_json(&mut client, punched("shadow-punched-1")).await;
    let plain = evaluate_json(
        &mut without_shadows.client().await,
        punched("shadow-punched-1"),
    )
    .await;
    assert!(live.recorded);
    assert_eq!(
        pb::Decision {
            decision_id: String::new(),
            recorded: false,
            workflow_version: 0,
            ..live.clone()
        },
        plain
    );
    assert_eq!(live.result_code, "DOCUMENT_PUNCHED");
    let clean = evaluate_json(&mut client, fixture("01-clean-pass-score-0.json")).await;
    assert_eq!(clean.result_code, "APPROVED");
    // A RETRY reads the account's retries in the ledger and is decided
    // again with them: the decision answered is the one shadowed.
    let retry = evaluate_json(&mut client, fixture("02-usability-rejected-blurred.json")).await;
    assert_eq!(retry.result_code, "IMAGE_QUALITY_BLURRED");
    assert_eq!(counter(&decided) - decided_before, 3.0);
    assert_eq!(counter(&disagreed) - disagreed_before, 1.0);

    // Recorded beside the live decision, shown with it, listed by shadow.
    let expected_shadow = |version: &str, outcome: pb::Outcome, code: &str| {
        let reference = policies
            .current()
            .get(shadow)
            .expect("loaded")
            .policy
            .reference()
            .clone();
        assert_eq!(reference.version, version);
        pb::ShadowDecision {
            policy: Some(pb::PolicyRef {
                id: reference.id,
                version: reference.version,
                digest: reference.digest,
            }),
            outcome: outcome as i32,
            result_code: code.to_owned(),
            rule_id: "imageChecks.REJECTED.PUNCHED".to_owned(),
        }
    };
    let first = expected_shadow("1.0.0", pb::Outcome::Decline, "DOCUMENT_PUNCHED_DECLINED");
    let listed = |client: &mut pb::decision_service_client::DecisionServiceClient<_>| {
        let request = pb::ListDecisionsRequest {
            shadow_policy_id: shadow.to_owned(),
            ..Default::default()
        };
        let mut client = client.clone();
        async move {
            client
                .list_decisions(request)
                .await
                .expect("list")
                .into_inner()
                .decisions
        }
    };
    let disagreements = listed(&mut client).await;
    assert_eq!(
        disagreements
            .iter()
            .map(|d| (d.decision_id.as_str(), d.shadows.clone()))
            .collect::<Vec<_>>(),
        [(live.decision_id.as_str(), vec![first.clone()])]
    );
    let get = |id: &str| pb::GetDecisionRequest {
        key: Some(get_decision_request::Key::DecisionId(id.to_owned())),
    };
    let clean_record = client
        .get_decision(get(&clean.decision_id))
        .await
        .expect("get")
        .into_inner()
        .decisions;
    assert!(
        clean_record[0].shadows.is_empty(),
        "agreement is not recorded"
    );

    // Batches and streams decide beside their shadows too.
    let item = |id: &str, workflow: &str| pb::BatchItem {
        id: id.to_owned(),
        input: Some(batch_item::Input::WorkflowJson(punched(workflow))),
        evidence: None,
    };
    let batch = client
        .batch_evaluate(pb::BatchEvaluateRequest {
            items: vec![item("b", "shadow-punched-2")],
            ..Default::default()
        })
        .await
        .expect("batch")
        .into_inner()
        .results;
    let streamed = client
        .stream_evaluate(tokio_stream::iter(vec![pb::StreamEvaluateRequest {
            item: Some(item("s", "shadow-punched-3")),
            ..Default::default()
        }]))
        .await
        .expect("stream")
        .into_inner()
        .map(|response| response.expect("answer").result.expect("result"))
        .collect::<Vec<_>>()
        .await;
    for result in batch.iter().chain(&streamed) {
        match &result.result {
            Some(batch_result::Result::Decision(decision)) => {
                assert_eq!(decision.result_code, "DOCUMENT_PUNCHED");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(listed(&mut client).await.len(), 3);

    // A reloaded shadow decides with its new version, recorded as such.
    write_candidate(
        dir.path(),
        &candidate(shadow, "1.1.0", "RETRY", "DOCUMENT_PUNCHED_RETRY"),
    );
    let report = policies.reload();
    assert!(report.failed.is_empty(), "{report:?}");
    let after_reload = evaluate_json(&mut client, punched("shadow-punched-4")).await;
    let newest = listed(&mut client).await.pop().expect("listed");
    assert_eq!(newest.decision_id, after_reload.decision_id);
    assert_eq!(
        newest.shadows,
        [expected_shadow(
            "1.1.0",
            pb::Outcome::Retry,
            "DOCUMENT_PUNCHED_RETRY"
        )]
    );
    assert_ne!(newest.shadows[0].policy, first.policy, "the new digest");
    // The shadow's first version is no longer loaded; the ledger kept its text.
    let digest = first.policy.expect("policy").digest;
    let kept = client
        .get_policy(pb::GetPolicyRequest {
            digest: digest.clone(),
            ..Default::default()
        })
        .await
        .expect("the shadow's first version, by digest")
        .into_inner();
    assert!(
        kept.content.contains(r#"version = "1.0.0""#),
        "{}",
        kept.content
    );
    assert_eq!(kept.policy.expect("info").digest, digest);

    // A shadow whose file is gone is skipped and counted; callers never notice.
    let missing = format!(r#"verdict_shadow_missing_total{{shadow="{shadow}"}}"#);
    let missing_before = counter(&missing);
    std::fs::remove_file(dir.path().join("candidate.toml")).expect("remove the candidate");
    let report = policies.reload();
    assert_eq!(report.removed, [shadow]);
    let without = evaluate_json(&mut client, punched("shadow-punched-5")).await;
    assert_eq!(without.result_code, "DOCUMENT_PUNCHED");
    assert!(without.recorded);
    assert_eq!(counter(&missing) - missing_before, 1.0);
    assert_eq!(
        listed(&mut client).await.len(),
        4,
        "nothing recorded beside it"
    );
}
