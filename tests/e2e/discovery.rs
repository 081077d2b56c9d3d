//! Health and reflection, which grpcurl, ghz and load balancers rely on.

use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1alpha;

use verdict_api::loadtest::v1::baseline_service_client::BaselineServiceClient;
use verdict_api::loadtest::v1::{NoopRequest, NoopResponse, noop_request};
use verdict_server::ServeOptions;

use crate::support::{TestServer, fixture};

#[tokio::test]
async fn health_reports_serving_overall_and_for_the_decision_service() {
    let server = TestServer::start().await;
    let mut health = HealthClient::new(server.channel().await);
    for service in ["", "verdict.v1.DecisionService"] {
        let response = health
            .check(HealthCheckRequest {
                service: service.to_owned(),
            })
            .await
            .expect("health check")
            .into_inner();
        assert_eq!(response.status(), ServingStatus::Serving, "{service:?}");
    }
}

async fn reflect_v1(server: &TestServer, request: MessageRequest) -> MessageResponse {
    let mut client = ServerReflectionClient::new(server.channel().await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::once(request))
        .await
        .expect("reflection stream")
        .into_inner();
    responses
        .message()
        .await
        .expect("a reflection response")
        .expect("not end of stream")
        .message_response
        .expect("a message response")
}

#[tokio::test]
async fn reflection_v1_lists_every_service() {
    let server = TestServer::start().await;
    let MessageResponse::ListServicesResponse(list) =
        reflect_v1(&server, MessageRequest::ListServices(String::new())).await
    else {
        panic!("expected a service list");
    };
    let mut names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "grpc.health.v1.Health",
            // Each reflection version lists itself; v1alpha is tested below.
            "grpc.reflection.v1.ServerReflection",
            "verdict.v1.DecisionService",
        ]
    );
}

#[tokio::test]
async fn reflection_resolves_error_detail_types_for_readable_errors() {
    let server = TestServer::start().await;
    for symbol in [
        "google.rpc.BadRequest",
        "google.rpc.ErrorInfo",
        "google.rpc.Status",
        "verdict.v1.Decision",
    ] {
        let response = reflect_v1(
            &server,
            MessageRequest::FileContainingSymbol(symbol.to_owned()),
        )
        .await;
        assert!(
            matches!(response, MessageResponse::FileDescriptorResponse(ref files) if !files.file_descriptor_proto.is_empty()),
            "{symbol}: {response:?}"
        );
    }
}

#[tokio::test]
async fn reflection_v1alpha_answers_for_older_clients() {
    let server = TestServer::start().await;
    let mut client =
        v1alpha::server_reflection_client::ServerReflectionClient::new(server.channel().await);
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::FileContainingSymbol(
                "verdict.v1.DecisionService".to_owned(),
            ),
        ),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::once(request))
        .await
        .expect("stream")
        .into_inner();
    let response = responses
        .message()
        .await
        .expect("response")
        .expect("not end")
        .message_response;
    assert!(matches!(
        response,
        Some(v1alpha::server_reflection_response::MessageResponse::FileDescriptorResponse(_))
    ));
}

#[tokio::test]
async fn the_loadtest_baseline_is_served_and_listed_only_when_asked_for() {
    let server = TestServer::start_with_options(ServeOptions {
        loadtest_baseline: true,
        ..ServeOptions::default()
    })
    .await;
    let MessageResponse::ListServicesResponse(list) =
        reflect_v1(&server, MessageRequest::ListServices(String::new())).await
    else {
        panic!("expected a service list");
    };
    assert!(
        list.service
            .iter()
            .any(|service| service.name == "verdict.loadtest.v1.BaselineService")
    );

    let noop = || NoopRequest {
        input: Some(noop_request::Input::WorkflowJson(fixture(
            "01-clean-pass-score-0.json",
        ))),
        ..Default::default()
    };
    let mut baseline = BaselineServiceClient::new(server.channel().await);
    let response = baseline
        .noop(noop())
        .await
        .expect("the no-op answers")
        .into_inner();
    assert_eq!(response, NoopResponse::default());

    // Without the option the same call is UNIMPLEMENTED.
    let plain = TestServer::start().await;
    let status = BaselineServiceClient::new(plain.channel().await)
        .noop(noop())
        .await
        .expect_err("no baseline on a default server");
    assert_eq!(status.code(), tonic::Code::Unimplemented);
}
