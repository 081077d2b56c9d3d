//! Connection hygiene: peers that connect and say nothing, more connections
//! than allowed, and a request whose body stalls.

use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt as _;
use tokio::net::TcpStream;
use verdict_server::{Limits, ServeOptions};

use crate::support::{
    HTTP2_HELLO, TestServer, counter, evaluate_json, fixture, http2_frames, http2_peer,
    raw_evaluate_call,
};

async fn start(limits: Limits) -> TestServer {
    TestServer::start_with_options(ServeOptions {
        limits,
        ..ServeOptions::default()
    })
    .await
}

/// Waits until the server closes `stream` (EOF or reset), or `limit` passes;
/// returns how long that took.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 256];
    loop {
        match tokio::time::timeout(
            limit.saturating_sub(started.elapsed()),
            stream.read(&mut buf),
        )
        .await
        {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            // The server's own preface/SETTINGS: keep reading.
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn a_peer_that_never_sends_the_preface_is_closed() {
    let server = start(Limits {
        handshake_timeout: Duration::from_millis(300),
        ..Limits::default()
    })
    .await;
    let mut silent = TcpStream::connect(server.address).await.expect("connect");
    let took = closed_within(&mut silent, Duration::from_secs(5))
        .await
        .expect("closed by the server");
    assert!(took >= Duration::from_millis(250), "closed after {took:?}");
    // A client that speaks is served as usual.
    let mut client = server.client().await;
    let decision = evaluate_json(&mut client, fixture("01-clean-pass-score-0.json")).await;
    assert_eq!(decision.result_code, "APPROVED");
}

#[tokio::test]
async fn a_peer_that_falls_silent_after_the_handshake_is_closed() {
    let server = start(Limits {
        handshake_timeout: Duration::from_secs(60),
        idle_timeout: Duration::from_millis(500),
        ..Limits::default()
    })
    .await;
    // The HTTP/2 preface and an empty SETTINGS frame, then nothing.
    let mut peer = http2_peer(server.address).await;
    let took = closed_within(&mut peer, Duration::from_secs(10))
        .await
        .expect("closed by the server");
    assert!(took >= Duration::from_millis(400), "closed after {took:?}");
}

#[tokio::test]
async fn connections_past_the_bound_are_closed_and_counted_and_room_comes_back() {
    let server = start(Limits {
        max_connections: 3,
        handshake_timeout: Duration::from_secs(60),
        ..Limits::default()
    })
    .await;
    let refused_before = counter("verdict_connections_refused_total");
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(server.address).await.expect("connect"));
    }
    // Give the accept loop time to take the three.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut fourth = TcpStream::connect(server.address).await.expect("connect");
    assert!(
        closed_within(&mut fourth, Duration::from_secs(2))
            .await
            .is_some(),
        "the fourth connection stays open"
    );
    assert!(counter("verdict_connections_refused_total") > refused_before);
    // Room comes back when a connection goes.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut client = server.client().await;
    let decision = evaluate_json(&mut client, fixture("01-clean-pass-score-0.json")).await;
    assert_eq!(decision.result_code, "APPROVED");
}

#[tokio::test]
async fn a_request_whose_body_stalls_ends_at_the_deadline() {
    let server = start(Limits {
        rpc_timeout: Duration::from_millis(300),
        ..Limits::default()
    })
    .await;
    let (response, mut body, driver) = raw_evaluate_call(server.address).await;
    // A gRPC frame header announcing 1,000 bytes, then silence; the client
    // goes on answering pings (its connection task keeps running).
    body.send_data(vec![0, 0, 0, 3, 232].into(), false)
        .expect("send the frame header");
    let started = Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(5), response)
        .await
        .expect("answered before the client gave up")
        .expect("a response");
    let status = response
        .headers()
        .get("grpc-status")
        .map(|value| value.to_str().unwrap_or_default().to_owned());
    let mut rest = response.into_body();
    let trailers = tokio::time::timeout(Duration::from_secs(5), rest.trailers())
        .await
        .ok()
        .and_then(Result::ok)
        .flatten();
    let status = status.or_else(|| {
        trailers
            .as_ref()
            .and_then(|trailers| trailers.get("grpc-status"))
            .map(|value| value.to_str().unwrap_or_default().to_owned())
    });
    // DEADLINE_EXCEEDED (4) or CANCELLED (1): the server stopped waiting.
    assert!(
        matches!(status.as_deref(), Some("4" | "1")),
        "status {status:?} after {:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    driver.abort();
}

/// An HTTP/2 frame: 9-byte header, then `payload`.
fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len())
        .expect("small frame")
        .to_be_bytes();
    let mut bytes = vec![len[1], len[2], len[3], kind, flags];
    bytes.extend_from_slice(&stream.to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

/// Reads frames until the connection closes; returns the GOAWAY error code,
/// if one came.
async fn goaway_code(stream: &mut TcpStream) -> Option<u32> {
    let mut read = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) | Err(_) => break,
            Ok(Ok(n)) => read.extend_from_slice(&buf[..n]),
        }
    }
    // GOAWAY (type 7): the last stream id, then the error code.
    http2_frames(&read)
        .into_iter()
        .find(|&(kind, payload)| kind == 0x7 && payload.len() >= 8)
        .map(|(_, payload)| u32::from_be_bytes([payload[4], payload[5], payload[6], payload[7]]))
}

#[tokio::test]
async fn a_rapid_reset_flood_is_cut_off_with_goaway() {
    use tokio::io::AsyncWriteExt as _;
    let server = start(Limits::default()).await;
    let mut tcp = TcpStream::connect(server.address).await.expect("connect");
    let mut flood = HTTP2_HELLO.to_vec();
    // Open a stream and cancel it at once, thousands of times: HEADERS
    // (:method POST, :scheme http, :path / from HPACK's static table), then
    // RST_STREAM CANCEL.
    for stream in (1..20_000u32).step_by(2) {
        flood.extend(frame(0x1, 0x4, stream, &[0x83, 0x86, 0x84]));
        flood.extend(frame(0x3, 0, stream, &8u32.to_be_bytes()));
    }
    tcp.write_all(&flood).await.expect("send the flood");
    // ENHANCE_YOUR_CALM (0xb): the connection is cut, not served.
    assert_eq!(goaway_code(&mut tcp).await, Some(0xb));
    // Everyone else is still served.
    let mut client = server.client().await;
    let decision = evaluate_json(&mut client, fixture("01-clean-pass-score-0.json")).await;
    assert_eq!(decision.result_code, "APPROVED");
}
