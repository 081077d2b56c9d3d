//! A lean load client: the request is encoded once, each call sends those
//! bytes and counts the answer's without decoding it, so the client costs far
//! less per call than ghz (which builds and decodes every message) and the
//! server's capacity can be measured on a 2-core machine. tests/load/run uses
//! it beside ghz; method and figures in tests/load/README.md.
//!
//!   loadgen unary ADDR METHOD REQUEST_JSON SECONDS CONCURRENCY [SERVER_PID]
//!       CONCURRENCY callers on one connection, each calling METHOD
//!       (e.g. verdict.v1.DecisionService/BatchEvaluate) with REQUEST_JSON (the
//!       method's request in proto3 JSON, as ghz's --data-file) for SECONDS
//!   loadgen stream ADDR REQUEST_JSON ITEMS [SERVER_PID]
//!       one StreamEvaluate sending the StreamEvaluateRequest in REQUEST_JSON
//!       ITEMS times, reading the answers as they come
//!
//! Before loading, one call is decoded and checked: every decision present,
//! no item error. Prints one line of key=value figures; with SERVER_PID, the
//! server's CPU (user + system, from /proc) per call and per decision.

use std::str::FromStr as _;
use std::time::{Duration, Instant};

use prost::Message as _;
use prost::bytes::{Buf as _, BufMut as _, Bytes};
use prost_reflect::{DescriptorPool, DynamicMessage};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;
use verdict_api::v1 as pb;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Every message this client sends and receives: bytes as they are.
#[derive(Debug, Clone, Copy, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = Raw;
    type Decoder = Raw;
    fn encoder(&mut self) -> Raw {
        Raw
    }
    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Bytes;
    type Error = tonic::Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Bytes;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, tonic::Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    const USAGE: &str = "usage: loadgen unary ADDR METHOD REQUEST_JSON SECONDS CONCURRENCY [SERVER_PID] | loadgen stream ADDR REQUEST_JSON ITEMS [SERVER_PID]";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |index: usize| args.get(index).cloned().ok_or(USAGE);
    let number = |index: usize| -> Result<u64, Error> {
        let text = arg(index)?;
        Ok(text
            .parse()
            .map_err(|_| format!("{text:?} is not a whole number ({USAGE})"))?)
    };
    // Optional, but when given it must be one pid (`pgrep` may print several).
    let pid = |index: usize| -> Result<Option<u32>, Error> {
        args.get(index)
            .map(|text| {
                text.parse::<u32>()
                    .map_err(|_| format!("SERVER_PID {text:?} is not one process id").into())
            })
            .transpose()
    };
    match args.first().map(String::as_str) {
        Some("unary") => {
            let (seconds, concurrency) = (number(4)?, number(5)?);
            unary(&arg(1)?, &arg(2)?, &arg(3)?, seconds, concurrency, pid(6)?).await
        }
        Some("stream") => stream(&arg(1)?, &arg(2)?, number(3)?, pid(4)?).await,
        _ => Err(USAGE.into()),
    }
}

/// The request in REQUEST_JSON, as the method's input message, encoded.
fn encoded(method: &str, path: &str) -> Result<Bytes, Error> {
    let mut pool = DescriptorPool::decode(verdict_api::FILE_DESCRIPTOR_SET)?;
    pool.decode_file_descriptor_set(verdict_api::LOADTEST_FILE_DESCRIPTOR_SET)?;
    let (service, name) = method.split_once('/').ok_or("METHOD is SERVICE/NAME")?;
    let input = pool
        .get_service_by_name(service)
        .and_then(|service| service.methods().find(|m| m.name() == name))
        .ok_or_else(|| format!("{method} is not in the schema"))?
        .input();
    let text = std::fs::read_to_string(path)?;
    let mut deserializer = serde_json::Deserializer::from_str(&text);
    let message = DynamicMessage::deserialize(input, &mut deserializer)?;
    Ok(message.encode_to_vec().into())
}

/// Decisions in one answer of `method`, and an error if any item failed.
fn decisions_in(method: &str, answer: &[u8]) -> Result<u64, Error> {
    if method.ends_with("/BatchEvaluate") {
        let response = pb::BatchEvaluateResponse::decode(answer)?;
        if let Some(failed) = response
            .results
            .iter()
            .find(|r| !matches!(r.result, Some(pb::batch_result::Result::Decision(_))))
        {
            return Err(format!("item {} was not decided", failed.id).into());
        }
        return Ok(response.results.len() as u64);
    }
    if method.ends_with("/Evaluate") && pb::EvaluateResponse::decode(answer)?.decision.is_none() {
        return Err("no decision".into());
    }
    Ok(1)
}

async fn connect(address: &str) -> Result<tonic::client::Grpc<Channel>, Error> {
    let channel = Channel::from_shared(format!("http://{address}"))?
        .connect()
        .await?;
    Ok(tonic::client::Grpc::new(channel)
        .max_decoding_message_size(64 * 1024 * 1024)
        .max_encoding_message_size(64 * 1024 * 1024))
}

async fn call(
    grpc: &mut tonic::client::Grpc<Channel>,
    path: &PathAndQuery,
    request: &Bytes,
) -> Result<Bytes, Error> {
    grpc.ready().await?;
    Ok(grpc
        .unary(tonic::Request::new(request.clone()), path.clone(), Raw)
        .await?
        .into_inner())
}

async fn unary(
    address: &str,
    method: &str,
    request_path: &str,
    seconds: u64,
    concurrency: u64,
    server: Option<u32>,
) -> Result<(), Error> {
    let request = encoded(method, request_path)?;
    let path = PathAndQuery::from_str(&format!("/{method}"))?;
    let grpc = connect(address).await?;
    let per_call = decisions_in(method, &call(&mut grpc.clone(), &path, &request).await?)?;

    let cpu_before = server.map(cpu_seconds).transpose()?;
    let client_before = cpu_seconds(std::process::id())?;
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let callers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (mut grpc, path, request) = (grpc.clone(), path.clone(), request.clone());
            tokio::spawn(async move {
                let (mut calls, mut errors) = (0u64, 0u64);
                while Instant::now() < until {
                    match call(&mut grpc, &path, &request).await {
                        Ok(_) => calls += 1,
                        Err(_) => errors += 1,
                    }
                }
                (calls, errors)
            })
        })
        .collect();
    let (mut calls, mut errors) = (0u64, 0u64);
    for caller in callers {
        let (c, e) = caller.await?;
        calls += c;
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    report(
        calls,
        errors,
        calls * per_call,
        elapsed,
        server.zip(cpu_before),
        cpu_seconds(std::process::id())? - client_before,
    )
}

async fn stream(
    address: &str,
    request_path: &str,
    items: u64,
    server: Option<u32>,
) -> Result<(), Error> {
    let method = "verdict.v1.DecisionService/StreamEvaluate";
    let request = encoded(method, request_path)?;
    let path = PathAndQuery::from_str(&format!("/{method}"))?;
    let mut grpc = connect(address).await?;
    let cpu_before = server.map(cpu_seconds).transpose()?;
    let client_before = cpu_seconds(std::process::id())?;
    let started = Instant::now();
    grpc.ready().await?;
    let outbound = tokio_stream::iter(std::iter::repeat_n(request, usize::try_from(items)?));
    let mut answers = grpc
        .streaming(tonic::Request::new(outbound), path, Raw)
        .await?
        .into_inner();
    // Each answer is read on the wire, not decoded: `result` (field 1) holds a
    // BatchResult whose `decision` is field 2 (an item error is field 3).
    let decided_answer = |answer: &[u8]| {
        verdict_api::codec::fields(answer)
            .find(|(field, _)| *field == 1)
            .and_then(|(_, result)| result)
            .is_some_and(|result| verdict_api::codec::fields(result).any(|(field, _)| field == 2))
    };
    let (mut answered, mut decided) = (0u64, 0u64);
    while let Some(answer) = answers.message().await? {
        answered += 1;
        decided += u64::from(decided_answer(&answer));
    }
    // Items answered with an error, and items never answered.
    let errors = items.saturating_sub(decided);
    if answered != items {
        eprintln!("loadgen: {answered} answers to {items} items");
    }
    let elapsed = started.elapsed().as_secs_f64();
    report(
        1,
        errors,
        decided,
        elapsed,
        server.zip(cpu_before),
        cpu_seconds(std::process::id())? - client_before,
    )
}

fn report(
    calls: u64,
    errors: u64,
    decisions: u64,
    elapsed: f64,
    server: Option<(u32, f64)>,
    client_cpu: f64,
) -> Result<(), Error> {
    let mut line = format!(
        "calls={calls} errors={errors} decisions={decisions} seconds={elapsed:.2} calls_per_s={:.0} decisions_per_s={:.0} client_cpu_s={client_cpu:.2}",
        calls as f64 / elapsed,
        decisions as f64 / elapsed
    );
    if let Some((pid, before)) = server {
        let used = cpu_seconds(pid)? - before;
        line += &format!(
            " server_cpu_s={used:.2} server_cores={:.2} server_us_per_call={:.1} server_us_per_decision={:.2}",
            used / elapsed,
            used * 1e6 / calls.max(1) as f64,
            used * 1e6 / decisions.max(1) as f64
        );
    }
    println!("{line}");
    // The figures are printed either way; a run with failed calls fails.
    if errors > 0 {
        return Err(format!("{errors} of {calls} calls (or stream items) failed").into());
    }
    Ok(())
}

/// CPU seconds (user + system) a process has used: fields 14 and 15 of
/// /proc/PID/stat, in clock ticks of 1/100 s (USER_HZ, 100 on Linux).
fn cpu_seconds(pid: u32) -> Result<f64, Error> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|error| format!("process {pid}: {error}"))?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let after_name = stat.rsplit_once(')').ok_or("unreadable /proc stat")?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| -> Result<f64, Error> {
        Ok(fields
            .get(index)
            .ok_or("short /proc stat")?
            .parse::<f64>()?)
    };
    // After the name, utime and stime are the 12th and 13th fields.
    Ok((ticks(11)? + ticks(12)?) / 100.0)
}
