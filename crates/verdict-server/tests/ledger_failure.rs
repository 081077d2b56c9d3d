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

use support::{fixture, start};
use tonic::Code;
use tonic_types::StatusExt as _;
use verdict_api::v1::decision_service_client::DecisionServiceClient;
use verdict_api::v1::{self as pb, evaluate_request};

const WORKFLOW_ID: &str = "02c1ef8f-6006-5146-9113-94776d502e5d";

fn pg_ctl(verb: &str) {
    let ctl =
        std::env::var("LEDGER_TEST_PG_CTL").expect("LEDGER_TEST_PG_CTL (.ci/postgres sets it)");
    let status = Command::new("sh")
        .args(["-c", &format!("{ctl} {verb}")])
        .status()
        .expect("pg_ctl runs");
    assert!(status.success(), "pg_ctl {verb} failed");
}

/// Restarts the database if the test fails while it is stopped.
struct StartOnDrop(bool);
impl Drop for StartOnDrop {
    fn drop(&mut self) {
        if self.0 {
            pg_ctl("start -m fast");
        }
    }
}

fn request(n: usize) -> pb::EvaluateRequest {
    pb::EvaluateRequest {
        input: Some(evaluate_request::Input::WorkflowJson(
            fixture("01-clean-pass-score-0.json").replace(WORKFLOW_ID, &format!("outage-{n}")),
        )),
        ..Default::default()
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
        let restart = StartOnDrop(true);
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
        drop(restart);
        until(&mut client, &mut n, &mut answered, "recovered", |a| {
            matches!(a, Answer::Recorded(_))
        })
        .await;
        support::terminate(server);

        // Every decision answered as recorded is in the ledger.
        let store = verdict_ledger::Store::open(&ledger)
            .await
            .expect("ledger opens");
        for id in &answered {
            assert!(
                store.by_id(id).await.expect("read").is_some(),
                "{failure}: {id} lost"
            );
        }
        store.verify().await.expect("the chain verifies");
        store.close().await;
    }
}
