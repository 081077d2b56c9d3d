//! The `verdict` command as a user runs it.

#![allow(
    clippy::expect_used,
    reason = "a test that cannot go on should fail loudly"
)]

use std::io::Read;
use std::process::{Command, Stdio};

fn fixture(name: &str) -> String {
    format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The stream of JSON documents `verdict eval` wrote.
fn documents(stdout: &[u8]) -> Vec<serde_json::Value> {
    let stdout = std::str::from_utf8(stdout).expect("utf-8");
    serde_json::Deserializer::from_str(stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("a stream of JSON documents")
}

#[test]
fn eval_prints_each_decision_as_proto3_json_naming_its_file() {
    let punched = fixture("04-imagechecks-rejected-punched.json");
    let no_match = fixture("09-similarity-rejected-no-match.json");
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["eval", &punched, &no_match])
        .output()
        .expect("run verdict eval");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let documents = documents(&output.stdout);
    assert_eq!(documents.len(), 2);
    assert_eq!(documents[0]["file"], punched.as_str());
    assert_eq!(documents[0]["decision"]["outcome"], "OUTCOME_REVIEW");
    assert_eq!(documents[0]["decision"]["resultCode"], "DOCUMENT_PUNCHED");
    assert_eq!(
        documents[0]["decision"]["reasons"][0]["ruleId"],
        "imageChecks.REJECTED.PUNCHED"
    );
    assert_eq!(documents[1]["file"], no_match.as_str());
    assert_eq!(documents[1]["decision"]["outcome"], "OUTCOME_DECLINE");
    assert_eq!(documents[1]["decision"]["policy"]["id"], "jumio-default");
}

#[test]
fn a_file_eval_cannot_decide_gets_an_error_document_in_the_stream_and_exit_code_1() {
    let callback = fixture("x4-callback-processed.json");
    let clean = fixture("01-clean-pass-score-0.json");
    let missing = fixture("no-such-file.json");
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["eval", &callback, &clean, &missing])
        .output()
        .expect("run verdict eval");
    assert_eq!(output.status.code(), Some(1));
    let documents = documents(&output.stdout);
    let summary: Vec<(&str, Option<&str>, Option<&str>)> = documents
        .iter()
        .map(|document| {
            (
                document["file"].as_str().unwrap_or_default(),
                document["error"]["kind"].as_str(),
                document["decision"]["resultCode"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (callback.as_str(), Some("invalid_json"), None),
            (clean.as_str(), None, Some("APPROVED")),
            (missing.as_str(), Some("unreadable_file"), None),
        ],
        "every file in order, decided or not"
    );
    let message = documents[0]["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("this looks like a callback body"),
        "{message}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr, "verdict: 2 of 3 file(s) could not be decided\n");
}

#[test]
fn eval_as_a_table_shows_file_outcome_code_and_root_causes() {
    let dir = fixture("");
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .current_dir(&dir)
        .args([
            "eval",
            "--format",
            "table",
            "02-usability-rejected-blurred.json",
            "15-facemap-not-uploaded-repeated-face.json",
            "x6-netverify-retrieval-details.json",
        ])
        .output()
        .expect("run verdict eval");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "FILE                                        OUTCOME  CODE                      ROOT CAUSES",
            "02-usability-rejected-blurred.json          RETRY    IMAGE_QUALITY_BLURRED     usability/BLURRED",
            // Offline there is no ledger: the face search's findings are unknown.
            "15-facemap-not-uploaded-repeated-face.json  REVIEW   REPEATED_FACE_UNRESOLVED  imageChecks/REPEATED_FACE, usability/NOT_UPLOADED",
        ]
    );
    assert!(
        lines[3].starts_with(
            "x6-netverify-retrieval-details.json         ERROR    INVALID_JSON              workflow_json is not a valid workflow result: $: missing field `workflow`; this looks like a legacy Netverify"
        ),
        "{}",
        lines[3]
    );
    assert_eq!(lines.len(), 4);
}

#[test]
fn eval_into_a_closed_pipe_exits_quietly() {
    // Far more output than a pipe holds, and a reader that stops after the
    // first bytes, as `verdict eval … | head -1` does.
    let file = fixture("02-usability-rejected-blurred.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .arg("eval")
        .args(std::iter::repeat_n(&file, 300))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run verdict eval");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).expect("some output");
    drop(stdout);
    let output = child.wait_with_output().expect("verdict ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr, "", "no panic, no backtrace, no message");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn policy_commands_into_a_closed_pipe_exit_quietly() {
    // The reader is gone before the report is written, as with `| head` that
    // has already read enough.
    let mut child = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["policy", "check", "embedded"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run verdict policy check");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("verdict ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr, "", "no message for a reader that left");
    assert_eq!(output.status.code(), Some(0));
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

#[test]
fn eval_decides_with_the_evidence_given_and_explains_with_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let evidence = dir.path().join("evidence.json");
    // The request's `evidence` in proto3 JSON: the face search's two finds
    // belong to this same account.
    std::fs::write(
        &evidence,
        r#"{"channel": "WEB", "workflows": [
          {"workflowId": "57964a48-36c9-501b-8030-bde4761f21ae", "accountId": "c7166562-49e6-5ce8-8a06-5aa4fe8a1bb7"},
          {"workflowId": "5969386e-56bd-53c0-9ce1-528668ba10ad", "accountId": "c7166562-49e6-5ce8-8a06-5aa4fe8a1bb7"}]}"#,
    )
    .expect("write evidence");
    let face = fixture("05-imagechecks-warning-repeated-face.json");
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["eval", "--explain", "--evidence"])
        .arg(&evidence)
        .arg(&face)
        .output()
        .expect("run verdict eval");
    assert_eq!(output.status.code(), Some(0));
    let document = &documents(&output.stdout)[0];
    let decision = &document["decision"];
    assert_eq!(decision["outcome"], "OUTCOME_APPROVE", "{document}");
    assert_eq!(decision["resultCode"], "REPEATED_FACE_SAME_ACCOUNT");
    assert_eq!(
        decision["reasons"][0]["evidence"]["faceSearch"]["relation"],
        "FACE_SEARCH_RELATION_SAME_ACCOUNT"
    );
    let chosen = decision["explanations"][0]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|rule| rule["verdict"] == "VERDICT_CHOSEN")
        .expect("a chosen rule");
    assert_eq!(
        chosen["ruleId"],
        "imageChecks.WARNING.REPEATED_FACE[face_search=same_account]"
    );

    // Evidence a server would refuse is refused here, by its field.
    std::fs::write(&evidence, r#"{"channel": "CARRIER_PIGEON"}"#).expect("write evidence");
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["eval", "--evidence"])
        .arg(&evidence)
        .arg(&face)
        .output()
        .expect("run verdict eval");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(
        stderr.contains("evidence.channel: not one of WEB, SDK, API"),
        "{stderr}"
    );
    assert!(!stderr.contains("PIGEON"), "{stderr}");

    // Not an Evidence message, or no file at all: a usage error too.
    std::fs::write(&evidence, r#"{"workflows": 5}"#).expect("write evidence");
    let missing = dir.path().join("missing.json");
    for (file, says) in [
        (
            &evidence,
            "not a verdict.v1.Evidence in proto3 JSON (line 1, column",
        ),
        (&missing, "missing.json"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
            .args(["eval", "--evidence"])
            .arg(file)
            .arg(&face)
            .output()
            .expect("run verdict eval");
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8(output.stderr).expect("utf-8");
        assert!(stderr.contains(says), "{stderr}");
        assert!(output.stdout.is_empty());
    }
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
        out.contains("acme-eu.toml: 13 passed, 0 failed; rule coverage 13/152 (9%)"),
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
fn policy_test_runs_the_default_policys_golden_cases() {
    let dir = format!("{}/../verdict-core/src/policy", env!("CARGO_MANIFEST_DIR"));
    let (code, out) = verdict(&["policy", "test", &dir]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("default.toml: 36 passed, 0 failed; rule coverage 32/143 (22%)"),
        "{out}"
    );
    assert!(!out.contains("FAIL "), "{out}");
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
        out.starts_with("## jumio-default 1.3.0 (embedded) → acme-eu 1.0.0 ("),
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
fn with_strict_policies_the_server_refuses_to_start_on_a_policy_directory_with_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("broken.toml"), "id = \"broken\"\n").expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--strict-policies",
            "--policy-dir",
        ])
        .arg(dir.path())
        .output()
        .expect("run verdict serve");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot load policies"), "{stderr}");
    assert!(stderr.contains("missing field `version`"), "{stderr}");
}

#[test]
fn a_shadow_policy_that_is_not_loaded_keeps_the_server_from_starting() {
    let data = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--shadow-policy",
            "no-such-candidate",
        ])
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .expect("run verdict serve");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("shadow_policies names a policy that is not loaded"),
        "{stderr}"
    );
    assert!(stderr.contains("no-such-candidate"), "{stderr}");
}

#[test]
fn ledger_commands_and_a_ledger_that_cannot_open_say_what_is_wrong() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_verdict"))
            .args(args)
            .arg("--data-dir")
            .arg(dir.path())
            .output()
            .expect("run verdict")
    };
    let output = run(&["ledger", "verify", "--ledger", "none"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "verdict: --ledger none has no ledger to read\n"
    );
    let output = run(&["ledger", "export", "--from", "yesterday"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("--from: expected an RFC 3339 time"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Nothing listens on port 1: the server refuses to start, and its log
    // never shows the URL's password.
    let output = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--ledger",
        "postgres://verdict:s3cret@127.0.0.1:1/ledger",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot open the decision ledger"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
}
