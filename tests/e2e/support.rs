//! Starting a server on an ephemeral port and talking to it.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tonic::transport::Channel;
use tonic_types::{ErrorDetails, StatusExt};
use verdict_api::v1::decision_service_client::DecisionServiceClient;
use verdict_api::v1::{self as pb, evaluate_request};
use verdict_server::{LedgerFailure, Limits, PolicyStore, Recorder, ServeOptions, serve};

/// The Prometheus recorder every server in this test binary reports to
/// (metrics are process-global, so tests compare before and after).
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let handle = PrometheusBuilder::new()
            .install_recorder()
            .expect("one recorder per test binary");
        verdict_server::metrics::enable();
        handle
    })
}

/// A recorder on the ledger at `location`.
pub async fn recorder(location: &str, failure: LedgerFailure) -> Recorder {
    let store = verdict_ledger::Store::open(location)
        .await
        .expect("ledger opens");
    let ledger = verdict_ledger::Ledger::start(store, verdict_server::metrics::ledger_commit);
    Recorder { ledger, failure }
}

/// The value of one counter series in the rendered metrics, 0 when absent.
pub fn counter(series: &str) -> f64 {
    metrics()
        .render()
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// A running server; dropping it shuts the server down.
pub struct TestServer {
    pub address: SocketAddr,
    _shutdown: oneshot::Sender<()>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(Limits::default()).await
    }

    pub async fn start_with(limits: Limits) -> Self {
        Self::start_with_options(ServeOptions {
            limits,
            ..ServeOptions::default()
        })
        .await
    }

    pub async fn start_with_options(options: ServeOptions) -> Self {
        Self::start_full(options, Arc::new(PolicyStore::embedded_only())).await
    }

    /// A server recording its decisions in the ledger at `location`.
    pub async fn start_with_ledger(location: &str, failure: LedgerFailure) -> Self {
        Self::start_with_ledger_and_policies(
            location,
            failure,
            Arc::new(PolicyStore::embedded_only()),
        )
        .await
    }

    pub async fn start_with_ledger_and_policies(
        location: &str,
        failure: LedgerFailure,
        policies: Arc<PolicyStore>,
    ) -> Self {
        Self::start_full(
            ServeOptions {
                ledger: Some(recorder(location, failure).await),
                ..ServeOptions::default()
            },
            policies,
        )
        .await
    }

    /// A server deciding with `policies` (kept by the caller to reload them).
    pub async fn start_with_policies(policies: Arc<PolicyStore>) -> Self {
        Self::start_full(ServeOptions::default(), policies).await
    }

    /// A server with these options deciding with `policies`.
    pub async fn start_full(mut options: ServeOptions, policies: Arc<PolicyStore>) -> Self {
        metrics();
        // Queue-delay shedding reads wall-clock lateness, and each test's
        // runtime is one thread sharing two cores with every other test: the
        // OS descheduling it would read as queueing and shed requests of
        // tests about something else. Off unless a test sets its own bound
        // (tests/e2e/limits.rs does, to test the shedding).
        if options.limits.max_queue_delay == Limits::default().max_queue_delay {
            options.limits.max_queue_delay = std::time::Duration::ZERO;
        }
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind an ephemeral port");
        let address = listener.local_addr().expect("local address");
        let (shutdown, stop) = oneshot::channel::<()>();
        tokio::spawn(async move {
            serve(listener, policies, options, async {
                let _ = stop.await;
            })
            .await
            .expect("server runs");
        });
        Self {
            address,
            _shutdown: shutdown,
        }
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.address))
            .expect("valid uri")
            .connect()
            .await
            .expect("connect to the test server")
    }

    pub async fn client(&self) -> DecisionServiceClient<Channel> {
        DecisionServiceClient::new(self.channel().await).max_decoding_message_size(64 * 1024 * 1024)
    }
}

/// Values in the fixtures that are personal data (names, birth dates,
/// document numbers, addresses): none may reach logs, metrics or the ledger.
/// Only strings no library output can contain by chance: the postal code
/// "90000" also turns up in timestamps and HTTP/2 frame sizes.
pub const PERSONAL_VALUES: [&str; 9] = [
    "JORDAN",
    "EXAMPLEMAN",
    "MUSTERPERSON",
    "1990-06-15",
    "1988-02-29",
    "X0000123",
    "P0000000",
    "SAMPLE ST",
    "SPRINGFIELD",
];

/// A final workflow result the default policy approves, a few hundred bytes
/// long: what a call under a small message limit can still carry.
pub const SMALL_PASSED: &str = r#"{"workflow": {"status": "PROCESSED"}, "decision": {"type": "PASSED"},
    "capabilities": {"usability": [{"decision": {"type": "PASSED", "details": {"label": "OK"}}}]}}"#;

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The decision-bearing fixtures (every one but the callback and legacy
/// Netverify bodies).
pub fn workflow_fixtures() -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR")))
            .expect("fixtures folder")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|name| {
                name.ends_with(".json") && !name.contains("callback") && !name.contains("netverify")
            })
            .collect();
    names.sort();
    names
}

pub fn json_request(body: impl Into<String>) -> pb::EvaluateRequest {
    pb::EvaluateRequest {
        evidence: None,
        policy_id: String::new(),
        explain: false,
        input: Some(evaluate_request::Input::WorkflowJson(body.into())),
    }
}

pub async fn evaluate_json(
    client: &mut DecisionServiceClient<Channel>,
    body: impl Into<String>,
) -> pb::Decision {
    decision_of(client, json_request(body)).await
}

/// The decision `request` is answered with.
pub async fn decision_of(
    client: &mut DecisionServiceClient<Channel>,
    request: pb::EvaluateRequest,
) -> pb::Decision {
    client
        .evaluate(request)
        .await
        .expect("evaluate succeeds")
        .into_inner()
        .decision
        .expect("a decision")
}

/// The error details of a status, decoded.
pub fn details(status: &tonic::Status) -> ErrorDetails {
    status
        .check_error_details()
        .expect("well-formed error details")
}

/// The details of a batch item's `google.rpc.Status`.
pub fn rpc_status_details(status: &tonic_types::pb::Status) -> ErrorDetails {
    use prost::Message;
    let code = tonic::Code::from_i32(status.code);
    tonic::Status::with_details(code, status.message.clone(), status.encode_to_vec().into())
        .get_error_details()
}

/// The field of the first `BadRequest` violation.
pub fn violated_field(details: &ErrorDetails) -> String {
    let violations = &details
        .bad_request()
        .expect("a BadRequest detail")
        .field_violations;
    violations
        .first()
        .expect("at least one field violation")
        .field
        .clone()
}

/// A batch item of `workflow_json` `body`, without evidence.
pub fn batch_item(id: &str, body: impl Into<String>) -> pb::BatchItem {
    pb::BatchItem {
        evidence: None,
        id: id.to_owned(),
        input: Some(pb::batch_item::Input::WorkflowJson(body.into())),
    }
}

/// Sends a batch and returns its results.
pub async fn batch_evaluate(
    client: &mut DecisionServiceClient<Channel>,
    request: pb::BatchEvaluateRequest,
) -> Vec<pb::BatchResult> {
    client
        .batch_evaluate(request)
        .await
        .expect("the batch call succeeds")
        .into_inner()
        .results
}

/// A raw HTTP/2 Evaluate call whose body the test writes itself (to stall it,
/// or send part of it): the response future, the body stream, and the task
/// driving the connection (it answers pings while the test waits).
pub async fn raw_evaluate_call(
    address: SocketAddr,
) -> (
    h2::client::ResponseFuture,
    h2::SendStream<prost::bytes::Bytes>,
    tokio::task::JoinHandle<Result<(), h2::Error>>,
) {
    raw_call(address, "verdict.v1.DecisionService/Evaluate").await
}

/// [`raw_evaluate_call`] of any method, by its path (`package.Service/Method`).
pub async fn raw_call(
    address: SocketAddr,
    method: &str,
) -> (
    h2::client::ResponseFuture,
    h2::SendStream<prost::bytes::Bytes>,
    tokio::task::JoinHandle<Result<(), h2::Error>>,
) {
    let tcp = TcpStream::connect(address).await.expect("connect");
    // h2 grants a stream no more capacity than its send buffer (400 KiB by
    // default): room for what the server's windows allow.
    let (h2, connection) = h2::client::Builder::new()
        .max_send_buffer_size(16 << 20)
        .handshake(tcp)
        .await
        .expect("h2 handshake");
    let driver = tokio::spawn(connection);
    let mut h2 = h2.ready().await.expect("ready");
    let request = tonic::codegen::http::Request::builder()
        .method("POST")
        .uri(format!("http://{address}/{method}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .expect("request");
    let (response, body) = h2.send_request(request, false).expect("send headers");
    (response, body, driver)
}

/// HTTP/2's client preface and an empty SETTINGS frame: enough to open a
/// connection by hand.
pub const HTTP2_HELLO: &[u8] =
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

/// A connection to `address` that has sent [`HTTP2_HELLO`] and nothing else.
pub async fn http2_peer(address: SocketAddr) -> TcpStream {
    use tokio::io::AsyncWriteExt as _;

    let mut peer = TcpStream::connect(address).await.expect("connect");
    peer.write_all(HTTP2_HELLO)
        .await
        .expect("preface and empty SETTINGS");
    peer
}

/// The complete HTTP/2 frames at the start of `bytes`, each as its type
/// and payload.
pub fn http2_frames(bytes: &[u8]) -> Vec<(u8, &[u8])> {
    let mut frames = Vec::new();
    let mut at = 0;
    while at + 9 <= bytes.len() {
        let len = usize::from(bytes[at]) << 16
            | usize::from(bytes[at + 1]) << 8
            | usize::from(bytes[at + 2]);
        let Some(payload) = bytes.get(at + 9..at + 9 + len) else {
            break;
        };
        frames.push((bytes[at + 3], payload));
        at += 9 + len;
    }
    frames
}
