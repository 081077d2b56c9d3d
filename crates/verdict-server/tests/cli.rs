//! The `verdict` command as a user runs it.

#![allow(
    clippy::expect_used,
    reason = "a test that cannot go on should fail loudly"
)]

use std::process::Command;

fn fixture(name: &str) -> String {
    format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn eval_prints_each_decision_as_proto3_json() {
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args([
            "eval",
            &fixture("04-imagechecks-rejected-punched.json"),
            &fixture("09-similarity-rejected-no-match.json"),
        ])
        .output()
        .expect("run verdict eval");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let decisions: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("a stream of JSON documents");
    assert_eq!(decisions.len(), 2);
    assert_eq!(decisions[0]["outcome"], "OUTCOME_REVIEW");
    assert_eq!(decisions[0]["resultCode"], "DOCUMENT_PUNCHED");
    assert_eq!(
        decisions[0]["reasons"][0]["ruleId"],
        "imageChecks.REJECTED.PUNCHED"
    );
    assert_eq!(decisions[1]["outcome"], "OUTCOME_DECLINE");
    assert_eq!(decisions[1]["policy"]["id"], "jumio-default");
}

#[test]
fn eval_reports_files_it_cannot_decide_and_exits_non_zero() {
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args([
            "eval",
            &fixture("x4-callback-processed.json"),
            &fixture("01-clean-pass-score-0.json"),
        ])
        .output()
        .expect("run verdict eval");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("x4-callback-processed.json") && stderr.contains("callback body"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("\"resultCode\": \"APPROVED\""),
        "the good file is still decided: {stdout}"
    );
}

#[test]
fn eval_with_an_unknown_policy_is_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args([
            "eval",
            "--policy-id",
            "nope",
            &fixture("01-clean-pass-score-0.json"),
        ])
        .output()
        .expect("run verdict eval");
    assert_eq!(output.status.code(), Some(2));
}
