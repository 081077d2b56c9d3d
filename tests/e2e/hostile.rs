//! One table of bad and hostile inputs: each gets its documented status and
//! details, and the server decides a normal request right after.

use prost::Message as _;
use tonic::Code;
use verdict_api::v1::{self as pb, evaluate_request};
use verdict_server::Limits;

use crate::support::{
    TestServer, batch_evaluate, details, evaluate_json, fixture, json_request, rpc_status_details,
    violated_field,
};

/// What a case must produce: the status code and the first BadRequest field,
/// or the ErrorInfo reason, or (for OK) the result code.
pub(crate) enum Expect {
    Field(Code, &'static str),
    Reason(Code, &'static str),
    Code(Code),
    Decided(&'static str),
}

fn typed(workflow: pb::WorkflowResult) -> pb::EvaluateRequest {
    pb::EvaluateRequest {
        evidence: None,
        policy_id: String::new(),
        explain: false,
        input: Some(evaluate_request::Input::Workflow(workflow)),
    }
}

/// The same input as a batch item's.
fn batch_input(input: evaluate_request::Input) -> pb::batch_item::Input {
    match input {
        evaluate_request::Input::WorkflowJson(json) => pb::batch_item::Input::WorkflowJson(json),
        evaluate_request::Input::Workflow(workflow) => pb::batch_item::Input::Workflow(workflow),
    }
}

fn processed() -> pb::WorkflowResult {
    pb::WorkflowResult {
        workflow: Some(pb::Workflow {
            id: "w".to_owned(),
            status: pb::WorkflowStatus::Processed as i32,
            definition_key: String::new(),
        }),
        decision: Some(pb::TopLevelDecision {
            r#type: pb::DecisionType::Passed as i32,
            label: "OK".to_owned(),
            risk_score: Some(0.0),
        }),
        capabilities: vec![pb::Capability {
            name: "usability".to_owned(),
            entries: vec![pb::CapabilityEntry {
                decision_type: pb::DecisionType::Passed as i32,
                label: "OK".to_owned(),
                ..Default::default()
            }],
        }],
        ..Default::default()
    }
}

pub(crate) fn cases() -> Vec<(&'static str, pb::EvaluateRequest, Expect)> {
    let clean = fixture("01-clean-pass-score-0.json");
    let with = |from: &str, to: &str| {
        assert!(clean.contains(from), "fixture lacks {from}");
        json_request(clean.replacen(from, to, 1))
    };
    let huge_label = "X".repeat(4 * 1024 * 1024);
    vec![
        (
            "empty body",
            json_request(""),
            Expect::Field(Code::InvalidArgument, "workflow_json"),
        ),
        (
            "not JSON",
            json_request("verdict?"),
            Expect::Field(Code::InvalidArgument, "workflow_json"),
        ),
        (
            "truncated",
            json_request(&clean[..clean.len() / 2]),
            Expect::Reason(Code::InvalidArgument, "INVALID_WORKFLOW_JSON"),
        ),
        (
            "trailing garbage",
            json_request(format!("{clean} {{")),
            Expect::Reason(Code::InvalidArgument, "INVALID_WORKFLOW_JSON"),
        ),
        (
            "a JSON array",
            json_request("[]"),
            Expect::Field(Code::InvalidArgument, "workflow_json"),
        ),
        (
            "workflow is a string",
            json_request(r#"{"workflow": "PROCESSED"}"#),
            Expect::Field(Code::InvalidArgument, "workflow_json.workflow"),
        ),
        (
            "status is a number",
            json_request(r#"{"workflow": {"status": 3}}"#),
            Expect::Field(Code::InvalidArgument, "workflow_json.workflow.status"),
        ),
        (
            "capabilities is an array",
            json_request(r#"{"workflow": {"status": "PROCESSED"}, "capabilities": []}"#),
            Expect::Field(Code::InvalidArgument, "workflow_json.capabilities"),
        ),
        (
            "an entry without decision: a type verdict does not know, never approved",
            json_request(
                r#"{"workflow": {"status": "PROCESSED"}, "capabilities": {"usability": [{}]}}"#,
            ),
            Expect::Decided("UNRECOGNISED_DECISION_TYPE"),
        ),
        (
            "a label that is a number",
            json_request(
                r#"{"workflow": {"status": "PROCESSED"}, "capabilities": {"usability": [{"decision": {"type": "REJECTED", "details": {"label": 7}}}]}}"#,
            ),
            Expect::Field(
                Code::InvalidArgument,
                "workflow_json.capabilities.usability[0].decision.details.label",
            ),
        ),
        (
            "a risk score that is a string",
            with("\"score\": 0.0", "\"score\": \"low\""),
            Expect::Field(Code::InvalidArgument, "workflow_json.decision.risk.score"),
        ),
        (
            "a risk score above 100",
            with("\"score\": 0.0", "\"score\": 101"),
            Expect::Field(Code::InvalidArgument, "workflow_json.decision.risk.score"),
        ),
        (
            "a risk score beyond f64",
            with("\"score\": 0.0", "\"score\": 1e999"),
            Expect::Reason(Code::InvalidArgument, "INVALID_WORKFLOW_JSON"),
        ),
        (
            "a duplicate key",
            json_request(r#"{"workflow": {"status": "PROCESSED", "status": "PROCESSED"}}"#),
            Expect::Field(Code::InvalidArgument, "workflow_json.workflow"),
        ),
        (
            "a malformed date",
            with("\"completedAt\": \"", "\"completedAt\": \"yesterday"),
            Expect::Field(Code::InvalidArgument, "workflow_json.completedAt"),
        ),
        (
            "a 4 MiB label is just an unknown label",
            json_request(format!(
                r#"{{"workflow": {{"status": "PROCESSED"}}, "capabilities": {{"usability": [{{"decision": {{"type": "REJECTED", "details": {{"label": "{huge_label}"}}}}}}]}}}}"#
            )),
            Expect::Decided("IMAGE_UNUSABLE"),
        ),
        (
            "200 levels of nesting in an unread field",
            json_request(clean.replacen(
                '{',
                &format!(r#"{{"x": {}{}, "#, "[".repeat(200), "]".repeat(200)),
                1,
            )),
            Expect::Decided("APPROVED"),
        ),
        (
            "no input (unset oneof)",
            pb::EvaluateRequest::default(),
            Expect::Field(Code::InvalidArgument, "input"),
        ),
        (
            "typed: UNSPECIFIED status",
            typed(pb::WorkflowResult {
                workflow: Some(pb::Workflow::default()),
                ..processed()
            }),
            Expect::Field(Code::InvalidArgument, "workflow.workflow.status"),
        ),
        (
            "typed: unknown enum number",
            typed(pb::WorkflowResult {
                capabilities: vec![pb::Capability {
                    name: "usability".to_owned(),
                    entries: vec![pb::CapabilityEntry {
                        decision_type: 99,
                        ..Default::default()
                    }],
                }],
                ..processed()
            }),
            Expect::Field(
                Code::InvalidArgument,
                "workflow.capabilities[0].entries[0].decision_type",
            ),
        ),
        (
            "typed: a NaN score",
            typed(pb::WorkflowResult {
                decision: Some(pb::TopLevelDecision {
                    r#type: pb::DecisionType::Passed as i32,
                    label: String::new(),
                    risk_score: Some(f64::NAN),
                }),
                ..processed()
            }),
            Expect::Field(Code::InvalidArgument, "workflow.decision.risk_score"),
        ),
        (
            "not final",
            json_request(r#"{"workflow": {"status": "ACQUIRED"}}"#),
            Expect::Reason(Code::FailedPrecondition, "WORKFLOW_NOT_FINAL"),
        ),
        (
            "an unknown policy",
            pb::EvaluateRequest {
                policy_id: "nope".to_owned(),
                ..json_request(clean.clone())
            },
            Expect::Code(Code::NotFound),
        ),
    ]
}

#[tokio::test]
async fn every_hostile_input_gets_its_documented_status_and_the_server_keeps_serving() {
    let server = TestServer::start_with(Limits {
        max_message_bytes: 8 * 1024 * 1024,
        ..Limits::default()
    })
    .await;
    let mut client = server.client().await;
    for (name, request, expect) in cases() {
        let result = client.evaluate(request).await;
        match (expect, result) {
            (Expect::Decided(code), Ok(response)) => {
                let decision = response.into_inner().decision.expect("decision");
                assert_eq!(decision.result_code, code, "{name}");
            }
            (Expect::Field(code, field), Err(status)) => {
                assert_eq!(status.code(), code, "{name}: {status:?}");
                assert_eq!(violated_field(&details(&status)), field, "{name}");
            }
            (Expect::Reason(code, reason), Err(status)) => {
                assert_eq!(status.code(), code, "{name}: {status:?}");
                let info = details(&status).error_info().cloned().expect("ErrorInfo");
                assert_eq!(info.reason, reason, "{name}");
            }
            (Expect::Code(code), Err(status)) => assert_eq!(status.code(), code, "{name}"),
            (_, other) => panic!("{name}: unexpected {other:?}"),
        }
        let decision =
            evaluate_json(&mut client, fixture("04-imagechecks-rejected-punched.json")).await;
        assert_eq!(decision.result_code, "DOCUMENT_PUNCHED", "after {name}");
    }

    // Oversize: tonic's own check, OUT_OF_RANGE, and the connection survives.
    let oversize = json_request("x".repeat(9 * 1024 * 1024));
    let status = client.evaluate(oversize).await.expect_err("oversize");
    assert_eq!(status.code(), Code::OutOfRange);
    let decision =
        evaluate_json(&mut client, fixture("04-imagechecks-rejected-punched.json")).await;
    assert_eq!(decision.result_code, "DOCUMENT_PUNCHED");
}

#[tokio::test]
async fn a_batch_of_only_hostile_items_answers_each_with_the_status_evaluate_gives() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let (names, requests): (Vec<_>, Vec<_>) = cases()
        .into_iter()
        .filter(|(_, request, expect)| {
            !matches!(expect, Expect::Decided(_) | Expect::Code(Code::NotFound))
                && request.policy_id.is_empty()
        })
        .map(|(name, request, _)| (name, request))
        .collect();
    let items: Vec<pb::BatchItem> = requests
        .iter()
        .zip(&names)
        .map(|(request, name)| pb::BatchItem {
            evidence: None,
            id: (*name).to_owned(),
            input: request.input.clone().map(batch_input),
        })
        .collect();
    let results = batch_evaluate(
        &mut client,
        pb::BatchEvaluateRequest {
            items,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(results.len(), names.len());
    for ((result, request), name) in results.iter().zip(requests).zip(&names) {
        assert_eq!(result.id, *name);
        let Some(pb::batch_result::Result::Error(item_status)) = &result.result else {
            panic!("{name}: expected an error result");
        };
        let single = client.evaluate(request).await.expect_err(name);
        assert_eq!(item_status.code, single.code() as i32, "{name}");
        assert_eq!(item_status.message, single.message(), "{name}");
        let fields = |details: tonic_types::ErrorDetails| {
            details.bad_request().map(|bad| {
                bad.field_violations
                    .iter()
                    .map(|violation| (violation.field.clone(), violation.description.clone()))
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            fields(rpc_status_details(item_status)),
            fields(details(&single)),
            "{name}"
        );
    }
}

/// Sends raw bytes as the request message, whatever they are.
#[derive(Debug, Clone, Copy, Default)]
struct RawBytes;

#[derive(Debug, Clone, Copy, Default)]
struct RawEncoder;

impl tonic::codec::Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(
        &mut self,
        item: Vec<u8>,
        buf: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        use prost::bytes::BufMut as _;
        buf.put_slice(&item);
        Ok(())
    }
}

impl tonic::codec::Codec for RawBytes {
    type Encode = Vec<u8>;
    type Decode = ();
    type Encoder = RawEncoder;
    type Decoder = tonic_prost::ProstDecoder<()>;

    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }

    fn decoder(&mut self) -> Self::Decoder {
        tonic_prost::ProstDecoder::default()
    }
}

#[tokio::test]
async fn malformed_protobuf_is_the_callers_fault() {
    let server = TestServer::start().await;
    let mut grpc = tonic::client::Grpc::new(server.channel().await);
    // In BatchEvaluate, field 2 is `items`: the first case breaks an item,
    // the other two the request itself (its own codec's error path). For
    // Evaluate, prost's own error follows the prefix.
    let cases: [(&str, Vec<u8>, &str); 4] = [
        // workflow_json (field 2) holding bytes that are not UTF-8.
        (
            "invalid UTF-8",
            vec![0x12, 0x02, 0xff, 0xfe],
            "EvaluateRequest.input: invalid string value: data is not UTF-8 encoded",
        ),
        // workflow_json twice, the first not UTF-8: prost checks both.
        (
            "invalid UTF-8, then JSON",
            vec![0x12, 0x01, 0xff, 0x12, 0x02, b'{', b'}'],
            "EvaluateRequest.input: invalid string value: data is not UTF-8 encoded",
        ),
        // explain (field 4, varint) whose varint never ends.
        (
            "bad varint",
            [vec![0x20], vec![0xff; 11]].concat(),
            "EvaluateRequest.explain: invalid varint",
        ),
        // workflow_json announcing 16 bytes and carrying one.
        (
            "truncated",
            vec![0x12, 0x10, b'{'],
            "EvaluateRequest.input: buffer underflow",
        ),
    ];
    let paths = [
        "/verdict.v1.DecisionService/Evaluate",
        "/verdict.v1.DecisionService/BatchEvaluate",
    ];
    for ((name, bytes, evaluate_error), path) in
        cases.iter().flat_map(|case| paths.map(|path| (case, path)))
    {
        grpc.ready().await.expect("ready");
        let evaluate = path.ends_with("/Evaluate");
        let name = format!("{name}, {path}");
        let path = tonic::codegen::http::uri::PathAndQuery::from_static(path);
        let status = grpc
            .unary::<Vec<u8>, (), _>(tonic::Request::new(bytes.clone()), path, RawBytes)
            .await
            .expect_err(&name);
        assert_eq!(status.code(), Code::InvalidArgument, "{name}: {status:?}");
        assert!(
            status.message().starts_with("not a valid protobuf message"),
            "{name}: {}",
            status.message()
        );
        if evaluate {
            assert_eq!(
                status.message(),
                format!(
                    "not a valid protobuf message: failed to decode Protobuf message: {evaluate_error}"
                ),
                "{name}"
            );
        }
        let info = details(&status).error_info().cloned().expect("ErrorInfo");
        assert_eq!(info.reason, "INVALID_PROTOBUF", "{name}");
    }
    let mut client = server.client().await;
    let decision =
        evaluate_json(&mut client, fixture("04-imagechecks-rejected-punched.json")).await;
    assert_eq!(decision.result_code, "DOCUMENT_PUNCHED");
}

#[tokio::test]
async fn a_streamed_message_that_does_not_decode_ends_the_stream_with_prost_s_error() {
    let server = TestServer::start().await;
    let mut grpc = tonic::client::Grpc::new(server.channel().await);
    let clean = pb::StreamEvaluateRequest {
        item: Some(pb::BatchItem {
            id: "clean".to_owned(),
            input: Some(pb::batch_item::Input::WorkflowJson(fixture(
                "01-clean-pass-score-0.json",
            ))),
            evidence: None,
        }),
        ..Default::default()
    }
    .encode_to_vec();
    // The item (field 1) with its workflow_json (field 2) not UTF-8: once,
    // and twice with the second one clean (prost checks both).
    let cases = [
        len_fields(&[(1, &len_fields(&[(1, b"bad"), (2, &[b'{', 0xff])]))]),
        len_fields(&[(1, &len_fields(&[(1, b"twice"), (2, &[0xff]), (2, b"{}")]))]),
    ];
    for bad in cases {
        grpc.ready().await.expect("ready");
        let messages = vec![clean.clone(), bad, clean.clone()];
        let path = tonic::codegen::http::uri::PathAndQuery::from_static(
            "/verdict.v1.DecisionService/StreamEvaluate",
        );
        let mut answers = grpc
            .streaming::<_, Vec<u8>, (), _>(
                tonic::Request::new(tokio_stream::iter(messages)),
                path,
                RawBytes,
            )
            .await
            .expect("the stream opens")
            .into_inner();
        let mut answered = 0;
        let status = loop {
            match answers.message().await {
                Ok(Some(())) => answered += 1,
                Ok(None) => panic!("ended without the error"),
                Err(status) => break status,
            }
        };
        assert_eq!(answered, 1, "the item before it is answered");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(
            status.message(),
            "not a valid protobuf message: failed to decode Protobuf message: \
             BatchItem.input: StreamEvaluateRequest.item: invalid string value: data is not UTF-8 encoded"
        );
        let info = details(&status).error_info().cloned().expect("ErrorInfo");
        assert_eq!(info.reason, "INVALID_PROTOBUF");
    }
}

/// An encoded message of `fields`: (field number, LEN payload), written by
/// hand so that an item can be broken in ways prost would never write.
fn len_fields(fields: &[(u32, &[u8])]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (field, payload) in fields {
        prost::encoding::encode_key(
            *field,
            prost::encoding::WireType::LengthDelimited,
            &mut bytes,
        );
        prost::encoding::encode_varint(payload.len() as u64, &mut bytes);
        bytes.extend_from_slice(payload);
    }
    bytes
}

#[tokio::test]
async fn a_batch_item_that_does_not_decode_fails_the_call_as_a_whole_body_would() {
    // BatchEvaluate decodes its items on the workers that decide them; what
    // the caller reads must be what a decode of the whole body says: prost's
    // error, with the item's path, and no item answered.
    let server = TestServer::start().await;
    let mut grpc = tonic::client::Grpc::new(server.channel().await);
    let good = pb::BatchItem {
        id: "good".to_owned(),
        input: Some(pb::batch_item::Input::WorkflowJson(fixture(
            "01-clean-pass-score-0.json",
        ))),
        evidence: None,
    }
    .encode_to_vec();
    let cases: [(&str, Vec<u8>, &str); 4] = [
        (
            "workflow_json twice, the first not UTF-8",
            len_fields(&[(1, b"two"), (2, &[0xff]), (2, b"{}")]),
            "BatchItem.input: BatchEvaluateRequest.items: invalid string value: data is not UTF-8 encoded",
        ),
        (
            "workflow_json not UTF-8",
            len_fields(&[(1, b"bad"), (2, &[b'{', 0xff, 0xfe])]),
            "BatchItem.input: BatchEvaluateRequest.items: invalid string value: data is not UTF-8 encoded",
        ),
        (
            "id not UTF-8",
            len_fields(&[(1, &[0xc3, 0x28])]),
            "BatchItem.id: BatchEvaluateRequest.items: invalid string value: data is not UTF-8 encoded",
        ),
        (
            "evidence truncated",
            len_fields(&[(1, b"cut"), (4, &[0x0a, 0x10])]),
            "Evidence.workflows: BatchItem.evidence: BatchEvaluateRequest.items: buffer underflow",
        ),
    ];
    // The broken item after enough good ones to be split across workers,
    // then after one (a batch that light is decided in place), and last: a
    // length that overruns its item runs out of body there, rather than
    // reading on into the next item.
    for ((name, bad, error), goods) in cases
        .iter()
        .flat_map(|case| [300, 1].map(|goods| (case, goods)))
    {
        let name = format!("{name}, after {goods} good items");
        let mut items: Vec<&[u8]> = vec![&good; goods];
        items.push(bad);
        let fields: Vec<(u32, &[u8])> = items.into_iter().map(|item| (2, item)).collect();
        grpc.ready().await.expect("ready");
        let path = tonic::codegen::http::uri::PathAndQuery::from_static(
            "/verdict.v1.DecisionService/BatchEvaluate",
        );
        let status = grpc
            .unary::<Vec<u8>, (), _>(tonic::Request::new(len_fields(&fields)), path, RawBytes)
            .await
            .expect_err(&name);
        assert_eq!(status.code(), Code::InvalidArgument, "{name}: {status:?}");
        assert_eq!(
            status.message(),
            format!("not a valid protobuf message: failed to decode Protobuf message: {error}"),
            "{name}"
        );
        let info = details(&status).error_info().cloned().expect("ErrorInfo");
        assert_eq!(info.reason, "INVALID_PROTOBUF", "{name}");
    }
    let mut client = server.client().await;
    let request = pb::BatchEvaluateRequest {
        items: vec![pb::BatchItem::decode(good.as_slice()).expect("good item")],
        ..Default::default()
    };
    let results = batch_evaluate(&mut client, request).await;
    assert!(
        matches!(
            &results[..],
            [pb::BatchResult {
                result: Some(pb::batch_result::Result::Decision(_)),
                ..
            }]
        ),
        "{results:?}"
    );
}

/// What a client and every gateway between it and the server would log.
fn error_size(status: &tonic::Status) -> usize {
    status.message().len() + status.details().len()
}

#[tokio::test]
async fn errors_never_echo_what_was_sent_and_stay_small() {
    // Values a workflow result carries that are personal data, or that are
    // only large: none of them may come back in an error.
    const NAME: &str = "Erika Mustermann";
    const DATE: &str = "15.06.1990";
    let huge_status = "PROCESSING_".repeat(360_000); // ~3.9 MB
    let long_id = "p".repeat(10 * 1024);
    let huge_id = "q".repeat(8 * 1024 * 1024);
    let body_with = |data: &str| {
        format!(
            r#"{{"workflow":{{"id":"w","status":"PROCESSED"}},"completedAt":"2025-03-04T10:20:05Z",
                "decision":{{"type":"PASSED","details":{{"label":"OK"}},"risk":{{"score":1}}}},
                "capabilities":{{"extraction":[{{"decision":{{"type":"PASSED"}},"data":{data}}}]}}}}"#
        )
    };
    let mut with_name_as_date = processed();
    with_name_as_date.capabilities[0].entries[0].data = Some(pb::CapabilityData {
        date_of_birth: NAME.to_owned(),
        ..Default::default()
    });
    let mut with_huge_score = processed();
    if let Some(decision) = with_huge_score.decision.as_mut() {
        decision.risk_score = Some(f64::MAX);
    }
    let cases: Vec<(&str, pb::EvaluateRequest, Code)> = vec![
        (
            "a name in a date field",
            json_request(body_with(&format!(r#"{{"dateOfBirth":"{NAME}"}}"#))),
            Code::InvalidArgument,
        ),
        (
            "a date in another format",
            json_request(body_with(&format!(r#"{{"expiryDate":"{DATE}"}}"#))),
            Code::InvalidArgument,
        ),
        (
            "a name where the score belongs",
            json_request(format!(
                r#"{{"workflow":{{"status":"PROCESSED"}},"decision":{{"type":"PASSED","risk":{{"score":"{NAME}"}}}}}}"#
            )),
            Code::InvalidArgument,
        ),
        (
            "a 3.9 MB status",
            json_request(format!(r#"{{"workflow":{{"status":"{huge_status}"}}}}"#)),
            Code::FailedPrecondition,
        ),
        (
            "a 10 KB policy id",
            pb::EvaluateRequest {
                policy_id: long_id,
                ..json_request(fixture("01-clean-pass-score-0.json"))
            },
            Code::NotFound,
        ),
        (
            "an 8 MB policy id",
            pb::EvaluateRequest {
                policy_id: huge_id,
                ..json_request(fixture("01-clean-pass-score-0.json"))
            },
            Code::NotFound,
        ),
        (
            "a name in a typed date",
            typed(with_name_as_date),
            Code::InvalidArgument,
        ),
        (
            "the largest float as a typed score",
            typed(with_huge_score),
            Code::InvalidArgument,
        ),
    ];
    let server = TestServer::start().await;
    let mut client = server.client().await;
    for (name, request, code) in cases {
        let single = client.evaluate(request.clone()).await.expect_err(name);
        assert_eq!(single.code(), code, "{name}: {single:?}");
        assert!(
            error_size(&single) < 2048,
            "{name}: {} bytes",
            error_size(&single)
        );
        // The same input as a batch item (or, for a policy id, the batch).
        let batch = client
            .batch_evaluate(pb::BatchEvaluateRequest {
                policy_id: request.policy_id.clone(),
                explain: false,
                items: vec![pb::BatchItem {
                    evidence: None,
                    id: "item".to_owned(),
                    input: request.input.clone().map(batch_input),
                }],
            })
            .await;
        let batch_error = match batch {
            Ok(response) => match &response.get_ref().results[0].result {
                Some(pb::batch_result::Result::Error(status)) => {
                    assert!(
                        status.encoded_len() < 2048,
                        "{name}: item of {} bytes",
                        status.encoded_len()
                    );
                    format!("{status:?}")
                }
                other => panic!("{name}: batch item {other:?}"),
            },
            Err(status) => {
                assert!(
                    error_size(&status) < 2048,
                    "{name}: batch {} bytes",
                    error_size(&status)
                );
                format!("{} {:?}", status.message(), details(&status))
            }
        };
        let shown = format!("{} {:?} {batch_error}", single.message(), details(&single));
        for secret in [
            NAME,
            DATE,
            "PROCESSING_PROCESSING_PROCESSING_PROCESSING",
            "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp",
        ] {
            assert!(!shown.contains(secret), "{name} echoes its input: {shown}");
        }
        // f64::MAX written out starts with these digits.
        assert!(!shown.contains("179769313486231570"), "{name}: {shown}");
    }
}
