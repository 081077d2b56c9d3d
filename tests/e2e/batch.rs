//! BatchEvaluate: order, ids, per-item errors, the size limit.

use tonic::Code;
use verdict_api::v1::{self as pb, batch_result};
use verdict_server::Limits;

use crate::support::{
    SMALL_PASSED, TestServer, batch_evaluate, batch_item as json_item, details, fixture,
    rpc_status_details, violated_field,
};

fn batch(items: Vec<pb::BatchItem>) -> pb::BatchEvaluateRequest {
    pb::BatchEvaluateRequest {
        policy_id: String::new(),
        explain: false,
        items,
    }
}

#[tokio::test]
async fn bad_items_get_their_own_error_and_never_cost_the_others() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let items = vec![
        json_item(
            "fake",
            fixture("03-imagechecks-rejected-digital-manipulation.json"),
        ),
        json_item("broken", "{\"workflow\": "),
        json_item("pending", r#"{"workflow": {"status": "INITIATED"}}"#),
        pb::BatchItem {
            evidence: None,
            id: "empty".to_owned(),
            input: None,
        },
        json_item(
            "selfie",
            fixture("08-liveness-rejected-multiple-people.json"),
        ),
    ];
    let results = batch_evaluate(&mut client, batch(items)).await;
    let ids: Vec<_> = results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["fake", "broken", "pending", "empty", "selfie"]);

    let decided = |index: usize| match &results[index].result {
        Some(batch_result::Result::Decision(decision)) => {
            (decision.outcome(), decision.result_code.clone())
        }
        other => panic!("item {index} not decided: {other:?}"),
    };
    let failed = |index: usize| match &results[index].result {
        Some(batch_result::Result::Error(status)) => status.clone(),
        other => panic!("item {index} did not fail: {other:?}"),
    };
    assert_eq!(
        decided(0),
        (
            pb::Outcome::Decline,
            "DOCUMENT_FRAUD_DIGITAL_MANIPULATION".to_owned()
        )
    );
    assert_eq!(
        decided(4),
        (
            pb::Outcome::Retry,
            "SELFIE_CAPTURE_MULTIPLE_PEOPLE".to_owned()
        )
    );

    let broken = failed(1);
    assert_eq!(broken.code, Code::InvalidArgument as i32);
    let broken_details = rpc_status_details(&broken);
    assert_eq!(
        broken_details.error_info().expect("ErrorInfo").reason,
        "INVALID_WORKFLOW_JSON"
    );
    assert!(broken_details.bad_request().is_some());

    let pending = failed(2);
    assert_eq!(pending.code, Code::FailedPrecondition as i32);
    assert_eq!(
        rpc_status_details(&pending)
            .error_info()
            .expect("ErrorInfo")
            .reason,
        "WORKFLOW_NOT_FINAL"
    );

    let empty = failed(3);
    assert_eq!(empty.code, Code::InvalidArgument as i32);
    assert_eq!(violated_field(&rpc_status_details(&empty)), "input");
}

#[tokio::test]
async fn a_batch_of_only_bad_items_still_answers_every_item() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let items = (0..20)
        .map(|i| json_item(&format!("bad-{i}"), "nope"))
        .collect();
    let results = batch_evaluate(&mut client, batch(items)).await;
    assert_eq!(results.len(), 20);
    assert!(
        results
            .iter()
            .all(|r| matches!(r.result, Some(batch_result::Result::Error(_))))
    );
}

#[tokio::test]
async fn batch_results_match_single_evaluations() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let names = crate::support::workflow_fixtures();
    let items = names
        .iter()
        .map(|name| json_item(name, fixture(name)))
        .collect();
    let results = batch_evaluate(&mut client, batch(items)).await;
    for (name, result) in names.iter().zip(&results) {
        let single = crate::support::evaluate_json(&mut client, fixture(name)).await;
        assert_eq!(
            result.result,
            Some(batch_result::Result::Decision(single)),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_batch_over_the_limit_is_refused_naming_the_limit() {
    let server = TestServer::start_with(Limits {
        max_batch_size: 3,
        ..Limits::default()
    })
    .await;
    let mut client = server.client().await;
    let body = fixture("01-clean-pass-score-0.json");
    let items = (0..4)
        .map(|i| json_item(&i.to_string(), body.clone()))
        .collect();
    let status = client
        .batch_evaluate(batch(items))
        .await
        .expect_err("over the limit");
    assert_eq!(status.code(), Code::InvalidArgument);
    let details = details(&status);
    let violation = &details.bad_request().expect("BadRequest").field_violations[0];
    assert_eq!(violation.field, "items");
    assert_eq!(
        violation.description,
        "4 items exceed the maximum batch size of 3"
    );
    let info = details.error_info().expect("ErrorInfo");
    assert_eq!(
        (
            info.reason.as_str(),
            info.metadata["max_batch_size"].as_str()
        ),
        ("BATCH_TOO_LARGE", "3")
    );
    // At the limit is fine.
    let items = (0..3)
        .map(|i| json_item(&i.to_string(), body.clone()))
        .collect();
    assert_eq!(batch_evaluate(&mut client, batch(items)).await.len(), 3);
}

#[tokio::test]
async fn a_thousand_item_batch_of_full_bodies_fits_the_default_limits() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let body = fixture("06-datachecks-rejected-mrz-checksum.json");
    let items: Vec<_> = (0..1000)
        .map(|i| json_item(&i.to_string(), body.clone()))
        .collect();
    let results = batch_evaluate(&mut client, batch(items)).await;
    assert_eq!(results.len(), 1000);
    assert_eq!(results[999].id, "999");
}

#[tokio::test]
async fn an_unknown_policy_fails_the_whole_batch_with_not_found() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let mut request = batch(vec![json_item("a", fixture("01-clean-pass-score-0.json"))]);
    request.policy_id = "missing".to_owned();
    let status = client
        .batch_evaluate(request)
        .await
        .expect_err("unknown policy");
    assert_eq!(status.code(), Code::NotFound);
}

/// Three bodies with three different answers (their result codes).
const THREE_ANSWERS: [(&str, &str); 3] = [
    ("01-clean-pass-score-0.json", "APPROVED"),
    ("09-similarity-rejected-no-match.json", "FACE_MISMATCH"),
    ("04-imagechecks-rejected-punched.json", "DOCUMENT_PUNCHED"),
];

/// `n` items cycling over [`THREE_ANSWERS`], each with its index as id: a
/// result in the wrong place shows as the wrong code for its id.
fn cycled_items(n: usize) -> Vec<pb::BatchItem> {
    (0..n)
        .map(|i| json_item(&i.to_string(), fixture(THREE_ANSWERS[i % 3].0)))
        .collect()
}

#[tokio::test]
async fn a_large_batch_decided_on_every_core_answers_each_item_in_its_place() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let results = batch_evaluate(&mut client, batch(cycled_items(500))).await;
    assert_eq!(results.len(), 500);
    for (i, result) in results.iter().enumerate() {
        assert_eq!(result.id, i.to_string());
        let Some(batch_result::Result::Decision(decision)) = &result.result else {
            panic!("item {i} not decided");
        };
        assert_eq!(decision.result_code, THREE_ANSWERS[i % 3].1, "item {i}");
    }
}

/// A batch whose body reaches the server in small DATA frames, items cut
/// across them: answered as when it arrives in large ones, with trailers
/// after it too, and when a second message follows it (tonic reads that one
/// and answers the first).
#[tokio::test]
async fn a_batch_body_in_small_frames_is_answered_as_one_in_large_frames() {
    use prost::Message as _;
    use prost::bytes::Bytes;

    let server = TestServer::start().await;
    let mut client = server.client().await;
    let request = batch(cycled_items(30));
    let message = request.encode_to_vec();
    let mut framed = vec![0];
    framed.extend(u32::try_from(message.len()).expect("small").to_be_bytes());
    framed.extend(&message);
    let twice = [framed.as_slice(), framed.as_slice()].concat();
    let codes = |results: &[pb::BatchResult]| -> Vec<(String, String)> {
        results
            .iter()
            .map(|result| match &result.result {
                Some(batch_result::Result::Decision(decision)) => {
                    (result.id.clone(), decision.result_code.clone())
                }
                other => panic!("item {} not decided: {other:?}", result.id),
            })
            .collect()
    };
    let expected: Vec<(String, String)> = (0..30)
        .map(|i| (i.to_string(), THREE_ANSWERS[i % 3].1.to_owned()))
        .collect();
    assert_eq!(codes(&batch_evaluate(&mut client, request).await), expected);

    for (body, frame, trailers) in [
        (&framed, 97, false),
        (&framed, 1000, true),
        (&framed, 16_384, false),
        (&twice, 4096, false),
    ] {
        let case = format!(
            "{} bytes in frames of {frame}, trailers {trailers}",
            body.len()
        );
        let (response, mut send, _driver) =
            crate::support::raw_call(server.address, "verdict.v1.DecisionService/BatchEvaluate")
                .await;
        for piece in body.chunks(frame) {
            send.reserve_capacity(piece.len());
            send.send_data(Bytes::copy_from_slice(piece), false)
                .expect("send a frame");
        }
        if trailers {
            let mut extra = tonic::codegen::http::HeaderMap::new();
            extra.insert("x-after-the-body", "1".parse().expect("header value"));
            send.send_trailers(extra).expect("send trailers");
        } else {
            send.send_data(Bytes::new(), true).expect("end the body");
        }
        let mut answer = response.await.expect("response").into_body();
        let mut data = Vec::new();
        while let Some(chunk) = answer.data().await {
            let chunk = chunk.expect("answer data");
            let _ = answer.flow_control().release_capacity(chunk.len());
            data.extend_from_slice(&chunk);
        }
        let end = answer.trailers().await.expect("trailers").expect("some");
        assert_eq!(
            end.get("grpc-status").map(|v| v.as_bytes()),
            Some(&b"0"[..]),
            "{case}"
        );
        let results = pb::BatchEvaluateResponse::decode(data.get(5..).expect("a message"))
            .expect("an answer")
            .results;
        assert_eq!(codes(&results), expected, "{case}");
    }
}

/// A BatchEvaluate message that does not decode is refused as soon as all
/// of it is in, as tonic refuses it, not when the body ends: the client here
/// never ends it.
#[tokio::test]
async fn a_broken_batch_message_is_refused_before_its_body_ends() {
    use prost::bytes::Bytes;

    let server = TestServer::start().await;
    let (response, mut send, _driver) =
        crate::support::raw_call(server.address, "verdict.v1.DecisionService/BatchEvaluate").await;
    // items[0]: a 5-byte field with 1 byte of it.
    let message = [0x12, 0x05, 0x61];
    let mut framed = vec![0, 0, 0, 0, 3];
    framed.extend(message);
    send.send_data(Bytes::from(framed), false)
        .expect("send the message");
    let response = tokio::time::timeout(std::time::Duration::from_secs(10), response)
        .await
        .expect("answered before the body ends")
        .expect("response");
    let headers = response.headers();
    assert_eq!(
        headers.get("grpc-status").map(|v| v.as_bytes()),
        Some(&b"3"[..]),
        "INVALID_ARGUMENT: {headers:?}"
    );
    let message = headers
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        message.starts_with("not%20a%20valid%20protobuf"),
        "{message}"
    );
}

/// A batch message over the size limit is not kept by kept_body.rs: tonic
/// reads it, and refuses it OUT_OF_RANGE as it refuses an oversize
/// Evaluate. The connection keeps serving.
#[tokio::test]
async fn an_oversize_batch_is_out_of_range_and_the_server_keeps_serving() {
    let server = TestServer::start_with(Limits {
        max_message_bytes: 2048,
        ..Limits::default()
    })
    .await;
    let mut client = server.client().await;
    let oversize = batch(vec![json_item("0", fixture("01-clean-pass-score-0.json"))]);
    let status = client
        .batch_evaluate(oversize)
        .await
        .expect_err("an 8 KB batch over a 2 KB limit");
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    let results = batch_evaluate(&mut client, batch(vec![json_item("1", SMALL_PASSED)])).await;
    let Some(batch_result::Result::Decision(decision)) = &results[0].result else {
        panic!("not decided: {:?}", results[0]);
    };
    assert_eq!(decision.outcome(), pb::Outcome::Approve);
}

/// A message flagged compressed, with no `grpc-encoding` to say how, is
/// not kept by kept_body.rs either: BatchEvaluate answers it with tonic's own
/// status, the one Evaluate (read by tonic alone) answers it with.
#[tokio::test]
async fn a_message_flagged_compressed_gets_tonic_s_status_as_evaluate_does() {
    use prost::bytes::Bytes;

    let server = TestServer::start().await;
    let mut statuses = Vec::new();
    for method in [
        "verdict.v1.DecisionService/Evaluate",
        "verdict.v1.DecisionService/BatchEvaluate",
    ] {
        let (response, mut send, _driver) = crate::support::raw_call(server.address, method).await;
        send.send_data(Bytes::from_static(&[1, 0, 0, 0, 2, 0x08, 0x01]), true)
            .expect("send the message");
        let response = response.await.expect("response");
        // A status alone comes in the headers; after an answer, in trailers.
        let status = match response.headers().get("grpc-status") {
            Some(status) => status.clone(),
            None => {
                let mut body = response.into_body();
                while body.data().await.is_some() {}
                let trailers = body.trailers().await.expect("trailers").expect("some");
                trailers.get("grpc-status").expect("grpc-status").clone()
            }
        };
        statuses.push(status);
    }
    assert_ne!(statuses[0].as_bytes(), b"0", "refused: {statuses:?}");
    assert_eq!(statuses[0], statuses[1]);
}
