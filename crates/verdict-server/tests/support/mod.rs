//! Running the real `verdict` binary for the integration tests.

use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

pub fn fixture(name: &str) -> String {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// A `verdict serve` process on a free port.
pub struct Running {
    pub child: Child,
    /// The gRPC address it logged.
    pub address: String,
    /// Its stderr, line by line, as it comes (the lines before the address
    /// line included).
    pub lines: Receiver<String>,
    /// Its data directory (the embedded ledger), removed on drop, unless
    /// the arguments name one.
    _data_dir: Option<tempfile::TempDir>,
}

/// Starts `verdict serve --listen 127.0.0.1:0 ARGS…` and waits for it to log
/// the address it serves on (text or JSON logs).
pub fn start(args: &[&str]) -> Running {
    let data_dir = (!args.contains(&"--data-dir")).then(|| tempfile::tempdir().expect("data dir"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_verdict"));
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args);
    if let Some(dir) = &data_dir {
        command.arg("--data-dir").arg(dir.path());
    }
    let mut child = command
        .env("RUST_LOG", "verdict_server=debug,info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start verdict");
    let stderr = child.stderr.take().expect("stderr");
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    // Forward every line after reading the address line, so callers see all.
    let (seen_tx, lines) = std::sync::mpsc::channel();
    let mut address = None;
    while address.is_none() {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|error| {
                panic!(
                    "the server did not start ({error}); exit: {:?}",
                    child.try_wait()
                )
            });
        if line.contains("serving verdict.v1.DecisionService") {
            address = match serde_json::from_str::<serde_json::Value>(&line) {
                // --log-format json
                Ok(entry) => entry["fields"]["address"].as_str().map(str::to_owned),
                // text: "… address=127.0.0.1:PORT"
                Err(_) => line
                    .split("address=")
                    .nth(1)
                    .map(|rest| rest.trim().to_owned()),
            };
        }
        let _ = seen_tx.send(line);
    }
    std::thread::spawn(move || {
        for line in lines_rx {
            if seen_tx.send(line).is_err() {
                break;
            }
        }
    });
    Running {
        child,
        address: address.unwrap_or_default(),
        lines,
        _data_dir: data_dir,
    }
}

/// Sends SIGTERM and waits for the exit; returns the exit status and every
/// line the server logged.
pub fn terminate(mut running: Running) -> (std::process::ExitStatus, Vec<String>) {
    let pid = running.child.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("send SIGTERM");
    assert!(sent.success());
    let status = running.child.wait().expect("the server exits");
    let lines = running.lines.iter().collect();
    (status, lines)
}

/// The workflow id of fixture 01, replaced to make each request new.
const CLEAN_WORKFLOW_ID: &str = "02c1ef8f-6006-5146-9113-94776d502e5d";

/// Fixture 01 (a clean pass) as the workflow `workflow_id`: a new input for
/// the ledger each time the id is new.
#[allow(dead_code, reason = "each test binary uses what it needs of support")]
pub fn clean_workflow(workflow_id: &str) -> String {
    let body = fixture("01-clean-pass-score-0.json");
    assert!(body.contains(CLEAN_WORKFLOW_ID), "fixture 01 changed");
    body.replace(CLEAN_WORKFLOW_ID, workflow_id)
}

/// Asserts every decision id in `ids` is in the ledger at `location`.
#[allow(dead_code, reason = "each test binary uses what it needs of support")]
pub async fn assert_recorded(location: &str, ids: &[String]) {
    let store = verdict_ledger::Store::open(location)
        .await
        .expect("ledger opens");
    for id in ids {
        assert!(
            store.reads().by_id(id).await.expect("read").is_some(),
            "decision {id} was answered as recorded but is not in the ledger"
        );
    }
    store.close().await;
}

/// A port nobody listens on now (for a server's metrics address).
#[allow(dead_code, reason = "each test binary uses what it needs of support")]
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// The Prometheus text a server serves on its metrics `port`, with the HTTP
/// response head.
#[allow(dead_code, reason = "each test binary uses what it needs of support")]
pub fn scrape(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("metrics port");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    response
}
