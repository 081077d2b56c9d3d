//! PostgreSQL stopped under load, with the real binary: with
//! `ledger_failure = closed` nothing is answered unrecorded (UNAVAILABLE +
//! LEDGER_UNAVAILABLE); with `open` decisions go on, marked unrecorded; both
//! recover when the database returns. One test, because it stops the
//! database every PostgreSQL test shares (test binaries run one at a time).

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on should fail loudly"
)]

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use prost::Message as _;
use support::{assert_recorded, clean_workflow, start};
use tonic::Code;
use tonic_types::StatusExt as _;
use verdict_api::v1::decision_service_client::DecisionServiceClient;
use verdict_api::v1::{self as pb, evaluate_request};

fn pg_ctl(verb: &str) {
    let ctl =
        std::env::var("LEDGER_TEST_PG_CTL").expect("LEDGER_TEST_PG_CTL (.ci/postgres sets it)");
    let status = Command::new("sh")
        .args(["-c", &format!("{ctl} {verb}")])
        .status()
        .expect("pg_ctl runs");
    assert!(status.success(), "pg_ctl {verb} failed");
}

/// Starts the database again when dropped: at the end of the outage, and if
/// the test fails while it is stopped.
struct StartOnDrop;
impl Drop for StartOnDrop {
    fn drop(&mut self) {
        pg_ctl("start");
    }
}

fn request(n: usize) -> pb::EvaluateRequest {
    pb::EvaluateRequest {
        input: Some(evaluate_request::Input::WorkflowJson(clean_workflow(
            &format!("outage-{n}"),
        ))),
        ..Default::default()
    }
}

fn batch_item(workflow_id: &str) -> pb::BatchItem {
    pb::BatchItem {
        evidence: None,
        id: workflow_id.to_owned(),
        input: Some(pb::batch_item::Input::WorkflowJson(clean_workflow(
            workflow_id,
        ))),
    }
}

/// A batch item's answer as `Code REASON`, or `recorded` / `unrecorded`.
fn item_answer(result: &pb::BatchResult) -> String {
    match &result.result {
        Some(pb::batch_result::Result::Decision(decision)) if decision.recorded => {
            "recorded".to_owned()
        }
        Some(pb::batch_result::Result::Decision(_)) => "unrecorded".to_owned(),
        Some(pb::batch_result::Result::Error(status)) => {
            let reason = status
                .details
                .iter()
                .find(|detail| detail.type_url.ends_with("google.rpc.ErrorInfo"))
                .and_then(|detail| tonic_types::pb::ErrorInfo::decode(detail.value.as_slice()).ok())
                .map(|info| info.reason)
                .unwrap_or_default();
            format!("{:?} {reason}", Code::from(status.code))
        }
        None => "no result".to_owned(),
    }
}

/// What one Evaluate got.
#[derive(Debug, PartialEq)]
enum Answer {
    Recorded(String),
    Unrecorded,
    LedgerUnavailable,
}

async fn evaluate(
    client: &mut DecisionServiceClient<tonic::transport::Channel>,
    n: usize,
) -> Answer {
    match client.evaluate(request(n)).await {
        Ok(response) => {
            let decision = response.into_inner().decision.expect("decision");
            if decision.recorded {
                Answer::Recorded(decision.decision_id)
            } else {
                assert!(decision.decision_id.is_empty());
                Answer::Unrecorded
            }
        }
        Err(status) => {
            assert_eq!(status.code(), Code::Unavailable, "{status:?}");
            let reason = status.get_details_error_info().map(|info| info.reason);
            assert_eq!(reason.as_deref(), Some("LEDGER_UNAVAILABLE"));
            Answer::LedgerUnavailable
        }
    }
}

/// Runs `evaluate` until `until` holds for an answer, for at most 20 s.
async fn until(
    client: &mut DecisionServiceClient<tonic::transport::Channel>,
    n: &mut usize,
    answered: &mut Vec<String>,
    what: &str,
    done: impl Fn(&Answer) -> bool,
) {
    let started = Instant::now();
    loop {
        *n += 1;
        let answer = evaluate(client, *n).await;
        let finished = done(&answer);
        if let Answer::Recorded(id) = answer {
            answered.push(id);
        }
        if finished {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "never {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_under_load_fails_closed_or_open_and_recovers() {
    let Some(ledger) = verdict_ledger::testing::fresh_postgres("outage").await else {
        return;
    };
    let mut n = 0;
    for failure in ["closed", "open"] {
        let server = start(&["--ledger", &ledger, "--ledger-failure", failure]);
        let mut client = DecisionServiceClient::connect(format!("http://{}", server.address))
            .await
            .expect("connect");
        let mut answered = Vec::new();
        until(&mut client, &mut n, &mut answered, "recorded", |a| {
            matches!(a, Answer::Recorded(_))
        })
        .await;

        pg_ctl("stop -m fast");
        let restart = StartOnDrop;
        let expected = if failure == "closed" {
            Answer::LedgerUnavailable
        } else {
            Answer::Unrecorded
        };
        // Requests in flight when it stopped may still have been recorded;
        // then every answer is the configured failure.
        until(&mut client, &mut n, &mut answered, "failing", |a| {
            *a == expected
        })
        .await;
        for _ in 0..10 {
            n += 1;
            assert_eq!(
                evaluate(&mut client, n).await,
                expected,
                "{failure}: while the database is down"
            );
        }
        // A batch: each decided item gets the same answer an Evaluate
        // would; the broken item keeps its own error.
        n += 1;
        let results = client
            .batch_evaluate(pb::BatchEvaluateRequest {
                items: vec![
                    batch_item(&format!("outage-{n}-a")),
                    pb::BatchItem {
                        evidence: None,
                        id: "broken".into(),
                        input: Some(pb::batch_item::Input::WorkflowJson("{".into())),
                    },
                    batch_item(&format!("outage-{n}-b")),
                ],
                ..Default::default()
            })
            .await
            .expect("a batch is answered item by item")
            .into_inner()
            .results;
        let answers: Vec<String> = results.iter().map(item_answer).collect();
        let decided = if failure == "closed" {
            "Unavailable LEDGER_UNAVAILABLE"
        } else {
            "unrecorded"
        };
        assert_eq!(
            answers,
            [decided, "InvalidArgument INVALID_WORKFLOW_JSON", decided],
            "{failure}"
        );
        // Reading the ledger fails the same way, whatever `ledger_failure`.
        let read = client
            .get_decision(pb::GetDecisionRequest {
                key: Some(pb::get_decision_request::Key::WorkflowId("outage-1".into())),
            })
            .await
            .expect_err("the ledger is down");
        assert_eq!(read.code(), Code::Unavailable);
        assert_eq!(
            read.get_details_error_info()
                .map(|info| info.reason)
                .as_deref(),
            Some("LEDGER_UNAVAILABLE")
        );

        drop(restart);
        until(&mut client, &mut n, &mut answered, "recovered", |a| {
            matches!(a, Answer::Recorded(_))
        })
        .await;
        support::terminate(server);

        // Every decision answered as recorded is in the ledger.
        assert_recorded(&ledger, &answered).await;
        let store = verdict_ledger::Store::open(&ledger)
            .await
            .expect("ledger opens");
        store.verify().await.expect("the chain verifies");
        store.close().await;
    }
}
