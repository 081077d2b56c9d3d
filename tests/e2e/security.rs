//! TLS, mTLS and bearer tokens, with certificates generated for the test.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::Code;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use verdict_api::v1::decision_service_client::DecisionServiceClient;
use verdict_server::{Auth, PolicyStore, ServeOptions, TlsSettings, serve};

use crate::support::{details, fixture, json_request};

/// A certificate authority that issues server and client certificates.
struct Authority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Authority {
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = KeyPair::generate().expect("CA key");
        Self {
            issuer: CertifiedIssuer::self_signed(params, key).expect("CA certificate"),
        }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// (certificate PEM, key PEM) for `names`.
    fn issue(&self, names: &[&str]) -> (String, String) {
        let params = CertificateParams::new(
            names
                .iter()
                .map(|name| (*name).to_owned())
                .collect::<Vec<_>>(),
        )
        .expect("params");
        let key = KeyPair::generate().expect("key");
        let certificate = params.signed_by(&key, &self.issuer).expect("signed");
        (certificate.pem(), key.serialize_pem())
    }
}

struct Server {
    port: u16,
    _stop: oneshot::Sender<()>,
}

async fn start(options: ServeOptions) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        serve(
            listener,
            Arc::new(PolicyStore::embedded_only()),
            options,
            async {
                let _ = stopped.await;
            },
        )
        .await
        .expect("server runs");
    });
    Server { port, _stop: stop }
}

async fn tls_channel(
    port: u16,
    ca: &str,
    identity: Option<&(String, String)>,
) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca))
        .domain_name("localhost");
    if let Some((cert, key)) = identity {
        tls = tls.identity(Identity::from_pem(cert, key));
    }
    Channel::from_shared(format!("https://localhost:{port}"))
        .expect("uri")
        .tls_config(tls)?
        .connect()
        .await
}

async fn decides(channel: Channel) -> Result<String, tonic::Status> {
    DecisionServiceClient::new(channel)
        .evaluate(json_request(fixture(
            "09-similarity-rejected-no-match.json",
        )))
        .await
        .map(|response| {
            response
                .into_inner()
                .decision
                .expect("decision")
                .result_code
        })
}

#[tokio::test]
async fn mutual_tls_admits_only_clients_with_a_certificate_from_its_ca() {
    let ca = Authority::new("verdict test CA");
    let (cert, key) = ca.issue(&["localhost"]);
    let client = ca.issue(&["backend.example"]);
    let stranger = Authority::new("someone else").issue(&["backend.example"]);
    let server = start(ServeOptions {
        tls: Some(TlsSettings {
            cert_pem: cert.into_bytes(),
            key_pem: key.into_bytes(),
            client_ca_pem: Some(ca.pem().into_bytes()),
        }),
        ..ServeOptions::default()
    })
    .await;

    let channel = tls_channel(server.port, &ca.pem(), Some(&client))
        .await
        .expect("a client with the CA's certificate connects");
    assert_eq!(decides(channel).await.expect("decided"), "FACE_MISMATCH");

    // A certificate from another CA, or none at all, is refused in the
    // handshake: the connection or the first call fails, nothing is decided.
    for identity in [Some(&stranger), None] {
        let refused = match tls_channel(server.port, &ca.pem(), identity).await {
            Err(_) => true,
            Ok(channel) => decides(channel).await.is_err(),
        };
        assert!(refused, "a client without a valid certificate got through");
    }

    // And the server still serves good clients.
    let channel = tls_channel(server.port, &ca.pem(), Some(&client))
        .await
        .expect("connects again");
    assert_eq!(decides(channel).await.expect("decided"), "FACE_MISMATCH");
}

#[tokio::test]
async fn tls_without_client_certificates_serves_any_client_that_trusts_the_server() {
    let ca = Authority::new("verdict test CA");
    let (cert, key) = ca.issue(&["localhost"]);
    let server = start(ServeOptions {
        tls: Some(TlsSettings {
            cert_pem: cert.into_bytes(),
            key_pem: key.into_bytes(),
            client_ca_pem: None,
        }),
        ..ServeOptions::default()
    })
    .await;
    let channel = tls_channel(server.port, &ca.pem(), None)
        .await
        .expect("connects");
    assert_eq!(decides(channel).await.expect("decided"), "FACE_MISMATCH");

    // A plaintext client cannot talk to a TLS server.
    let plain = Channel::from_shared(format!("http://127.0.0.1:{}", server.port))
        .expect("uri")
        .connect()
        .await;
    if let Ok(channel) = plain {
        assert!(decides(channel).await.is_err());
    }
}

#[tokio::test]
async fn bearer_tokens_guard_the_decision_service_and_optionally_health() {
    let open_health = start(ServeOptions {
        auth: Some(Auth::tokens(["t0ken"])),
        ..ServeOptions::default()
    })
    .await;
    let channel = |port: u16| async move {
        Channel::from_shared(format!("http://127.0.0.1:{port}"))
            .expect("uri")
            .connect()
            .await
            .expect("connect")
    };
    let with_token = |token: &str| {
        let mut request = tonic::Request::new(json_request(fixture(
            "09-similarity-rejected-no-match.json",
        )));
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("ascii"),
        );
        request
    };
    let mut client = DecisionServiceClient::new(channel(open_health.port).await);
    let ok = client
        .evaluate(with_token("t0ken"))
        .await
        .expect("a valid token");
    assert_eq!(
        ok.into_inner().decision.expect("decision").result_code,
        "FACE_MISMATCH"
    );
    for wrong in ["t0ke", "t0ken2", ""] {
        let status = client
            .evaluate(with_token(wrong))
            .await
            .expect_err("a wrong token");
        assert_eq!(status.code(), Code::Unauthenticated, "{wrong:?}");
        let info = details(&status).error_info().cloned().expect("ErrorInfo");
        assert_eq!(info.reason, "INVALID_TOKEN");
    }
    let status = client
        .evaluate(json_request(fixture(
            "09-similarity-rejected-no-match.json",
        )))
        .await
        .expect_err("no token");
    assert_eq!(status.code(), Code::Unauthenticated);
    // Health stays open by default: load balancers carry no token.
    let mut health = HealthClient::new(channel(open_health.port).await);
    health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health is open");

    let guarded_health = start(ServeOptions {
        auth: Some(Auth::tokens(["t0ken"])),
        auth_health: true,
        ..ServeOptions::default()
    })
    .await;
    let mut health = HealthClient::new(channel(guarded_health.port).await);
    let status = health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect_err("health needs a token now");
    assert_eq!(status.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn reflection_is_open_by_default_and_guarded_when_asked() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;

    let list_services = |port: u16| async move {
        let channel = Channel::from_shared(format!("http://127.0.0.1:{port}"))
            .expect("uri")
            .connect()
            .await
            .expect("connect");
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut client = ServerReflectionClient::new(channel);
        match client
            .server_reflection_info(tokio_stream::once(request))
            .await
        {
            Ok(response) => response.into_inner().message().await.map(|_| ()),
            Err(status) => Err(status),
        }
    };
    let open = start(ServeOptions {
        auth: Some(Auth::tokens(["t0ken"])),
        ..ServeOptions::default()
    })
    .await;
    list_services(open.port)
        .await
        .expect("reflection is open by default");
    let guarded = start(ServeOptions {
        auth: Some(Auth::tokens(["t0ken"])),
        auth_reflection: true,
        ..ServeOptions::default()
    })
    .await;
    let status = list_services(guarded.port)
        .await
        .expect_err("needs a token");
    assert_eq!(status.code(), Code::Unauthenticated);
}
