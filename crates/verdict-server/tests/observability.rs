//! The binary's observability as an operator sees it: Prometheus metrics on
//! their own port, JSON logs with request ids, and neither carrying personal
//! data.

#![allow(
    clippy::expect_used,
    reason = "a test that cannot go on should fail loudly"
)]

mod support;

use support::{fixture, free_port, scrape, start, terminate};
use verdict_api::v1::decision_service_client::DecisionServiceClient;
use verdict_api::v1::{self as pb, evaluate_request};

async fn evaluate_fixtures(address: &str, request_id: &str) {
    let mut client = DecisionServiceClient::connect(format!("http://{address}"))
        .await
        .expect("connect");
    for name in [
        "09-similarity-rejected-no-match.json",
        "x2-watchlist-alert.json",
    ] {
        let mut request = tonic::Request::new(pb::EvaluateRequest {
            evidence: None,
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
    let mut server = start(&["--metrics-listen", &metrics]);
    evaluate_fixtures(&server.address, "metrics-test").await;
    let scraped = scrape(port);
    let _ = server.child.kill();
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
    let server = start(&["--log-format", "json"]);
    evaluate_fixtures(&server.address, "json-log-test").await;
    let (_, logged) = tokio::task::spawn_blocking(move || terminate(server))
        .await
        .expect("wait task");
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

#[tokio::test]
async fn a_broken_policy_file_at_start_is_logged_counted_and_the_server_serves() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("broken.toml"),
        "id = \"broken\"\nversion = \"1\"\n",
    )
    .expect("write");
    let port = free_port();
    let metrics = format!("127.0.0.1:{port}");
    let policy_dir = dir.path().display().to_string();
    let server = start(&[
        "--metrics-listen",
        &metrics,
        "--policy-dir",
        &policy_dir,
        "--policy-watch-ms",
        "0",
    ]);
    // It serves: the default decides.
    evaluate_fixtures(&server.address, "broken-policy-test").await;
    let scraped = scrape(port);
    assert!(
        scraped.contains("verdict_policy_files_failed 1"),
        "{scraped}"
    );
    let (status, logged) = tokio::task::spawn_blocking(move || terminate(server))
        .await
        .expect("wait task");
    assert!(status.success());
    let all = logged.join("\n");
    assert!(
        all.contains("policy not loaded") && all.contains("missing table [status.SESSION_EXPIRED]"),
        "{all}"
    );
}
