//! Builds and runs the gRPC server: the decision service, health and
//! reflection, readable top to bottom.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Server;
use tracing::{info, warn};
use verdict_api::codec::EntryLimits;
use verdict_api::loadtest::v1::baseline_service_server::BaselineServiceServer;
use verdict_api::v1::decision_service_server::DecisionServiceServer;

use crate::baseline::NoopBaseline;
use crate::body_budget::{BodyBudget, BodyBudgetLayer};
use crate::connections::{self, ConnectionLimits};
use crate::ledger::Recorder;
use crate::limits::Limits;
use crate::policy_store::PolicyStore;
use crate::routes::DecisionRoutes;
use crate::security::{Auth, TlsSettings};
use crate::service::DecisionApi;

/// Capability results one typed request may carry in all (a batch of up to
/// 1,000 workflows of 100 results each): a bound on what decoding allocates.
pub const MAX_ENTRIES_PER_MESSAGE: usize = 100_000;

/// How much longer than `rpc_timeout` the transport waits for a whole call.
const TRANSPORT_DEADLINE_MARGIN: Duration = Duration::from_secs(1);

/// How a server is set up.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    pub limits: Limits,
    /// Also serve `verdict.loadtest.v1.BaselineService` (a no-op) for load tests.
    pub loadtest_baseline: bool,
    /// TLS (and mTLS with a client CA); plaintext when `None`.
    pub tls: Option<TlsSettings>,
    /// Bearer tokens required by the decision service; open when `None`.
    pub auth: Option<Auth>,
    /// Whether health and reflection require a token too.
    pub auth_health: bool,
    pub auth_reflection: bool,
    /// Record every decision; stateless when `None`.
    pub ledger: Option<Recorder>,
    /// Ids of policies that decide beside every live decision (shadows).
    pub shadow_policies: Vec<String>,
}

/// The error of building or running the server.
pub type ServeError = Box<dyn std::error::Error + Send + Sync>;

/// Serves on `listener` until `shutdown` completes, then drains: health turns
/// NOT_SERVING, new connections are refused and requests in flight finish —
/// within `limits.shutdown_grace`, after which the server stops anyway.
pub async fn serve(
    listener: TcpListener,
    policies: Arc<PolicyStore>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let ServeOptions {
        limits,
        loadtest_baseline,
        tls,
        auth,
        auth_health,
        auth_reflection,
        ledger,
        shadow_policies,
    } = options;
    let auth = auth.unwrap_or_else(Auth::open);
    let guard = |protect: bool| if protect { auth.clone() } else { Auth::open() };
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

    // One budget for request bytes: unary bodies as they arrive (the layer),
    // stream items as they are decided (the stream, see body_budget.rs).
    let budget = BodyBudget::new(limits.max_request_bytes_in_flight);
    let decisions = DecisionRoutes::new(
        DecisionApi::new(
            policies,
            limits,
            ledger,
            shadow_policies,
            Arc::clone(&budget),
        ),
        limits.max_message_bytes,
        tls.is_some(),
    );

    // Same message limits as the decision service: the baseline must see the
    // same requests.
    let baseline = loadtest_baseline.then(|| {
        BaselineServiceServer::new(NoopBaseline)
            .max_decoding_message_size(limits.max_message_bytes)
            .max_encoding_message_size(limits.max_message_bytes)
    });

    // Typed requests are counted on the wire before prost decodes them.
    verdict_api::codec::limit_entries(EntryLimits {
        per_capability: verdict_core::MAX_ENTRIES_PER_CAPABILITY,
        per_workflow: verdict_core::MAX_ENTRIES,
        per_message: MAX_ENTRIES_PER_MESSAGE,
    });
    let address = listener.local_addr()?;
    let incoming = connections::guarded(
        listener,
        ConnectionLimits {
            max_connections: limits.max_connections,
            handshake_timeout: limits.handshake_timeout,
            idle_timeout: limits.idle_timeout,
        },
    );
    info!(
        tls = tls.is_some(),
        client_certificates = tls.as_ref().is_some_and(|tls| tls.client_ca_pem.is_some()),
        bearer_tokens = auth.is_enforced(),
        "transport security"
    );
    info!(%address, "serving verdict.v1.DecisionService");
    let draining = Arc::new(tokio::sync::Notify::new());
    let drain_started = Arc::clone(&draining);
    let mut builder = Server::builder();
    if let Some(tls) = &tls {
        builder = builder.tls_config(tls.server_config())?;
    }
    let server = builder
        .layer(BodyBudgetLayer(budget))
        .http2_keepalive_interval(Some(limits.keepalive_interval))
        .http2_keepalive_timeout(Some(limits.keepalive_timeout))
        .max_concurrent_streams(Some(limits.max_concurrent_streams))
        .initial_connection_window_size(limits.http2_window_bytes)
        .initial_stream_window_size(limits.http2_window_bytes)
        // Within HTTP/2's bounds (RFC 9113, 4.2) however `Limits` was built:
        // the configuration refuses others, h2 would panic on them.
        .max_frame_size(limits.http2_max_frame_bytes.clamp(16_384, 16_777_215))
        // Clients that cancel at their deadlines reset streams the server
        // has not accepted yet; h2's default of 20 such resets per connection
        // answers a loaded server's slowness with GOAWAY, failing every call
        // on the connection. As many as a connection may have streams open
        // tolerates that and still bounds a rapid-reset flood.
        .http2_max_pending_accept_reset_streams(Some(limits.max_concurrent_streams as usize))
        // A backstop that covers receiving the body too: a request whose body
        // stalls is cut here (CANCELLED), since the envelope's deadline
        // starts once the body is in. The margin lets the envelope answer
        // first, with its details, whenever the body did arrive.
        .timeout(limits.rpc_timeout + TRANSPORT_DEADLINE_MARGIN)
        .add_service(InterceptedService::new(health_service, guard(auth_health)))
        .add_service(InterceptedService::new(
            reflection_v1,
            guard(auth_reflection),
        ))
        .add_service(InterceptedService::new(
            reflection_v1alpha,
            guard(auth_reflection),
        ))
        .add_service(InterceptedService::new(decisions, auth.clone()))
        .add_optional_service(
            baseline.map(|baseline| InterceptedService::new(baseline, auth.clone())),
        )
        .serve_with_incoming_shutdown(incoming, async move {
            shutdown.await;
            info!(
                grace_ms = limits.shutdown_grace.as_millis(),
                "shutting down: draining requests in flight"
            );
            health
                .set_not_serving::<DecisionServiceServer<DecisionApi>>()
                .await;
            drain_started.notify_one();
        });
    let grace_over = async {
        draining.notified().await;
        tokio::time::sleep(limits.shutdown_grace).await;
    };
    tokio::select! {
        served = server => served?,
        () = grace_over => warn!("shutdown grace over: stopping with requests still in flight"),
    }
    info!("stopped");
    Ok(())
}
