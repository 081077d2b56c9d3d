//! The binary's observability as an operator sees it: Prometheus metrics on
//! their own port, JSON logs with request ids, and neither carrying personal
//! data.

#![allow(
    clippy::expect_used,
    reason = "a test that cannot go on should fail loudly"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use verdict_api::v1::decision_service_client::DecisionServiceClient;
use verdict_api::v1::{self as pb, evaluate_request};

fn fixture(name: &str) -> String {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Starts `verdict serve ARGS…` on a free port; returns the child, its gRPC
/// address and its stderr lines as they come.
fn start(args: &[&str]) -> (Child, String, Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env("RUST_LOG", "verdict_server=debug,info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start verdict");
    let stderr = child.stderr.take().expect("stderr");
    let (lines_tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut address = None;
    while address.is_none() {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the server starts");
        if !line.contains("serving verdict.v1.DecisionService") {
            continue;
        }
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
    (child, address.unwrap_or_default(), lines)
}

async fn evaluate_fixtures(address: &str, request_id: &str) {
    let mut client = DecisionServiceClient::connect(format!("http://{address}"))
        .await
        .expect("connect");
    for name in [
        "09-similarity-rejected-no-match.json",
        "x2-watchlist-alert.json",
    ] {
        let mut request = tonic::Request::new(pb::EvaluateRequest {
            policy_id: String::new(),
            explain: false,
            input: Some(evaluate_request::Input::WorkflowJson(fixture(name))),
        });
        request
            .metadata_mut()
            .insert("x-request-id", request_id.parse().expect("ascii"));
        client.evaluate(request).await.expect("decided");
    }
}

fn scrape(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("metrics port");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    response
}

/// Names, birth dates, document numbers, addresses from the fixtures.
const PERSONAL: [&str; 8] = [
    "JORDAN",
    "EXAMPLEMAN",
    "MUSTERPERSON",
    "1990-06-15",
    "X0000123",
    "P0000000",
    "SAMPLE ST",
    "SPRINGFIELD",
];

#[tokio::test]
async fn metrics_are_served_on_their_own_port_without_personal_data() {
    let port = free_port();
    let metrics = format!("127.0.0.1:{port}");
    let (mut child, address, _lines) = start(&["--metrics-listen", &metrics]);
    evaluate_fixtures(&address, "metrics-test").await;
    let scraped = scrape(port);
    let _ = child.kill();
    assert!(scraped.starts_with("HTTP/1.1 200"), "{scraped}");
    for series in [
        "verdict_requests_total{rpc=\"Evaluate\",code=\"OK\"} 2",
        "verdict_decisions_total{policy=\"jumio-default\",outcome=\"OUTCOME_DECLINE\",code=\"FACE_MISMATCH\"} 1",
        "verdict_decisions_total{policy=\"jumio-default\",outcome=\"OUTCOME_REVIEW\",code=\"WATCHLIST_HIT\"} 1",
        "verdict_request_duration_seconds_bucket{rpc=\"Evaluate\",le=\"+Inf\"} 2",
    ] {
        assert!(scraped.contains(series), "missing {series}:\n{scraped}");
    }
    for personal in PERSONAL {
        assert!(!scraped.contains(personal), "{personal} in metrics");
    }
}

#[tokio::test]
async fn json_logs_carry_the_request_id_and_no_personal_data() {
    let (mut child, address, lines) = start(&["--log-format", "json"]);
    evaluate_fixtures(&address, "json-log-test").await;
    // Let the log lines of both requests arrive, then stop the server.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = child.kill();
    let _ = child.wait();
    let logged: Vec<String> = lines.try_iter().collect();
    let decided: Vec<serde_json::Value> = logged
        .iter()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("every line is JSON"))
        .filter(|entry| entry["fields"]["message"] == "decided")
        .collect();
    assert_eq!(decided.len(), 2, "{logged:#?}");
    for entry in &decided {
        assert_eq!(entry["span"]["request_id"], "json-log-test", "{entry}");
        assert_eq!(entry["span"]["rpc"], "Evaluate");
    }
    assert_eq!(decided[0]["fields"]["result_code"], "FACE_MISMATCH");
    let all = logged.join("\n");
    for personal in PERSONAL {
        assert!(!all.contains(personal), "{personal} in logs");
    }
}
