//! Builds and runs the gRPC server: the decision service, health and
//! reflection, readable top to bottom.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tracing::info;
use verdict_api::loadtest::v1::baseline_server::BaselineServer;
use verdict_api::v1::decision_service_server::DecisionServiceServer;

use crate::baseline::NoopBaseline;
use crate::policies::PolicyStore;
use crate::service::DecisionApi;

/// Limits a server enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most items in one `BatchEvaluate`.
    pub max_batch_size: usize,
    /// Largest request or response message, in bytes.
    pub max_message_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_batch_size: 1000,
            // A 1,000-item batch of ~6 KB retrieval bodies is ~6 MB; tonic's
            // 4 MiB default would refuse it.
            max_message_bytes: 16 * 1024 * 1024,
        }
    }
}

/// How a server is set up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServeOptions {
    pub limits: Limits,
    /// Also serve `verdict.loadtest.v1.Baseline` (a no-op) for load tests.
    pub loadtest_baseline: bool,
}

/// The error of building or running the server.
pub type ServeError = Box<dyn std::error::Error + Send + Sync>;

/// Serves on `listener` until `shutdown` completes, then drains: health turns
/// NOT_SERVING, new connections are refused and requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    policies: Arc<PolicyStore>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let ServeOptions {
        limits,
        loadtest_baseline,
    } = options;
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<DecisionServiceServer<DecisionApi>>()
        .await;

    // Reflection offers verdict's schema plus the health and google.rpc error
    // detail types, so grpcurl can call, describe and print error details
    // without any .proto file.
    let reflection = || {
        let builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(verdict_api::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET);
        if loadtest_baseline {
            builder.register_encoded_file_descriptor_set(verdict_api::LOADTEST_FILE_DESCRIPTOR_SET)
        } else {
            builder
        }
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;

    let decisions = DecisionServiceServer::new(DecisionApi::new(policies, limits.max_batch_size))
        .max_decoding_message_size(limits.max_message_bytes)
        .max_encoding_message_size(limits.max_message_bytes);

    // Same message limits as the decision service: the baseline must see the
    // same requests.
    let baseline = loadtest_baseline.then(|| {
        BaselineServer::new(NoopBaseline)
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes)
    });

    let address = listener.local_addr()?;
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    info!(%address, "serving verdict.v1.DecisionService");
    Server::builder()
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .http2_keepalive_timeout(Some(Duration::from_secs(10)))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(decisions)
        .add_optional_service(baseline)
        .serve_with_incoming_shutdown(incoming, async move {
            shutdown.await;
            info!("shutting down: draining requests in flight");
            health
                .set_not_serving::<DecisionServiceServer<DecisionApi>>()
                .await;
        })
        .await?;
    info!("stopped");
    Ok(())
}
