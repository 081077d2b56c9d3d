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

fn examples() -> String {
    format!(
        "{}/../verdict-core/policies/examples",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// (exit code, stdout) of `verdict ARGS`.
fn verdict(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(args)
        .output()
        .expect("run verdict");
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    (output.status.code().expect("exited"), stdout)
}

#[test]
fn policy_test_runs_the_worked_example_and_reports_coverage() {
    let (code, out) = verdict(&["policy", "test", &examples()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("acme-eu.toml: 12 passed, 0 failed; rule coverage 12/142 (8%)"),
        "{out}"
    );
    assert!(out.contains("PASS "), "{out}");
    let (code, out) = verdict(&["policy", "test", "--coverage", &examples()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("     1  imageChecks.REJECTED.PUNCHED[country=DEU,AUT]"),
        "{out}"
    );
}

#[test]
fn policy_check_fails_on_errors_and_lists_warnings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let typo = dir.path().join("typo.toml");
    std::fs::write(
        &typo,
        "extends = \"jumio-default\"\nid = \"typo\"\nversion = \"1\"\n\n[[rule]]\ncapability = \"usability\"\ntype = \"REJECTED\"\nlabel = \"GLAER\"\noutcome = \"RETRY\"\ncode = \"GLARE\"\nmessage = \"m\"\n",
    )
    .expect("write");
    let (code, out) = verdict(&["policy", "check", typo.to_str().expect("utf-8 path")]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "{}:8:9: label \"GLAER\" is not a REJECTED label of usability (did you mean GLARE?)",
            typo.display()
        )),
        "{out}"
    );

    let gap = dir.path().join("gap.toml");
    std::fs::write(
        &gap,
        "extends = \"jumio-default\"\nid = \"gap\"\nversion = \"1\"\n\n[[rule]]\ncapability = \"usability\"\ntype = \"WARNING\"\nlabel = \"*\"\nwhen = { country = [\"FRA\"] }\noutcome = \"REVIEW\"\ncode = \"USABILITY_WARNING\"\nmessage = \"m\"\n",
    )
    .expect("write");
    let (code, out) = verdict(&["policy", "check", gap.to_str().expect("utf-8 path")]);
    // The unconditioned default rule usability.WARNING.* is still inherited,
    // so this adds a French override and leaves no gap.
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(": 0 fall-through(s), 0 rule(s) that can never fire"),
        "{out}"
    );
}

#[test]
fn policy_diff_prints_a_reviewable_table_and_a_backtest() {
    let (code, out) = verdict(&[
        "policy",
        "diff",
        "embedded",
        &format!("{}/acme-eu.toml", examples()),
        "--payloads",
        &fixture(""),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("## jumio-default 1.2.0 (embedded) → acme-eu 1.0.0 ("),
        "{out}"
    );
    assert!(
        out.contains("| `imageChecks.REJECTED.PUNCHED` | country=DEU | REVIEW DOCUMENT_PUNCHED (imageChecks.REJECTED.PUNCHED) | RETRY DOCUMENT_PUNCHED_CANCELLED (imageChecks.REJECTED.PUNCHED[country=DEU,AUT]) |"),
        "{out}"
    );
    assert!(
        out.contains("| `age.minimum` |  | - | DECLINE UNDERAGE (age.minimum) [years=18] |"),
        "{out}"
    );
    assert!(out.contains("### Backtest over "), "{out}");
    assert!(out.contains("| payload | old | new |"), "{out}");
}

#[test]
fn the_server_refuses_to_start_on_a_policy_directory_with_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("broken.toml"), "id = \"broken\"\n").expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["serve", "--listen", "127.0.0.1:0", "--policy-dir"])
        .arg(dir.path())
        .output()
        .expect("run verdict serve");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot load policies"), "{stderr}");
    assert!(stderr.contains("missing field `version`"), "{stderr}");
}
