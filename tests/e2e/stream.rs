//! StreamEvaluate: every item answered in order with what BatchEvaluate gives
//! it, back-pressure when the caller stops reading, and a message that cannot
//! be read. The caller leaving is tested against the binary, whose metrics
//! are its own (crates/verdict-server/tests/stream_cancel.rs).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio_stream::StreamExt as _;
use tonic::Code;
use verdict_api::v1::{self as pb, batch_result};
use verdict_server::Limits;

use crate::support::{TestServer, batch_evaluate, batch_item as item, fixture, rpc_status_details};

pub fn streamed(item: pb::BatchItem, policy_id: &str, explain: bool) -> pb::StreamEvaluateRequest {
    pb::StreamEvaluateRequest {
        item: Some(item),
        policy_id: policy_id.to_owned(),
        explain,
    }
}

/// Every answer of a stream that ends with OK.
pub async fn answers(
    client: &mut pb::decision_service_client::DecisionServiceClient<tonic::transport::Channel>,
    requests: Vec<pb::StreamEvaluateRequest>,
) -> Vec<pb::BatchResult> {
    let mut responses = client
        .stream_evaluate(tokio_stream::iter(requests))
        .await
        .expect("stream opens")
        .into_inner();
    let mut results = Vec::new();
    while let Some(response) = responses.message().await.expect("no stream error") {
        results.push(response.result.expect("a result"));
    }
    results
}

/// Results with each error's details decoded: `ErrorInfo.metadata` is a
/// map, encoded in no fixed order.
fn comparable(results: &[pb::BatchResult]) -> Vec<String> {
    results
        .iter()
        .map(|result| match &result.result {
            Some(batch_result::Result::Error(status)) => {
                let details = rpc_status_details(status);
                let info = details.error_info().map(|info| {
                    let metadata: std::collections::BTreeMap<_, _> = info.metadata.iter().collect();
                    format!("{} {} {metadata:?}", info.reason, info.domain)
                });
                format!(
                    "{} error {} {:?} {info:?} {:?}",
                    result.id,
                    status.code,
                    status.message,
                    details.bad_request()
                )
            }
            other => format!("{} {other:?}", result.id),
        })
        .collect()
}

#[tokio::test]
async fn every_item_is_answered_in_order_as_batch_evaluate_answers_it() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let items = vec![
        item("punched", fixture("04-imagechecks-rejected-punched.json")),
        item("broken", "{\"workflow\": "),
        item("pending", r#"{"workflow": {"status": "INITIATED"}}"#),
        pb::BatchItem {
            evidence: None,
            id: "empty".to_owned(),
            input: None,
        },
        item("blurred", fixture("02-usability-rejected-blurred.json")),
        item("clean", fixture("01-clean-pass-score-0.json")),
    ];
    let expected = batch_evaluate(
        &mut client,
        pb::BatchEvaluateRequest {
            policy_id: String::new(),
            items: items.clone(),
            explain: false,
        },
    )
    .await;
    // However the server groups them as they arrive, each answer is the batch's.
    let requests: Vec<_> = items
        .into_iter()
        .map(|item| streamed(item, "", false))
        .collect();
    let results = answers(&mut client, requests).await;
    assert_eq!(comparable(&results), comparable(&expected));
    assert_eq!(
        results.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["punched", "broken", "pending", "empty", "blurred", "clean"]
    );
    match &results[2].result {
        Some(batch_result::Result::Error(status)) => {
            assert_eq!(status.code, Code::FailedPrecondition as i32);
        }
        other => panic!("pending: {other:?}"),
    }
}

#[tokio::test]
async fn an_unknown_policy_or_explanation_is_that_items_own() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let punched = || item("punched", fixture("04-imagechecks-rejected-punched.json"));
    let requests = vec![
        streamed(punched(), "", false),
        streamed(punched(), "no-such-policy", false),
        streamed(punched(), "", true),
        streamed(punched(), "", false),
    ];
    let results = answers(&mut client, requests).await;
    assert_eq!(results.len(), 4);
    let decision = |index: usize| match &results[index].result {
        Some(batch_result::Result::Decision(decision)) => decision.clone(),
        other => panic!("item {index}: {other:?}"),
    };
    assert_eq!(decision(0).result_code, "DOCUMENT_PUNCHED");
    match &results[1].result {
        Some(batch_result::Result::Error(status)) => {
            assert_eq!(status.code, Code::NotFound as i32);
            assert!(!status.message.contains("PUNCHED"));
        }
        other => panic!("unknown policy: {other:?}"),
    }
    assert!(decision(0).explanations.is_empty());
    assert!(
        !decision(2).explanations.is_empty(),
        "explain asked for item 2 only"
    );
    assert_eq!(decision(3), decision(0));
}

#[tokio::test]
async fn a_caller_that_stops_reading_stops_the_server_reading() {
    let limits = Limits {
        max_stream_in_flight: 8,
        ..Limits::default()
    };
    let server = TestServer::start_with(limits).await;
    let mut client = server.client().await;
    const ITEMS: usize = 20_000;
    let body = fixture("04-imagechecks-rejected-punched.json");
    let pulled = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&pulled);
    let requests = tokio_stream::iter(0..ITEMS).map(move |n| {
        counted.fetch_add(1, Ordering::Relaxed);
        streamed(item(&n.to_string(), body.clone()), "", false)
    });
    let mut responses = client
        .stream_evaluate(requests)
        .await
        .expect("stream opens")
        .into_inner();
    // Nothing is read for a while: the client can send only what the
    // server's permits and the HTTP/2 windows hold (about 1,500 answers fill
    // the client's 2 MiB receive window, some 150 bodies the server's 1 MiB
    // one), however long the stream.
    let mut stalled = pulled.load(Ordering::Relaxed);
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = pulled.load(Ordering::Relaxed);
        if now == stalled {
            break;
        }
        stalled = now;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(pulled.load(Ordering::Relaxed), stalled, "still sending");
    assert!(stalled < 4_000, "{stalled} of {ITEMS} items sent unread");
    // Reading resumes the stream, to its end, in order.
    let mut next = 0;
    while let Some(response) = responses.message().await.expect("no stream error") {
        assert_eq!(response.result.expect("result").id, next.to_string());
        next += 1;
    }
    assert_eq!(next, ITEMS);
}

#[tokio::test]
async fn a_message_that_cannot_be_read_ends_the_stream_after_the_items_before_it() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let clean = || item("clean", fixture("01-clean-pass-score-0.json"));
    // More earlier retries than the wire allows: refused by the codec.
    let too_much = pb::BatchItem {
        evidence: Some(pb::Evidence {
            retries: (0..101)
                .map(|n| pb::PriorRetry {
                    workflow_id: format!("retry-{n}"),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        ..clean()
    };
    let requests = vec![
        streamed(clean(), "", false),
        streamed(clean(), "", false),
        streamed(too_much, "", false),
        streamed(clean(), "", false),
    ];
    let mut responses = client
        .stream_evaluate(tokio_stream::iter(requests))
        .await
        .expect("stream opens")
        .into_inner();
    let mut answered = 0;
    let status = loop {
        match responses.message().await {
            Ok(Some(_)) => answered += 1,
            Ok(None) => panic!("ended without the error"),
            Err(status) => break status,
        }
    };
    assert_eq!(answered, 2);
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().contains("item.evidence"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn a_group_that_does_not_fit_the_request_budget_is_refused_item_by_item() {
    let server = TestServer::start_with(Limits {
        max_request_bytes_in_flight: 2 * 1024 * 1024,
        ..Limits::default()
    })
    .await;
    // A stalled unary request holds 1.5 MB of the 2 MB budget.
    let (_response, mut body, driver) = crate::support::raw_evaluate_call(server.address).await;
    let mut frame = vec![0u8];
    frame.extend_from_slice(&1_600_000u32.to_be_bytes());
    frame.extend(vec![b' '; 1_500_000]);
    body.send_data(frame.into(), false)
        .expect("queue the partial body");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A 1 MB item does not fit beside it: an error of its own (and of what
    // arrived with it, decided together), and the stream goes on.
    let mut client = server.client().await;
    let big = format!(
        "{}{}",
        fixture("01-clean-pass-score-0.json"),
        " ".repeat(1024 * 1024)
    );
    let requests = vec![
        streamed(item("big", big), "", false),
        streamed(
            item("small", fixture("01-clean-pass-score-0.json")),
            "",
            false,
        ),
    ];
    let results = answers(&mut client, requests).await;
    assert_eq!(
        results.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["big", "small"]
    );
    let refused = &results[0];
    match &refused.result {
        Some(batch_result::Result::Error(status)) => {
            assert_eq!(status.code, Code::ResourceExhausted as i32, "{status:?}");
            let details = rpc_status_details(status);
            let info = details.error_info().expect("error info");
            assert_eq!(info.reason, "REQUEST_BYTES_IN_FLIGHT");
        }
        other => panic!("the big item: {other:?}"),
    }
    drop(body);
    driver.abort();
}
