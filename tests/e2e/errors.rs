//! Every error code a single Evaluate can return, with its details, and the
//! server still serving afterwards.

use tonic::Code;
use verdict_api::v1::{self as pb, evaluate_request};

use crate::support::{
    SMALL_PASSED, TestServer, details, evaluate_json, fixture, json_request, violated_field,
};

#[tokio::test]
async fn an_ill_typed_field_is_invalid_argument_naming_its_path_line_and_column() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let body = "{\"workflow\": {\"status\": \"PROCESSED\"},\n \"decision\": {\"type\": \"PASSED\", \"risk\": {\"score\": {\"v\": 1}}}}";
    let status = client
        .evaluate(json_request(body))
        .await
        .expect_err("object score");
    assert_eq!(status.code(), Code::InvalidArgument);
    let details = details(&status);
    let violations = &details.bad_request().expect("BadRequest").field_violations;
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].field, "workflow_json.decision.risk.score");
    assert!(
        violations[0].description.contains("line 2 column"),
        "{}",
        violations[0].description
    );
    let info = details.error_info().expect("ErrorInfo");
    assert_eq!(
        (info.reason.as_str(), info.domain.as_str()),
        ("INVALID_WORKFLOW_JSON", "verdict.v1")
    );
    assert_eq!(info.metadata["json_path"], "$.decision.risk.score");
    assert_eq!(info.metadata["line"], "2");
    assert!(info.metadata["column"].parse::<u32>().expect("a number") > 0);
    // Still serving.
    let decision = evaluate_json(&mut client, fixture("01-clean-pass-score-0.json")).await;
    assert_eq!(decision.outcome(), pb::Outcome::Approve);
}

#[tokio::test]
async fn malformed_truncated_and_empty_bodies_are_invalid_argument() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let truncated = fixture("06-datachecks-rejected-mrz-checksum.json");
    let truncated = &truncated[..truncated.len() / 2];
    for body in [
        "",
        "not json",
        "[]",
        truncated,
        "{\"workflow\": {\"status\": 3}}",
    ] {
        let status = client.evaluate(json_request(body)).await.expect_err(body);
        assert_eq!(status.code(), Code::InvalidArgument, "{body}");
        assert!(details(&status).bad_request().is_some(), "{body}");
    }
}

#[tokio::test]
async fn a_workflow_that_is_not_final_is_failed_precondition() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    for status_name in ["INITIATED", "ACQUIRED", "ACQUISITION_STARTED"] {
        let body = format!(r#"{{"workflow": {{"id": "w", "status": "{status_name}"}}}}"#);
        let status = client
            .evaluate(json_request(body))
            .await
            .expect_err(status_name);
        assert_eq!(status.code(), Code::FailedPrecondition);
        let details = details(&status);
        let info = details.error_info().expect("ErrorInfo");
        assert_eq!(info.reason, "WORKFLOW_NOT_FINAL");
        assert_eq!(info.metadata["status"], status_name);
    }
}

#[tokio::test]
async fn an_unknown_policy_is_not_found() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let mut request = json_request(fixture("01-clean-pass-score-0.json"));
    request.policy_id = "strict-eu".to_owned();
    let status = client.evaluate(request).await.expect_err("no such policy");
    assert_eq!(status.code(), Code::NotFound);
    let details = details(&status);
    let resource = details.resource_info().expect("ResourceInfo");
    assert_eq!(
        (
            resource.resource_type.as_str(),
            resource.resource_name.as_str()
        ),
        ("verdict.v1.Policy", "strict-eu")
    );
    // The default policy can also be named explicitly.
    let mut request = json_request(fixture("01-clean-pass-score-0.json"));
    request.policy_id = "jumio-default".to_owned();
    assert!(client.evaluate(request).await.is_ok());
}

#[tokio::test]
async fn a_request_without_input_is_invalid_argument() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let status = client
        .evaluate(pb::EvaluateRequest::default())
        .await
        .expect_err("no input");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_field(&details(&status)), "input");
}

#[tokio::test]
async fn typed_input_with_unset_enums_or_bad_values_is_invalid_argument_naming_the_field() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let workflow = |status: i32, decision_type: i32, score: Option<f64>| pb::WorkflowResult {
        workflow: Some(pb::Workflow {
            id: "w".to_owned(),
            status,
            definition_key: String::new(),
        }),
        decision: Some(pb::TopLevelDecision {
            r#type: decision_type,
            label: String::new(),
            risk_score: score,
        }),
        ..Default::default()
    };
    let processed = pb::WorkflowStatus::Processed as i32;
    let passed = pb::DecisionType::Passed as i32;
    let with_capabilities = |capabilities: Vec<pb::Capability>| pb::WorkflowResult {
        capabilities,
        ..workflow(processed, passed, None)
    };
    let entry = |decision_type: i32| pb::CapabilityEntry {
        decision_type,
        label: "OK".to_owned(),
        ..Default::default()
    };
    let bad_timestamp = pb::WorkflowResult {
        completed_at: Some(prost_types::Timestamp {
            seconds: 0,
            nanos: -1,
        }),
        ..workflow(processed, passed, None)
    };
    for (typed, field) in [
        (bad_timestamp, "workflow.completed_at"),
        (
            with_capabilities(vec![pb::Capability {
                name: String::new(),
                entries: vec![entry(passed)],
            }]),
            "workflow.capabilities[0].name",
        ),
        (
            with_capabilities(vec![
                pb::Capability {
                    name: "usability".to_owned(),
                    entries: vec![entry(passed)],
                },
                pb::Capability {
                    name: "liveness".to_owned(),
                    entries: vec![entry(passed), entry(0)],
                },
            ]),
            "workflow.capabilities[1].entries[1].decision_type",
        ),
        (workflow(0, passed, None), "workflow.workflow.status"),
        (workflow(99, passed, None), "workflow.workflow.status"),
        (workflow(processed, 0, None), "workflow.decision.type"),
        (workflow(processed, 42, None), "workflow.decision.type"),
        (
            workflow(processed, passed, Some(101.0)),
            "workflow.decision.risk_score",
        ),
        (
            workflow(processed, passed, Some(f64::NAN)),
            "workflow.decision.risk_score",
        ),
        (pb::WorkflowResult::default(), "workflow.workflow"),
    ] {
        let request = pb::EvaluateRequest {
            evidence: None,
            policy_id: String::new(),
            explain: false,
            input: Some(evaluate_request::Input::Workflow(typed)),
        };
        let status = client.evaluate(request).await.expect_err(field);
        assert_eq!(status.code(), Code::InvalidArgument, "{field}");
        assert_eq!(violated_field(&details(&status)), field);
    }
}

#[tokio::test]
async fn an_oversize_request_is_out_of_range_and_the_server_keeps_serving() {
    let server = TestServer::start_with(verdict_server::Limits {
        max_message_bytes: 2048,
        ..verdict_server::Limits::default()
    })
    .await;
    let mut client = server.client().await;
    let status = client
        .evaluate(json_request(fixture("01-clean-pass-score-0.json")))
        .await
        .expect_err("an 8 KB body over a 2 KB limit");
    assert_eq!(status.code(), Code::OutOfRange);
    let decision = evaluate_json(&mut client, SMALL_PASSED).await;
    assert_eq!(decision.outcome(), pb::Outcome::Approve);
}
