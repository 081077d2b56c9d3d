//! Every limit, crossed: the status and details a client gets, and the server
//! serving the next request normally.

use std::time::Duration;

use tonic::Code;
use verdict_api::v1::{self as pb, batch_item};
use verdict_server::{LedgerFailure, Limits, ServeOptions};

use crate::support::{
    TestServer, counter, details, evaluate_json, fixture, http2_frames, http2_peer, json_request,
    recorder,
};

fn batch(size: usize) -> pb::BatchEvaluateRequest {
    let body = fixture("02-usability-rejected-blurred.json");
    pb::BatchEvaluateRequest {
        policy_id: String::new(),
        explain: false,
        items: (0..size)
            .map(|index| pb::BatchItem {
                evidence: None,
                id: index.to_string(),
                input: Some(batch_item::Input::WorkflowJson(body.clone())),
            })
            .collect(),
    }
}

async fn start(limits: Limits) -> TestServer {
    TestServer::start_with_options(ServeOptions {
        limits,
        ..ServeOptions::default()
    })
    .await
}

/// The server still decides a plain request.
async fn still_serves(server: &TestServer) {
    let mut client = server.client().await;
    let decision =
        evaluate_json(&mut client, fixture("09-similarity-rejected-no-match.json")).await;
    assert_eq!(decision.result_code, "FACE_MISMATCH");
}

fn error_info(status: &tonic::Status) -> (String, std::collections::HashMap<String, String>) {
    let info = details(status).error_info().cloned().expect("ErrorInfo");
    (info.reason, info.metadata)
}

#[tokio::test]
async fn more_decisions_than_max_in_flight_are_shed_with_resource_exhausted() {
    let server = start(Limits {
        max_in_flight: 10,
        ..Limits::default()
    })
    .await;
    let shed_before = counter("verdict_shed_requests_total{rpc=\"BatchEvaluate\"}");
    let mut client = server.client().await;
    let status = client
        .batch_evaluate(batch(11))
        .await
        .expect_err("11 decisions exceed 10 in flight");
    assert_eq!(status.code(), Code::ResourceExhausted);
    let (reason, metadata) = error_info(&status);
    assert_eq!(reason, "OVERLOADED");
    assert_eq!(metadata["max_in_flight"], "10");
    assert_eq!(metadata["decisions"], "11");
    let retry = details(&status).retry_info().cloned().expect("RetryInfo");
    assert_eq!(retry.retry_delay, Some(Duration::from_millis(100)));
    assert!(counter("verdict_shed_requests_total{rpc=\"BatchEvaluate\"}") > shed_before);

    // Ten fit; the permits come back after each request.
    for _ in 0..3 {
        let results = client
            .batch_evaluate(batch(10))
            .await
            .expect("10 decisions fit")
            .into_inner()
            .results;
        assert_eq!(results.len(), 10);
    }
    still_serves(&server).await;
}

#[tokio::test]
async fn a_batch_past_the_server_deadline_is_deadline_exceeded() {
    let server = start(Limits {
        rpc_timeout: Duration::from_millis(5),
        ..Limits::default()
    })
    .await;
    let mut client = server.client().await;
    // A thousand full bodies take far more than 5 ms to decide.
    let status = client
        .batch_evaluate(batch(1000))
        .await
        .expect_err("past the deadline");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    let (reason, metadata) = error_info(&status);
    assert_eq!(reason, "RPC_DEADLINE_EXCEEDED");
    assert_eq!(metadata["timeout_ms"], "5");
    still_serves(&server).await;
}

#[tokio::test]
async fn a_caller_that_gives_up_stops_its_batch() {
    let server = start(Limits::default()).await;
    let abandoned = "verdict_batch_items_total{result=\"abandoned\"}";
    let before = counter(abandoned);
    let mut client = server.client().await;
    // The deadline must pass after the 7 MB request has arrived but before a
    // thousand decisions are done; how long uploading takes depends on the
    // machine, so widen the deadline until a batch is caught mid-way.
    let mut stopped = false;
    for timeout_ms in [20, 40, 80, 160, 320] {
        let mut request = tonic::Request::new(batch(1000));
        request.set_timeout(Duration::from_millis(timeout_ms));
        let status = client
            .batch_evaluate(request)
            .await
            .expect_err("the client's deadline passes first");
        assert!(
            matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled),
            "{status:?}"
        );
        // The worker notices between items and leaves the rest undecided.
        for _ in 0..50 {
            if counter(abandoned) > before {
                stopped = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if stopped {
            break;
        }
    }
    assert!(stopped, "no batch was stopped when its caller gave up");
    still_serves(&server).await;
}

#[tokio::test]
async fn json_nested_deeper_than_the_limit_is_invalid_argument() {
    let server = start(Limits {
        max_json_depth: 8,
        ..Limits::default()
    })
    .await;
    let mut client = server.client().await;
    // The corpus nests 7 deep: it passes.
    still_serves(&server).await;
    let deep = fixture("01-clean-pass-score-0.json").replacen(
        '{',
        r#"{"extra": [[[[[[[[["deep"]]]]]]]]],"#,
        1,
    );
    let status = client
        .evaluate(json_request(deep))
        .await
        .expect_err("too deep");
    assert_eq!(status.code(), Code::InvalidArgument);
    let (reason, metadata) = error_info(&status);
    assert_eq!(reason, "JSON_TOO_DEEP");
    assert_eq!(
        (
            metadata["max_json_depth"].as_str(),
            metadata["line"].as_str(),
            metadata["column"].as_str()
        ),
        ("8", "1", "18")
    );
    let details = details(&status);
    let violation = &details.bad_request().expect("BadRequest").field_violations[0];
    assert_eq!(violation.field, "workflow_json");
    still_serves(&server).await;

    // Without a limit, depth costs no stack: the parser skips what it does
    // not read without recursing, so even 200 levels are simply ignored.
    let server = start(Limits::default()).await;
    let mut client = server.client().await;
    let abyss = fixture("09-similarity-rejected-no-match.json").replacen(
        '{',
        &format!(r#"{{"extra": {}{}, "#, "[".repeat(200), "]".repeat(200)),
        1,
    );
    let decision = evaluate_json(&mut client, abyss).await;
    assert_eq!(decision.result_code, "FACE_MISMATCH");
}

#[tokio::test]
async fn the_per_connection_stream_limit_is_advertised_and_queues_not_fails() {
    let server = start(Limits {
        max_concurrent_streams: 2,
        ..Limits::default()
    })
    .await;
    // What the server tells every HTTP/2 client in its SETTINGS.
    let tcp = tokio::net::TcpStream::connect(server.address)
        .await
        .expect("connect");
    let (mut h2, connection) = h2::client::handshake(tcp).await.expect("h2 handshake");
    let driver = tokio::spawn(connection);
    h2 = h2.ready().await.expect("ready");
    let mut advertised = h2.current_max_send_streams();
    for _ in 0..50 {
        if advertised == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        advertised = h2.current_max_send_streams();
    }
    assert_eq!(advertised, 2);
    drop(h2);
    driver.abort();

    // A client opening more streams than that waits for one to free up, once
    // it has the server's SETTINGS (hyper's client honours them; a stream
    // opened past the limit is refused with REFUSED_STREAM, which tonic reports
    // as UNAVAILABLE and which is always safe to retry).
    let mut client = server.client().await;
    client.batch_evaluate(batch(1)).await.expect("first call");
    let calls = (0..6).map(|_| {
        let mut client = client.clone();
        async move { client.batch_evaluate(batch(50)).await }
    });
    for result in futures_join_all(calls).await {
        assert_eq!(
            result
                .expect("queued, then answered")
                .into_inner()
                .results
                .len(),
            50
        );
    }
}

/// The settings in the server's first SETTINGS frame, as (identifier, value).
async fn advertised_settings(server: &TestServer) -> Vec<(u16, u32)> {
    use tokio::io::AsyncReadExt;

    let mut peer = http2_peer(server.address).await;
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    let payload = loop {
        if let Some(&(kind, payload)) = http2_frames(&received).first() {
            assert_eq!(kind, 4, "the server's first frame is its SETTINGS");
            break payload.to_vec();
        }
        let read = peer.read(&mut buffer).await.expect("read");
        assert!(read > 0, "closed before its SETTINGS");
        received.extend_from_slice(&buffer[..read]);
    };
    payload
        .chunks_exact(6)
        .map(|setting| {
            (
                u16::from_be_bytes([setting[0], setting[1]]),
                u32::from_be_bytes([setting[2], setting[3], setting[4], setting[5]]),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_server_takes_frames_of_128_kib_or_as_configured() {
    // SETTINGS_MAX_FRAME_SIZE (0x5): a large batch arrives in fewer frames
    // than HTTP/2's 16 KiB would make.
    const MAX_FRAME_SIZE: u16 = 0x5;
    let server = start(Limits::default()).await;
    let settings = advertised_settings(&server).await;
    assert!(
        settings.contains(&(MAX_FRAME_SIZE, 128 * 1024)),
        "{settings:?}"
    );
    let server = start(Limits {
        http2_max_frame_bytes: 1 << 20,
        ..Limits::default()
    })
    .await;
    let settings = advertised_settings(&server).await;
    assert!(
        settings.contains(&(MAX_FRAME_SIZE, 1 << 20)),
        "{settings:?}"
    );
    // Below HTTP/2's least, as only a `Limits` built in code can be: the
    // least, and the server still serves.
    let server = start(Limits {
        http2_max_frame_bytes: 1000,
        ..Limits::default()
    })
    .await;
    let settings = advertised_settings(&server).await;
    assert!(settings.contains(&(MAX_FRAME_SIZE, 16_384)), "{settings:?}");
    still_serves(&server).await;
}

/// The bytes a client may send on a new stream before the server reads any:
/// what the server's HTTP/2 windows grant (the smaller of the connection's
/// and the stream's). The grant starts at HTTP/2's 65,535 and grows as the
/// server's SETTINGS and connection WINDOW_UPDATE arrive: wait until it
/// reaches `expected` (or 5 s pass), then a little longer in case it would
/// grow past it.
async fn send_window(server: &TestServer, expected: usize) -> usize {
    let (_response, mut body, driver) = crate::support::raw_evaluate_call(server.address).await;
    body.reserve_capacity(2 * expected);
    let until = tokio::time::Instant::now() + Duration::from_secs(5);
    while body.capacity() < expected && tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let granted = body.capacity();
    driver.abort();
    granted
}

#[tokio::test]
async fn the_http2_window_lets_a_client_send_that_much_unread() {
    // hyper's default: 1 MiB.
    let server = start(Limits::default()).await;
    assert_eq!(send_window(&server, 1 << 20).await, 1 << 20);
    // Larger, for several large batches on one connection.
    let server = start(Limits {
        http2_window_bytes: 4 << 20,
        ..Limits::default()
    })
    .await;
    assert_eq!(send_window(&server, 4 << 20).await, 4 << 20);
}

/// `futures::future::join_all` without the dependency: spawn and await each.
async fn futures_join_all<F, T>(calls: impl Iterator<Item = F>) -> Vec<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = calls.map(tokio::spawn).collect();
    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.expect("task"));
    }
    results
}

#[tokio::test]
async fn the_request_id_is_echoed_on_answers_and_errors() {
    let server = start(Limits::default()).await;
    let mut client = server.client().await;
    let mut request = tonic::Request::new(json_request(fixture("01-clean-pass-score-0.json")));
    request
        .metadata_mut()
        .insert("x-request-id", "checkout-7f3a".parse().expect("ascii"));
    let response = client.evaluate(request).await.expect("decided");
    assert_eq!(
        response
            .metadata()
            .get("x-request-id")
            .map(|v| v.to_str().expect("ascii")),
        Some("checkout-7f3a")
    );

    let status = client
        .evaluate(json_request("{"))
        .await
        .expect_err("malformed");
    let generated = status
        .metadata()
        .get("x-request-id")
        .expect("an id on the error too")
        .to_str()
        .expect("ascii");
    assert!(generated.starts_with("vd-"), "{generated}");
}

#[tokio::test]
async fn a_peer_that_stops_answering_keepalive_pings_is_disconnected() {
    use tokio::io::AsyncReadExt;

    let server = start(Limits {
        keepalive_interval: Duration::from_millis(1000),
        keepalive_timeout: Duration::from_millis(200),
        ..Limits::default()
    })
    .await;
    // Speak just enough HTTP/2 to open a connection, then never answer.
    let mut peer = http2_peer(server.address).await;
    let mut received = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0u8; 4096];
        loop {
            match peer.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(read) => received.extend_from_slice(&buffer[..read]),
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the silent peer was never disconnected");
    // A PING (type 6) among the frames the server sent.
    let frames: Vec<u8> = http2_frames(&received)
        .iter()
        .map(|&(kind, _)| kind)
        .collect();
    assert!(frames.contains(&6), "no PING frame among {frames:?}");
    still_serves(&server).await;
}

/// A PROCESSED workflow whose `capabilities` is `capabilities` (JSON).
fn body_with_capabilities(capabilities: &str) -> String {
    format!(
        r#"{{"workflow":{{"id":"w","status":"PROCESSED"}},"decision":{{"type":"WARNING","details":{{"label":"WARNING"}}}},"capabilities":{capabilities}}}"#
    )
}

/// A typed PROCESSED workflow whose image checks are `count` WARNINGs
/// labelled `label`.
fn typed_image_check_warnings(label: &str, count: usize) -> pb::WorkflowResult {
    let entry = pb::CapabilityEntry {
        decision_type: pb::DecisionType::Warning as i32,
        label: label.to_owned(),
        ..Default::default()
    };
    pb::WorkflowResult {
        workflow: Some(pb::Workflow {
            id: "w".to_owned(),
            status: pb::WorkflowStatus::Processed as i32,
            definition_key: String::new(),
        }),
        capabilities: vec![pb::Capability {
            name: "imageChecks".to_owned(),
            entries: vec![entry; count],
        }],
        ..Default::default()
    }
}

fn warnings(count: usize) -> String {
    let entry = r#"{"decision":{"type":"WARNING","details":{"label":"REPEATED_FACE"}}}"#;
    format!("[{}]", vec![entry; count].join(","))
}

#[tokio::test]
async fn results_per_capability_and_in_all_are_bounded_before_the_work() {
    // Decoding the 4 MB request below holds this test's single runtime thread
    // long enough for queue-delay shedding to answer first; this test is
    // about the entry limits, so that shedding is off here.
    let server = start(Limits {
        max_queue_delay: Duration::ZERO,
        ..Limits::default()
    })
    .await;
    let mut client = server.client().await;

    // 100 in one capability: decided.
    let body = body_with_capabilities(&format!(r#"{{"imageChecks":{}}}"#, warnings(100)));
    let decision = evaluate_json(&mut client, body).await;
    assert_eq!(decision.reasons.len(), 100);

    // 101 in one capability: refused, naming where.
    let body = body_with_capabilities(&format!(r#"{{"imageChecks":{}}}"#, warnings(101)));
    let status = client
        .evaluate(json_request(body))
        .await
        .expect_err("too many");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status
            .message()
            .contains("more than 100 results in one capability"),
        "{}",
        status.message()
    );
    assert!(
        crate::support::violated_field(&details(&status))
            .starts_with("workflow_json.capabilities.imageChecks"),
        "{status:?}"
    );

    // 11 capabilities of 100: more than 1,000 in all.
    let many: Vec<String> = (0..11)
        .map(|index| format!(r#""c{index}":{}"#, warnings(100)))
        .collect();
    let body = body_with_capabilities(&format!("{{{}}}", many.join(",")));
    let status = client
        .evaluate(json_request(body))
        .await
        .expect_err("too many");
    assert!(
        status
            .message()
            .contains("more than 1000 capability results in all"),
        "{}",
        status.message()
    );

    // The issue's probe: a 4 MB typed request of 1,000,000 WARNING entries is
    // refused at once, without a reason computed.
    let workflow = typed_image_check_warnings("", 1_000_000);
    let status = client
        .evaluate(pb::EvaluateRequest {
            input: Some(pb::evaluate_request::Input::Workflow(workflow)),
            ..Default::default()
        })
        .await
        .expect_err("too many");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        crate::support::violated_field(&details(&status)),
        "workflow.capabilities[0].entries"
    );
    still_serves(&server).await;
}

#[tokio::test]
async fn a_batch_answer_never_exceeds_the_message_limit() {
    // Each item is small to send (60 short entries) and large to answer (60
    // reasons, each explained): 100 of them cannot all fit in 256 KB.
    let limit = 256 * 1024;
    let server = start(Limits {
        max_message_bytes: limit,
        ..Limits::default()
    })
    .await;
    let mut client = server.client().await;
    let workflow = typed_image_check_warnings("REPEATED_FACE", 60);
    let request = pb::BatchEvaluateRequest {
        explain: true,
        items: (0..100)
            .map(|index| pb::BatchItem {
                evidence: None,
                id: index.to_string(),
                input: Some(batch_item::Input::Workflow(workflow.clone())),
            })
            .collect(),
        ..Default::default()
    };
    let response = client
        .batch_evaluate(request)
        .await
        .expect("the batch is answered")
        .into_inner();
    use prost::Message as _;
    assert!(
        response.encoded_len() <= limit,
        "{}",
        response.encoded_len()
    );
    assert_eq!(response.results.len(), 100);
    let decided = response
        .results
        .iter()
        .take_while(|result| matches!(result.result, Some(pb::batch_result::Result::Decision(_))))
        .count();
    assert!(decided > 0 && decided < 100, "{decided} decided");
    for result in &response.results[decided..] {
        let Some(pb::batch_result::Result::Error(status)) = &result.result else {
            panic!("item {} decided after the answer was full", result.id);
        };
        assert_eq!(status.code, Code::ResourceExhausted as i32);
        let info = crate::support::rpc_status_details(status)
            .error_info()
            .cloned()
            .expect("ErrorInfo");
        assert_eq!(info.reason, "RESPONSE_TOO_LARGE");
    }
    still_serves(&server).await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_runtime_running_late_sheds_requests_then_recovers() {
    let server = start(Limits {
        max_queue_delay: Duration::from_millis(100),
        ..Limits::default()
    })
    .await;
    let mut client = server.client().await;
    still_serves(&server).await;
    // Hold the runtime's only thread, as a flood of work would: every task,
    // requests included, now runs 400 ms late.
    std::thread::sleep(Duration::from_millis(400));
    let status = client
        .evaluate(json_request(fixture("01-clean-pass-score-0.json")))
        .await
        .expect_err("shed while the runtime runs late");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let (reason, metadata) = error_info(&status);
    assert_eq!(reason, "OVERLOADED");
    assert_eq!(metadata["max_queue_delay_ms"], "100");
    assert!(details(&status).retry_info().is_some());
    // Once tasks run on time again, requests are admitted.
    tokio::time::sleep(Duration::from_millis(200)).await;
    still_serves(&server).await;
}

#[tokio::test]
async fn request_bytes_in_flight_are_bounded_and_given_back() {
    // Evaluate's body is read by tonic; BatchEvaluate's first by kept_body.rs,
    // which must give a stalled body's bytes back just the same.
    for method in [
        "verdict.v1.DecisionService/Evaluate",
        "verdict.v1.DecisionService/BatchEvaluate",
    ] {
        a_stalled_body_is_held_then_given_back(method).await;
    }
}

async fn a_stalled_body_is_held_then_given_back(method: &str) {
    let server = start(Limits {
        max_request_bytes_in_flight: 2 * 1024 * 1024,
        ..Limits::default()
    })
    .await;
    // A client holds 1.5 MB of a 1.6 MB request and stalls.
    let (_response, mut body, driver) = crate::support::raw_call(server.address, method).await;
    let announced: u32 = 1_600_000;
    let mut frame = vec![0u8];
    frame.extend_from_slice(&announced.to_be_bytes());
    frame.extend(vec![b' '; 1_500_000]);
    body.send_data(frame.into(), false)
        .expect("queue the partial body");
    // Let the client's connection task send it before the next request.
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Another 1 MB request does not fit beside it: refused, not buffered
    // (once the stalled bytes have arrived; the metrics gauge is shared by
    // every test server of this binary, so behaviour is what is watched).
    let mut client = server.client().await;
    let big = json_request(format!(
        "{}{}",
        fixture("01-clean-pass-score-0.json"),
        " ".repeat(1024 * 1024)
    ));
    let mut refused = None;
    for _ in 0..100 {
        match client.evaluate(big.clone()).await {
            Err(status) => {
                refused = Some(status);
                break;
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    let status =
        refused.unwrap_or_else(|| panic!("refused while the stalled {method} body is held"));
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let (reason, metadata) = error_info(&status);
    assert_eq!(reason, "REQUEST_BYTES_IN_FLIGHT");
    assert_eq!(metadata["max_request_bytes_in_flight"], "2097152");
    assert!(details(&status).retry_info().is_some());

    // The stalled request goes: its bytes are given back, and the same 1 MB
    // request is decided.
    drop(body);
    driver.abort();
    let mut decided = None;
    for _ in 0..100 {
        match client.evaluate(big.clone()).await {
            Ok(response) => {
                decided = response.into_inner().decision;
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    let decision =
        decided.unwrap_or_else(|| panic!("decided once the stalled {method} request is gone"));
    assert_eq!(decision.result_code, "APPROVED");
}

#[tokio::test]
async fn an_evaluate_answer_over_the_message_limit_and_a_batch_that_cannot_fit_are_refused() {
    let limit = 32 * 1024;
    let server = start(Limits {
        max_message_bytes: limit,
        ..Limits::default()
    })
    .await;
    let mut client = server.client().await;
    // 5 capabilities of 100 short warnings: a few KB to send, 500 reasons
    // with their explanations to answer.
    let mut workflow = typed_image_check_warnings("REPEATED_FACE", 100);
    let capability = workflow.capabilities[0].clone();
    workflow.capabilities = (0..5)
        .map(|index| pb::Capability {
            name: format!("check{index}"),
            ..capability.clone()
        })
        .collect();
    let request = pb::EvaluateRequest {
        input: Some(pb::evaluate_request::Input::Workflow(workflow)),
        explain: true,
        ..Default::default()
    };
    // Without a ledger (the answer encoded where it is decided) and with
    // one (the answer built as a message, to be marked once recorded).
    let dir = tempfile::tempdir().expect("temp dir");
    let location = format!("sqlite:{}", dir.path().join("ledger.sqlite").display());
    let with_ledger = TestServer::start_with_options(ServeOptions {
        limits: Limits {
            max_message_bytes: limit,
            ..Limits::default()
        },
        ledger: Some(recorder(&location, LedgerFailure::Closed).await),
        ..ServeOptions::default()
    })
    .await;
    for serving in [&server, &with_ledger] {
        let status = serving
            .client()
            .await
            .evaluate(request.clone())
            .await
            .expect_err("the answer would not fit");
        assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
        let (reason, metadata) = error_info(&status);
        assert_eq!(reason, "RESPONSE_TOO_LARGE");
        assert_eq!(metadata["max_message_bytes"], limit.to_string());
    }

    // So many items that not even an error for each fits: the whole batch
    // is refused the same way, before anything is decided.
    let request = pb::BatchEvaluateRequest {
        items: (0..1000)
            .map(|index| pb::BatchItem {
                evidence: None,
                id: index.to_string(),
                input: Some(batch_item::Input::Workflow(pb::WorkflowResult::default())),
            })
            .collect(),
        ..Default::default()
    };
    let status = client
        .batch_evaluate(request)
        .await
        .expect_err("cannot fit even as errors");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(error_info(&status).0, "RESPONSE_TOO_LARGE");
    still_serves(&server).await;
}
