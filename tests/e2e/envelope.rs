//! The common RPC envelope, tested once for every method the service has:
//! the list comes from the schema's descriptor, so an RPC added to the proto
//! is covered here without touching this test.

use prost::Message as _;
use prost_types::FileDescriptorSet;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::metadata::MetadataValue;
use tonic_prost::ProstCodec;

use crate::support::{TestServer, metrics};

/// Every method of `verdict.v1.DecisionService`, by name.
fn decision_service_methods() -> Vec<String> {
    let set = FileDescriptorSet::decode(verdict_api::FILE_DESCRIPTOR_SET).expect("descriptor set");
    set.file
        .iter()
        .filter(|file| file.package() == "verdict.v1")
        .flat_map(|file| &file.service)
        .filter(|service| service.name() == "DecisionService")
        .flat_map(|service| &service.method)
        .map(|method| method.name().to_owned())
        .collect()
}

/// Sum of `verdict_requests_total` over every status code of `rpc`.
fn requests_counted(rpc: &str) -> f64 {
    let label = format!("rpc=\"{rpc}\"");
    metrics()
        .render()
        .lines()
        .filter(|line| line.starts_with("verdict_requests_total{") && line.contains(&label))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn every_rpc_gets_a_request_id_and_is_counted() {
    let methods = decision_service_methods();
    for expected in ["Evaluate", "BatchEvaluate", "ListPolicies", "GetPolicy"] {
        assert!(methods.iter().any(|m| m == expected), "{methods:?}");
    }
    let server = TestServer::start().await;
    let mut grpc = tonic::client::Grpc::new(server.channel().await);
    for (index, method) in methods.iter().enumerate() {
        let before = requests_counted(method);
        // An empty message is a valid request of every method: whatever the
        // method answers (a result or an error), the envelope is around it.
        let sent_id = format!("envelope-test-{index}");
        let mut request = tonic::Request::new(());
        request.metadata_mut().insert(
            "x-request-id",
            MetadataValue::try_from(sent_id.as_str()).expect("ascii"),
        );
        grpc.ready().await.expect("channel ready");
        let path =
            PathAndQuery::try_from(format!("/verdict.v1.DecisionService/{method}")).expect("path");
        let answer = grpc
            .unary::<(), (), _>(request, path, ProstCodec::default())
            .await;
        let metadata = match &answer {
            Ok(response) => response.metadata(),
            Err(status) => status.metadata(),
        };
        let echoed = metadata
            .get("x-request-id")
            .and_then(|value| value.to_str().ok());
        assert_eq!(
            echoed,
            Some(sent_id.as_str()),
            "{method} answered {answer:?} without the request id"
        );
        // The counter is process-wide and other tests run in parallel, so it
        // is compared before and after: it grows by at least this call.
        assert!(
            requests_counted(method) >= before + 1.0,
            "{method} was not counted"
        );
    }
}
