//! The `verdict` command: `verdict serve` (the default) runs the gRPC server;
//! `verdict eval FILE…` decides retrieval bodies offline.

#![forbid(unsafe_code)]

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand};
use tokio::net::TcpListener;
use tracing::{error, info};
use tracing_subscriber::EnvFilter;
use verdict_server::decide::{Input, decide};
use verdict_server::{Limits, PolicyRegistry, ServeOptions, proto_json, serve};

/// verdict: decisions with reasons for Jumio identity-verification results.
#[derive(Debug, Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gRPC server (the default).
    Serve(ServeArgs),
    /// Decide retrieval-API bodies from files and print each decision as proto3 JSON.
    Eval(EvalArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "VERDICT_LISTEN", default_value = "127.0.0.1:50051")]
    listen: SocketAddr,
    /// Most items accepted in one BatchEvaluate.
    #[arg(long, env = "VERDICT_MAX_BATCH_SIZE", default_value_t = Limits::default().max_batch_size,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    max_batch_size: usize,
    /// Largest request or response message, in bytes.
    #[arg(long, env = "VERDICT_MAX_MESSAGE_BYTES", default_value_t = Limits::default().max_message_bytes,
          value_parser = clap::value_parser!(u32).range(1024..).map(|n| n as usize))]
    max_message_bytes: usize,
    /// Also serve verdict.loadtest.v1.Baseline, a no-op RPC that load tests
    /// compare Evaluate against. Off in production.
    #[arg(long, env = "VERDICT_LOADTEST_BASELINE")]
    loadtest_baseline: bool,
}

#[derive(Debug, Args)]
struct EvalArgs {
    /// Retrieval-API JSON bodies to decide.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Policy to decide with (default: the embedded default policy).
    #[arg(long, default_value = "")]
    policy_id: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Eval(args)) => eval(&args),
        Some(Command::Serve(args)) => run_server(&args),
        None => run_server(&cli.serve),
    }
}

fn init_logging() {
    // RUST_LOG picks levels, e.g. RUST_LOG=verdict_server=debug for a line per
    // request. Logs carry ids, outcomes and codes, never personal data.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn run_server(args: &ServeArgs) -> ExitCode {
    init_logging();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            error!(%error, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    let options = ServeOptions {
        limits: Limits {
            max_batch_size: args.max_batch_size,
            max_message_bytes: args.max_message_bytes,
        },
        loadtest_baseline: args.loadtest_baseline,
    };
    runtime.block_on(async {
        let listener = match TcpListener::bind(args.listen).await {
            Ok(listener) => listener,
            Err(error) => {
                error!(address = %args.listen, %error, "cannot listen");
                return ExitCode::FAILURE;
            }
        };
        let policies = Arc::new(PolicyRegistry::with_embedded_default());
        let policy = policies.default_policy().reference();
        info!(id = %policy.id, version = %policy.version, digest = %policy.digest, "default policy loaded");
        match serve(listener, policies, options, shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                error!(%error, "server failed");
                ExitCode::FAILURE
            }
        }
    })
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => info!("received SIGINT"),
                    _ = terminate.recv() => info!("received SIGTERM"),
                }
            }
            Err(error) => {
                error!(%error, "cannot listen for SIGTERM; stopping on SIGINT only");
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
        info!("received Ctrl-C");
    }
}

/// Decides each file; prints each decision as JSON on stdout and each failure
/// on stderr. Exits non-zero when any file could not be decided.
fn eval(args: &EvalArgs) -> ExitCode {
    let policies = PolicyRegistry::with_embedded_default();
    let policy = match policies.get(&args.policy_id) {
        Ok(policy) => policy,
        Err(error) => {
            eprintln!("verdict: {}", error.to_status().message());
            return ExitCode::from(2);
        }
    };
    let mut all_decided = true;
    for file in &args.files {
        let outcome = std::fs::read_to_string(file)
            .map_err(|error| error.to_string())
            .and_then(|body| {
                decide(Some(Input::Json(&body)), policy)
                    .map_err(|error| error.to_status().message().to_owned())
            })
            .and_then(|decision| proto_json::decision_to_json(&decision));
        match outcome {
            Ok(json) => println!("{json}"),
            Err(message) => {
                all_decided = false;
                eprintln!("verdict: {}: {message}", file.display());
            }
        }
    }
    if all_decided {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
