//! The real binary and a real ledger: every decision a client was answered
//! with survives `kill -9`, and replicas sharing one PostgreSQL ledger keep
//! one verifiable chain and read each other's decisions.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on should fail loudly"
)]

mod support;

use std::process::Command;

use sqlx::{Connection as _, Executor as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use support::{Running, assert_recorded, clean_workflow, start};
use verdict_api::v1::decision_service_client::DecisionServiceClient;
use verdict_api::v1::{self as pb, evaluate_request, get_decision_request};

/// Evaluates new workflows from `clients` tasks until `stop`; returns the
/// decision ids the server answered with.
async fn load(address: &str, tag: &str, clients: usize, stop: Arc<AtomicBool>) -> Vec<String> {
    let mut tasks = Vec::new();
    for task in 0..clients {
        let mut client = DecisionServiceClient::connect(format!("http://{address}"))
            .await
            .expect("connect");
        let (stop, tag) = (Arc::clone(&stop), tag.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let request = pb::EvaluateRequest {
                    input: Some(evaluate_request::Input::WorkflowJson(clean_workflow(
                        &format!("load-{tag}-{task}-{n}"),
                    ))),
                    ..Default::default()
                };
                match client.evaluate(request).await {
                    Ok(response) => {
                        let decision = response.into_inner().decision.expect("decision");
                        assert!(decision.recorded, "answered unrecorded");
                        ids.push(decision.decision_id);
                    }
                    // The server is gone (killed): nothing more is answered.
                    Err(_) => break,
                }
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await.expect("client task"));
    }
    ids
}

fn kill_9(running: &mut Running) {
    let pid = running.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let _ = running.child.wait();
}

fn verify(ledger: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["ledger", "verify", "--ledger", ledger])
        .output()
        .expect("verdict ledger verify");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the chain does not verify: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn killed_under_load_loses_no_answered_decision(ledger: &str) {
    let mut server = start(&["--ledger", ledger]);
    let stop = Arc::new(AtomicBool::new(false));
    let address = server.address.clone();
    let clients = tokio::spawn(load_until_killed(address, "first", Arc::clone(&stop)));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    kill_9(&mut server);
    stop.store(true, Ordering::Relaxed);
    let answered = clients.await.expect("clients");
    assert!(answered.len() > 50, "too little load: {}", answered.len());

    let report = verify(ledger);
    assert!(report.contains("chain intact"), "{report}");
    assert_recorded(ledger, &answered).await;
    // The server starts again on the same ledger and extends the chain.
    let restarted = start(&["--ledger", ledger]);
    let stop = Arc::new(AtomicBool::new(false));
    let more = tokio::spawn(load_until_killed(
        restarted.address.clone(),
        "restarted",
        Arc::clone(&stop),
    ));
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    assert!(!more.await.expect("clients").is_empty());
    support::terminate(restarted);
    verify(ledger);
}

/// `load` from 8 clients, owning its arguments (for `tokio::spawn`).
async fn load_until_killed(
    address: String,
    tag: &'static str,
    stop: Arc<AtomicBool>,
) -> Vec<String> {
    load(&address, tag, 8, stop).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kill_9_under_load_loses_no_answered_decision() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = format!("sqlite:{}", dir.path().join("ledger.sqlite").display());
    killed_under_load_loses_no_answered_decision(&ledger).await;

    // Then the offline tools on what it recorded: export every record,
    // prune them all, and the chain still verifies from the checkpoint.
    let (records, _) = ledger_command(&["verify", "--ledger", &ledger]);
    let count: usize = records
        .split_whitespace()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .expect("a record count");
    let (exported, _) = ledger_command(&[
        "export",
        "--ledger",
        &ledger,
        "--from",
        "2000-01-01T00:00:00Z",
    ]);
    let lines: Vec<serde_json::Value> = exported
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), count);
    assert!(
        lines
            .iter()
            .all(|line| line["decision_id"].is_string() && line["facts"].is_string())
    );
    let (pruned, _) = ledger_command(&["prune", "--ledger", &ledger, "--older-than-days", "0"]);
    assert!(
        pruned.starts_with(&format!("pruned {count} record(s)")),
        "{pruned}"
    );
    let (verified, _) = ledger_command(&["verify", "--ledger", &ledger]);
    assert!(
        verified.contains(&format!("from checkpoint {count}")),
        "{verified}"
    );
    let (none, _) = ledger_command(&["export", "--ledger", &ledger]);
    assert!(none.is_empty());
}

/// `verdict ledger ARGS…`, which must succeed: its stdout and stderr.
fn ledger_command(args: &[&str]) -> (String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .arg("ledger")
        .args(args)
        .output()
        .expect("verdict ledger runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    assert!(
        output.status.success(),
        "verdict ledger {args:?}: {stdout}{stderr}"
    );
    (stdout, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_kill_9_under_load_loses_no_answered_decision() {
    let Some(ledger) = verdict_ledger::testing::fresh_postgres("kill_9").await else {
        return;
    };
    killed_under_load_loses_no_answered_decision(&ledger).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_keep_one_chain_and_read_each_others_decisions() {
    let Some(ledger) = verdict_ledger::testing::fresh_postgres("replicas").await else {
        return;
    };
    let servers = [start(&["--ledger", &ledger]), start(&["--ledger", &ledger])];
    let stop = Arc::new(AtomicBool::new(false));
    let loads = [
        tokio::spawn(load_until_killed(
            servers[0].address.clone(),
            "a",
            Arc::clone(&stop),
        )),
        tokio::spawn(load_until_killed(
            servers[1].address.clone(),
            "b",
            Arc::clone(&stop),
        )),
    ];
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut answered = Vec::new();
    for load in loads {
        answered.push(load.await.expect("clients"));
    }
    assert!(
        answered.iter().all(|ids| ids.len() > 20),
        "both servers decided"
    );
    // Each server reads what the other recorded.
    for (reader, written) in [(0, 1), (1, 0)] {
        let mut client =
            DecisionServiceClient::connect(format!("http://{}", servers[reader].address))
                .await
                .expect("connect");
        for id in answered[written].iter().step_by(7) {
            let found = client
                .get_decision(pb::GetDecisionRequest {
                    key: Some(get_decision_request::Key::DecisionId(id.clone())),
                })
                .await
                .expect("read from the other replica")
                .into_inner()
                .decisions;
            assert_eq!(found[0].decision_id, *id);
        }
    }
    let [one, two] = servers;
    support::terminate(one);
    support::terminate(two);
    let report = verify(&ledger);
    let total = answered[0].len() + answered[1].len();
    assert!(
        report.contains(&format!("ledger verified: {total} record(s)")),
        "{total} answered: {report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_prunes_what_is_older_than_its_days_when_the_server_starts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = format!("sqlite:{}", dir.path().join("ledger.sqlite").display());
    let store = verdict_ledger::Store::open(&ledger)
        .await
        .expect("ledger opens");
    let draft = |workflow: &str| verdict_ledger::Draft {
        workflow_id: workflow.to_owned(),
        account_id: "a".to_owned(),
        completed_at: String::new(),
        outcome: "APPROVE".to_owned(),
        result_code: "APPROVED".to_owned(),
        reasons: Vec::new(),
        policy: verdict_ledger::PolicyKey {
            id: "p".to_owned(),
            version: "1".to_owned(),
            digest: "sha256:00".to_owned(),
        },
        input_sha256: format!("sha256:{workflow}"),
        facts: "{}".to_owned(),
        shadows: Vec::new(),
    };
    let now = verdict_ledger::now_ms();
    let day = 86_400_000;
    let old = [draft("old-1"), draft("old-2"), draft("old-3")];
    store
        .append(&old, &[], now - 10 * day)
        .await
        .expect("append");
    store
        .append(&[draft("new")], &[], now)
        .await
        .expect("append");
    store.close().await;

    // Retention runs as the server starts, then hourly.
    let server = start(&["--ledger", &ledger, "--ledger-retention-days", "7"]);
    let pruned = loop {
        let line = server
            .lines
            .recv_timeout(Duration::from_secs(10))
            .expect("retention runs at start");
        if line.contains("ledger retention pruned") {
            break line;
        }
    };
    assert!(pruned.contains("pruned=3"), "{pruned}");
    support::terminate(server);
    let (verified, _) = ledger_command(&["verify", "--ledger", &ledger]);
    assert!(
        verified.starts_with("ledger verified: 1 record(s) from checkpoint 3 to 4"),
        "{verified}"
    );

    // Changed behind the server's back: verify says where, and exits 1.
    sqlx::any::install_default_drivers();
    let url = ledger.replacen("sqlite:", "sqlite://", 1);
    let mut raw = sqlx::AnyConnection::connect(&url).await.expect("connect");
    raw.execute("UPDATE decisions SET outcome = 'DECLINE' WHERE seq = 4")
        .await
        .expect("tamper");
    let output = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["ledger", "verify", "--ledger", &ledger])
        .output()
        .expect("verdict ledger verify");
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("ledger BROKEN: the ledger's chain is broken: record 4 ("),
        "{stdout}"
    );
    assert!(stdout.contains("changed after it was written"), "{stdout}");
}
