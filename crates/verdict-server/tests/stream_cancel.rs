//! A `StreamEvaluate` whose caller leaves ends on the server: the binary's
//! own metrics (a process of its own, so no other test's streams count)
//! show the stream ended, whether the caller cancels it (RST_STREAM CANCEL,
//! as grpc-go does when its context is cancelled) or its connection drops.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on should fail loudly"
)]

mod support;

use std::time::Duration;

use prost::Message as _;
use support::{fixture, free_port, scrape, start, terminate};
use verdict_api::v1::{self as pb, batch_item};

/// Streams the server counted as ended, whatever their status.
fn streams_ended(metrics_port: u16) -> u64 {
    scrape(metrics_port)
        .lines()
        .filter(|line| {
            line.starts_with("verdict_requests_total{") && line.contains(r#"rpc="StreamEvaluate""#)
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// One StreamEvaluate item as a gRPC length-prefixed frame.
fn frame() -> Vec<u8> {
    let request = pb::StreamEvaluateRequest {
        item: Some(pb::BatchItem {
            id: "cancel-me".to_owned(),
            input: Some(batch_item::Input::WorkflowJson(fixture(
                "01-clean-pass-score-0.json",
            ))),
            evidence: None,
        }),
        ..Default::default()
    };
    let mut frame = vec![0u8];
    frame.extend(
        u32::try_from(request.encoded_len())
            .expect("small")
            .to_be_bytes(),
    );
    frame.extend(request.encode_to_vec());
    frame
}

/// Opens a StreamEvaluate over a raw HTTP/2 connection, sends items and
/// waits for the first answer: the stream is being served. Returns the
/// request body (to reset) and the task driving the connection (to drop it).
async fn streaming(
    address: &str,
) -> (
    h2::SendStream<prost::bytes::Bytes>,
    tokio::task::JoinHandle<Result<(), h2::Error>>,
) {
    let tcp = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let (client, connection) = h2::client::handshake(tcp).await.expect("h2 handshake");
    let driver = tokio::spawn(connection);
    let mut client = client.ready().await.expect("ready");
    let request = tonic::codegen::http::Request::builder()
        .method("POST")
        .uri(format!(
            "http://{address}/verdict.v1.DecisionService/StreamEvaluate"
        ))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .expect("request");
    let (response, mut body) = client.send_request(request, false).expect("send headers");
    let frame = frame();
    for _ in 0..20 {
        body.send_data(frame.clone().into(), false)
            .expect("send an item");
    }
    let mut answers = response.await.expect("response headers").into_body();
    let first = answers.data().await.expect("an answer").expect("data");
    assert!(!first.is_empty());
    (body, driver)
}

async fn ended_within_two_seconds(metrics_port: u16, expected: u64) {
    for _ in 0..100 {
        if streams_ended(metrics_port) == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "the server counted {} ended streams, expected {expected}",
        streams_ended(metrics_port)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_ends_on_the_server_when_its_caller_cancels_or_disconnects() {
    let metrics_port = free_port();
    let server = start(&[
        "--ledger",
        "none",
        "--metrics-listen",
        &format!("127.0.0.1:{metrics_port}"),
    ]);
    assert_eq!(streams_ended(metrics_port), 0);

    // Cancelled: RST_STREAM(CANCEL) while the connection stays open.
    let (mut body, _driver) = streaming(&server.address).await;
    body.send_reset(h2::Reason::CANCEL);
    ended_within_two_seconds(metrics_port, 1).await;

    // Disconnected: the caller's connection goes away mid-stream.
    let (_body, driver) = streaming(&server.address).await;
    driver.abort();
    ended_within_two_seconds(metrics_port, 2).await;

    let (status, _) = terminate(server);
    assert!(status.success());
}
