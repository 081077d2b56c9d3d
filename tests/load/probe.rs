//! Hostile-load probes against a running server (`tests/load/hostile` runs
//! them and records the figures). Each prints one line of `key=value` figures.
//!
//!   probe bounded-work ADDR SECONDS      4 clients sending 4 MB typed requests
//!                                        of 1,000,000 entries, while a fifth
//!                                        checks health every 100 ms
//!   probe batch-flood ADDR CLIENTS       CLIENTS concurrent 7.6 MB batches of
//!                                        1,000 full bodies, once each
//!   probe silent ADDR CONNECTIONS SECS   CONNECTIONS sockets that never speak;
//!                                        then how long until a real call gets
//!                                        through (tried for SECS), and how many
//!                                        of the silent ones the server closed

use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt as _;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use verdict_api::v1::decision_service_client::DecisionServiceClient;
use verdict_api::v1::{self as pb, batch_item, evaluate_request};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |index: usize| args.get(index).cloned().unwrap_or_default();
    let number = |index: usize| arg(index).parse::<u64>().unwrap_or(0);
    match arg(0).as_str() {
        "bounded-work" => bounded_work(&arg(1), number(2)).await,
        "batch-flood" => batch_flood(&arg(1), number(2)).await,
        "silent" => silent(&arg(1), number(2), number(3)).await,
        _ => Err("usage: probe bounded-work|batch-flood|silent ADDR …".into()),
    }
}

async fn channel(address: &str) -> Result<Channel, Error> {
    Ok(Channel::from_shared(format!("http://{address}"))?
        .connect()
        .await?)
}

fn client(channel: Channel) -> DecisionServiceClient<Channel> {
    DecisionServiceClient::new(channel)
        .max_encoding_message_size(64 * 1024 * 1024)
        .max_decoding_message_size(64 * 1024 * 1024)
}

fn million_entries() -> pb::EvaluateRequest {
    let entry = pb::CapabilityEntry {
        decision_type: pb::DecisionType::Warning as i32,
        ..Default::default()
    };
    pb::EvaluateRequest {
        input: Some(evaluate_request::Input::Workflow(pb::WorkflowResult {
            workflow: Some(pb::Workflow {
                id: "probe".to_owned(),
                status: pb::WorkflowStatus::Processed as i32,
                definition_key: String::new(),
            }),
            capabilities: vec![pb::Capability {
                name: "imageChecks".to_owned(),
                entries: vec![entry; 1_000_000],
            }],
            ..Default::default()
        })),
        explain: true,
        ..Default::default()
    }
}

async fn bounded_work(address: &str, seconds: u64) -> Result<(), Error> {
    let until = Instant::now() + Duration::from_secs(seconds);
    let request = million_entries();
    let mut senders = Vec::new();
    for _ in 0..4 {
        let mut client = client(channel(address).await?);
        let request = request.clone();
        senders.push(tokio::spawn(async move {
            let (mut sent, mut refused, mut other) = (0u64, 0u64, 0u64);
            while Instant::now() < until {
                sent += 1;
                match client.evaluate(request.clone()).await {
                    Err(status) if status.code() == tonic::Code::InvalidArgument => refused += 1,
                    _ => other += 1,
                }
            }
            (sent, refused, other)
        }));
    }
    let mut health = HealthClient::new(channel(address).await?);
    let mut worst = Duration::ZERO;
    let mut checks = 0u64;
    let mut failed = 0u64;
    while Instant::now() < until {
        let started = Instant::now();
        let answer = tokio::time::timeout(
            Duration::from_secs(5),
            health.check(HealthCheckRequest {
                service: "verdict.v1.DecisionService".to_owned(),
            }),
        )
        .await;
        worst = worst.max(started.elapsed());
        checks += 1;
        if !matches!(answer, Ok(Ok(_))) {
            failed += 1;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (mut sent, mut refused, mut other) = (0, 0, 0);
    for sender in senders {
        let (s, r, o) = sender.await?;
        sent += s;
        refused += r;
        other += o;
    }
    println!(
        "requests={sent} invalid_argument={refused} other={other} health_checks={checks} health_failed={failed} health_worst_ms={}",
        worst.as_millis()
    );
    Ok(())
}

async fn batch_flood(address: &str, clients: u64) -> Result<(), Error> {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let body = std::fs::read_to_string(fixtures.join("02-usability-rejected-blurred.json"))?;
    // About 7.6 KB per item, like the flood.
    let padded = format!(
        "{body}{}",
        " ".repeat(7_600usize.saturating_sub(body.len()))
    );
    let request = pb::BatchEvaluateRequest {
        items: (0..1000)
            .map(|index| pb::BatchItem {
                evidence: None,
                id: index.to_string(),
                input: Some(batch_item::Input::WorkflowJson(padded.clone())),
            })
            .collect(),
        ..Default::default()
    };
    let channel = channel(address).await?;
    let started = Instant::now();
    let calls: Vec<_> = (0..clients)
        .map(|_| {
            let mut client = client(channel.clone());
            let request = request.clone();
            tokio::spawn(async move { client.batch_evaluate(request).await.map(|_| ()) })
        })
        .collect();
    let (mut ok, mut shed, mut other) = (0u64, 0u64, 0u64);
    for call in calls {
        match call.await? {
            Ok(()) => ok += 1,
            Err(status) if status.code() == tonic::Code::ResourceExhausted => shed += 1,
            Err(_) => other += 1,
        }
    }
    println!(
        "batches={clients} ok={ok} resource_exhausted={shed} other={other} seconds={:.1}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn silent(address: &str, connections: u64, seconds: u64) -> Result<(), Error> {
    let mut sockets = Vec::new();
    for _ in 0..connections {
        match tokio::net::TcpStream::connect(address).await {
            Ok(socket) => sockets.push(socket),
            Err(_) => break,
        }
    }
    let opened = sockets.len();
    // A real client, tried every 100 ms while they hold their sockets: how
    // long until it gets through (the bound refuses it until the handshake
    // timeout closes silent sockets).
    let started = Instant::now();
    let mut served_ms = None;
    while started.elapsed() < Duration::from_secs(seconds) {
        let attempt = async {
            let channel = channel(address).await.ok()?;
            HealthClient::new(channel)
                .check(HealthCheckRequest::default())
                .await
                .ok()
        };
        if let Ok(Some(_)) = tokio::time::timeout(Duration::from_secs(1), attempt).await {
            served_ms = Some(started.elapsed().as_millis());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let served = served_ms.is_some();
    let served_ms = served_ms.unwrap_or_default();
    // How many of the silent sockets the server has closed by the end.
    tokio::time::sleep(Duration::from_secs(seconds).saturating_sub(started.elapsed())).await;
    let mut closed = 0;
    for socket in &mut sockets {
        let mut byte = [0u8; 1024];
        loop {
            match tokio::time::timeout(Duration::from_millis(10), socket.read(&mut byte)).await {
                Ok(Ok(0) | Err(_)) => {
                    closed += 1;
                    break;
                }
                Ok(Ok(_)) => {}
                Err(_) => break,
            }
        }
    }
    println!(
        "silent_opened={opened} real_call_served={served} real_call_ms={served_ms} silent_closed_after_{seconds}s={closed}"
    );
    Ok(())
}
