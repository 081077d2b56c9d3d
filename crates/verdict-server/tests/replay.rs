//! `verdict replay` as a risk team runs it: decisions made by a real server
//! into a real ledger (SQLite, and PostgreSQL when one is given), feedback
//! recorded over gRPC, then the ledger re-decided under a candidate policy.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on should fail loudly"
)]

mod support;

use std::io::Write as _;
use std::process::Command;

use serde_json::Value;
use support::{clean_workflow, fixture, start};
use verdict_api::v1::decision_service_client::DecisionServiceClient;
use verdict_api::v1::{self as pb, evaluate_request};

/// The embedded default with one change: a punched document declines.
const PUNCHED_DECLINES: &str = r#"
extends = "jumio-default"
id = "punched-declines"
version = "2.0.0"
description = "a punched document is declined, not reviewed"

[[rule]]
capability = "imageChecks"
type = "REJECTED"
label = "PUNCHED"
outcome = "DECLINE"
code = "DOCUMENT_PUNCHED_DECLINED"
message = "a punched document"
"#;

const PUNCHED_ACCOUNT: &str = "a60f3d73-708e-5e8b-a008-46db1d7eb1f1";

/// (exit code, stdout, stderr) of `verdict replay ARGS…`.
fn replay(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .arg("replay")
        .args(args)
        .output()
        .expect("verdict replay runs");
    (
        output.status.code().expect("exited"),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The JSON report of a replay that must succeed.
fn report(args: &[&str]) -> Value {
    let (code, stdout, stderr) = replay(&[args, &["--format", "json"]].concat());
    assert_eq!(code, 0, "verdict replay {args:?}: {stdout}{stderr}");
    serde_json::from_str(&stdout).expect("one JSON document")
}

/// (from, to, count) of every transition.
fn transitions(report: &Value) -> Vec<(String, String, u64)> {
    report["transitions"]
        .as_array()
        .expect("transitions")
        .iter()
        .map(|row| {
            (
                row["from"].as_str().expect("from").to_owned(),
                row["to"].as_str().expect("to").to_owned(),
                row["count"].as_u64().expect("count"),
            )
        })
        .collect()
}

fn row(from: &str, to: &str, count: u64) -> (String, String, u64) {
    (from.to_owned(), to.to_owned(), count)
}

async fn decide(
    client: &mut DecisionServiceClient<tonic::transport::Channel>,
    body: String,
) -> String {
    let request = pb::EvaluateRequest {
        input: Some(evaluate_request::Input::WorkflowJson(body)),
        ..Default::default()
    };
    let decision = client
        .evaluate(request)
        .await
        .expect("evaluate")
        .into_inner()
        .decision
        .expect("a decision");
    assert!(decision.recorded);
    decision.decision_id
}

async fn replays_the_ledger_under_a_candidate(location: &str) {
    let server = start(&["--ledger", location]);
    let mut client = DecisionServiceClient::connect(format!("http://{}", server.address))
        .await
        .expect("connect");
    let _clean = decide(&mut client, fixture("01-clean-pass-score-0.json")).await;
    let _blurred = decide(&mut client, fixture("02-usability-rejected-blurred.json")).await;
    let punched = decide(&mut client, fixture("04-imagechecks-rejected-punched.json")).await;
    let fraud = decide(&mut client, clean_workflow("replay-fraud-1")).await;
    client
        .record_feedback(pb::RecordFeedbackRequest {
            workflow_id: "replay-fraud-1".to_owned(),
            verdict: pb::FeedbackVerdict::FraudConfirmed as i32,
            note_code: "CHARGEBACK".to_owned(),
        })
        .await
        .expect("feedback recorded");
    support::terminate(server);

    let dir = tempfile::tempdir().expect("temp dir");
    let candidate = dir.path().join("punched-declines.toml");
    std::fs::write(&candidate, PUNCHED_DECLINES).expect("write the candidate");
    let candidate = candidate.to_str().expect("utf-8 path");

    let changed = report(&["--candidate", candidate, "--ledger", location]);
    assert_eq!(changed["source"], "ledger");
    assert_eq!(changed["candidate"]["id"], "punched-declines");
    assert_eq!(
        (changed["replayed"].as_u64(), changed["changed"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(
        transitions(&changed),
        [
            row("APPROVE", "APPROVE", 2),
            row("RETRY", "RETRY", 1),
            row("REVIEW", "DECLINE", 1),
        ]
    );
    let moved = &changed["transitions"][2];
    assert_eq!(moved["share"], 0.25);
    assert_eq!(moved["samples"], serde_json::json!([punched]));
    assert_eq!(
        changed["result_codes"],
        serde_json::json!([{"from": "DOCUMENT_PUNCHED", "to": "DOCUMENT_PUNCHED_DECLINED",
                            "count": 1, "samples": [punched]}])
    );
    assert_eq!(
        changed["rules"][0]["rule_id"],
        "imageChecks.REJECTED.PUNCHED"
    );
    // The candidate still approves the workflow the business reported as fraud.
    assert_eq!(
        changed["fraud_approved"],
        serde_json::json!({"count": 1, "samples": [fraud]})
    );
    assert_eq!(changed["undecidable"], serde_json::json!([]));

    // The policy that decided, by the digest the ledger kept, changes nothing.
    let digest = verdict_core::Policy::embedded_default()
        .reference()
        .digest
        .clone();
    let same = report(&["--candidate", &digest, "--ledger", location]);
    assert_eq!(
        (same["replayed"].as_u64(), same["changed"].as_u64()),
        (Some(4), Some(0))
    );

    let one_account = report(&[
        "--candidate",
        candidate,
        "--ledger",
        location,
        "--account",
        PUNCHED_ACCOUNT,
    ]);
    assert_eq!(transitions(&one_account), [row("REVIEW", "DECLINE", 1)]);
    let future = report(&[
        "--candidate",
        candidate,
        "--ledger",
        location,
        "--since",
        "2999-01-01T00:00:00Z",
    ]);
    assert_eq!(future["replayed"], 0);

    let (code, table, _) = replay(&["--candidate", candidate, "--ledger", location]);
    assert_eq!(code, 0);
    assert!(table.contains("Changed: 1 (25.0 %)"), "{table}");
    assert!(
        table
            .lines()
            .any(|line| line.split_whitespace().collect::<Vec<_>>()
                == ["REVIEW", "DECLINE", "1", "25.0", "%", punched.as_str()]),
        "{table}"
    );
    assert!(
        table.contains(&format!(
            "Fraud-confirmed workflows the candidate approves: 1 ({fraud})"
        )),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_ledger_replays_under_a_candidate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let location = format!("sqlite:{}", dir.path().join("ledger.sqlite").display());
    replays_the_ledger_under_a_candidate(&location).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_ledger_replays_under_a_candidate() {
    let Some(location) = verdict_ledger::testing::fresh_postgres("replay").await else {
        return;
    };
    replays_the_ledger_under_a_candidate(&location).await;
}

#[test]
fn a_candidate_or_ledger_that_cannot_be_used_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let location = format!("sqlite:{}", dir.path().join("ledger.sqlite").display());
    let (code, _, stderr) = replay(&["--candidate", "embedded", "--ledger", "none"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--ledger none has no ledger to replay"),
        "{stderr}"
    );
    // A ledger that is not there is not created and replayed as empty.
    let (code, stdout, stderr) = replay(&["--candidate", "embedded", "--ledger", &location]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("no ledger at"), "{stderr}");
    assert!(!dir.path().join("ledger.sqlite").exists());
    // The cases below read a ledger: `ledger verify` makes an empty one.
    let created = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["ledger", "verify", "--ledger", &location])
        .output()
        .expect("verdict ledger verify");
    assert!(created.status.success());
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "id = \"broken\"\nversion = 1\n[[rule]]\ncapability = 3\n",
    )
    .expect("write");
    let bodies = dir.path().join("bodies.jsonl");
    std::fs::write(&bodies, "{}\n").expect("write");
    let cases: [(&[&str], &str); 5] = [
        (
            &["--candidate", "no-such-policy"],
            "--candidate no-such-policy: not a file, a sha256: digest, `embedded`, or a policy id",
        ),
        (
            &["--candidate", "sha256:0000"],
            "--candidate sha256:0000: no policy with this digest ever decided",
        ),
        (
            &["--candidate", broken.to_str().expect("utf-8")],
            "broken.toml:",
        ),
        (
            &["--candidate", "embedded", "--since", "yesterday"],
            "--since: expected an RFC 3339 time",
        ),
        (
            &[
                "--candidate",
                "embedded",
                "--bodies",
                bodies.to_str().expect("utf-8"),
                "--baseline",
                "nope",
            ],
            "--baseline nope: not a file",
        ),
    ];
    for (args, says) in cases {
        let (code, stdout, stderr) = replay(&[args, &["--ledger", &location]].concat());
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(stdout.is_empty());
    }
}

/// A JSON-lines file of `copies` × fixtures 01, 02 and 04, each with a
/// workflow id of its own, and one line that is not a body at `bad_line`.
fn jsonl(copies: usize, bad_line: usize) -> tempfile::NamedTempFile {
    let bodies = [
        (
            "02c1ef8f-6006-5146-9113-94776d502e5d",
            fixture("01-clean-pass-score-0.json"),
        ),
        (
            "93e8a192-1629-5b35-a035-4179c1692c7e",
            fixture("02-usability-rejected-blurred.json"),
        ),
        (
            "c7562c8e-fa4b-52fc-9eac-cb7ed459c23a",
            fixture("04-imagechecks-rejected-punched.json"),
        ),
    ];
    let bodies: Vec<(&str, String)> = bodies
        .iter()
        .map(|(id, body)| {
            let compact: Value = serde_json::from_str(body).expect("fixture is JSON");
            (*id, compact.to_string())
        })
        .collect();
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    let mut line = 0;
    for copy in 0..copies {
        for (id, body) in &bodies {
            line += 1;
            if line == bad_line {
                writeln!(file, "{{\"workflow\": ").expect("write");
                line += 1;
            }
            writeln!(file, "{}", body.replace(id, &format!("{id}-{copy}"))).expect("write");
        }
    }
    file
}

#[test]
fn bodies_replay_against_a_baseline_with_every_line_accounted_for() {
    let file = jsonl(1, 3);
    let path = file.path().to_str().expect("utf-8");
    let dir = tempfile::tempdir().expect("temp dir");
    let candidate = dir.path().join("punched-declines.toml");
    std::fs::write(&candidate, PUNCHED_DECLINES).expect("write the candidate");
    let changed = report(&[
        "--candidate",
        candidate.to_str().expect("utf-8"),
        "--bodies",
        path,
    ]);
    assert_eq!(changed["source"], "bodies");
    assert_eq!(changed["baseline"]["id"], "jumio-default");
    assert_eq!(
        transitions(&changed),
        [
            row("APPROVE", "APPROVE", 1),
            row("RETRY", "RETRY", 1),
            row("REVIEW", "DECLINE", 1)
        ]
    );
    assert_eq!(
        changed["transitions"][2]["samples"],
        serde_json::json!([format!("{path}:4")])
    );
    assert_eq!(
        changed["undecidable"],
        serde_json::json!([{"why": "invalid_body", "count": 1, "samples": [format!("{path}:3")]}])
    );
    let one_account = report(&[
        "--candidate",
        candidate.to_str().expect("utf-8"),
        "--bodies",
        path,
        "--account",
        PUNCHED_ACCOUNT,
    ]);
    assert_eq!(transitions(&one_account), [row("REVIEW", "DECLINE", 1)]);
    // A body that is not one is counted whatever the account asked for.
    assert_eq!(one_account["undecidable"][0]["why"], "invalid_body");

    // A line that is not text is counted too, and the rest replayed.
    let mut with_bytes = std::fs::read(file.path()).expect("read");
    with_bytes.extend(b"\xff\xfe not text\n");
    std::fs::write(file.path(), with_bytes).expect("write");
    let counted = report(&["--candidate", "embedded", "--bodies", path]);
    assert_eq!(counted["replayed"], 3);
    assert_eq!(
        counted["undecidable"][1],
        serde_json::json!({"why": "unreadable_body", "count": 1, "samples": [format!("{path}:5")]})
    );
}

#[test]
fn the_report_is_the_same_whatever_the_number_of_workers() {
    let file = jsonl(1_000, 1_500);
    let path = file.path().to_str().expect("utf-8");
    let dir = tempfile::tempdir().expect("temp dir");
    let candidate = dir.path().join("punched-declines.toml");
    std::fs::write(&candidate, PUNCHED_DECLINES).expect("write the candidate");
    let candidate = candidate.to_str().expect("utf-8");
    let args = |workers: &'static str| {
        vec![
            "--candidate",
            candidate,
            "--bodies",
            path,
            "--workers",
            workers,
        ]
    };
    let (one, four) = (report(&args("1")), report(&args("4")));
    assert_eq!(one["replayed"], 3_000);
    assert_eq!(one["changed"], 1_000);
    assert_eq!(
        one["result_codes"][0]["samples"].as_array().map(Vec::len),
        Some(5)
    );
    assert_eq!(
        one["undecidable"][0]["samples"],
        serde_json::json!([format!("{path}:1500")])
    );
    assert_eq!(one, four);
    assert_eq!(one["transitions"][0]["samples"][4], format!("{path}:13"));
}
