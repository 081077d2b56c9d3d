//! The `verdict` command: `verdict serve` (the default) runs the gRPC server;
//! `verdict eval FILE…` decides retrieval bodies offline.

#![forbid(unsafe_code)]

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use tokio::net::TcpListener;
use tracing::{error, info};
use tracing_subscriber::EnvFilter;
use verdict_server::config::{Config, LogFormat};
use verdict_server::decide::{DecideOptions, Input, decide};
use verdict_server::{
    Auth, PolicyStore, ServeOptions, TlsSettings, commands, metrics, proto_json, reload, serve,
};

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
    Serve(Box<ServeArgs>),
    /// Decide retrieval-API bodies from files and print each decision as proto3 JSON.
    Eval(EvalArgs),
    /// Check, test and compare policy files.
    #[command(subcommand)]
    Policy(PolicyCommand),
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Validate policies and walk every combination of finding and facts:
    /// list findings that only a fallback decides and rules that can never fire.
    /// Exits 1 on validation errors; warnings do not fail.
    Check {
        /// Policy files or directories of them ("embedded" for the built-in default).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Run every policy's golden cases (NAME.test.toml beside NAME.toml) and
    /// report per-rule coverage. Exits 1 when a case fails.
    Test {
        /// The policy directory.
        dir: PathBuf,
        /// List every rule with the number of cases it decided.
        #[arg(long)]
        coverage: bool,
    },
    /// Show every combination whose outcome or code changes between two
    /// policies, as a Markdown table.
    Diff {
        /// The policy before ("embedded" for the built-in default).
        old: PathBuf,
        /// The policy after.
        new: PathBuf,
        /// Also decide every *.json payload of this directory with both and
        /// list those whose decision changes (a backtest).
        #[arg(long)]
        payloads: Option<PathBuf>,
    },
}

/// `verdict serve` flags. Each is optional: an unset flag leaves the key to
/// the environment (`VERDICT_<KEY>`), the `--config` file, or the default, in
/// that order (see `config.rs`). Defaults are listed in the README.
#[derive(Debug, Args, Serialize)]
struct ServeArgs {
    /// TOML configuration file with any of the keys below (snake_case).
    #[arg(long, env = "VERDICT_CONFIG")]
    #[serde(skip)]
    config: Option<PathBuf>,
    /// gRPC address [default 127.0.0.1:50051].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<SocketAddr>,
    /// Prometheus metrics address (HTTP /metrics) [default: none].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    metrics_listen: Option<SocketAddr>,
    /// Log format: text or json [default text].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    log_format: Option<String>,
    /// Load every policy file (*.toml, golden cases in *.test.toml) of this
    /// directory beside the embedded default; reload on SIGHUP or change.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_dir: Option<PathBuf>,
    /// The policy for requests that name none [default: jumio-default].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    default_policy: Option<String>,
    /// Milliseconds between looks for changed policy files; 0 = only on SIGHUP [1000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_watch_ms: Option<u64>,
    /// Most items in one BatchEvaluate [1000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    max_batch_size: Option<usize>,
    /// Largest request or response message in bytes [16777216].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    max_message_bytes: Option<usize>,
    /// Deepest nesting accepted in workflow_json; 0 = no limit [0].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    max_json_depth: Option<usize>,
    /// HTTP/2 streams per connection [256].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    max_concurrent_streams: Option<u32>,
    /// Decisions in flight server-wide before shedding [2500].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    max_in_flight: Option<usize>,
    /// Server-side deadline per RPC in milliseconds [30000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    rpc_timeout_ms: Option<u64>,
    /// Milliseconds requests in flight get to finish after SIGTERM [20000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    shutdown_grace_ms: Option<u64>,
    /// HTTP/2 keepalive ping interval in milliseconds [30000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    keepalive_interval_ms: Option<u64>,
    /// HTTP/2 keepalive ping timeout in milliseconds [10000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    keepalive_timeout_ms: Option<u64>,
    /// PEM certificate chain: serve TLS [default: plaintext].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_key: Option<PathBuf>,
    /// PEM CA: require client certificates it signed (mTLS).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    tls_client_ca: Option<PathBuf>,
    /// File of bearer tokens (one per line); tokens also come from
    /// VERDICT_AUTH_TOKENS (comma-separated) [default: no authentication].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_tokens_file: Option<PathBuf>,
    /// Require a token for health checks too.
    #[arg(long)]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    auth_health: bool,
    /// Require a token for reflection too.
    #[arg(long)]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    auth_reflection: bool,
    /// Also serve verdict.loadtest.v1.Baseline, a no-op RPC that load tests
    /// compare Evaluate against. Off in production.
    #[arg(long)]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
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
    /// Load the policies of this directory too.
    #[arg(long, env = "VERDICT_POLICY_DIR")]
    policy_dir: Option<PathBuf>,
    /// Also print, for each finding, the rules considered and why.
    #[arg(long)]
    explain: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Eval(args)) => eval(&args),
        Some(Command::Serve(args)) => run_server(&args),
        Some(Command::Policy(command)) => policy(&command),
        None => run_server(&cli.serve),
    }
}

fn policy(command: &PolicyCommand) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let code = match command {
        PolicyCommand::Check { paths } => commands::policy_check(paths, &mut out),
        PolicyCommand::Test { dir, coverage } => commands::policy_test(dir, *coverage, &mut out),
        PolicyCommand::Diff { old, new, payloads } => {
            commands::policy_diff(old, new, payloads.as_deref(), &mut out)
        }
    };
    match code {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(error) => {
            eprintln!("verdict: {error}");
            ExitCode::from(2)
        }
    }
}

fn load_policies(
    dir: Option<&std::path::Path>,
    default: Option<&str>,
) -> Result<PolicyStore, String> {
    match dir {
        Some(dir) => PolicyStore::from_dir(dir, default),
        None if default.is_some_and(|id| id != verdict_core::DEFAULT_POLICY_ID) => {
            Err("--default-policy names a policy, but no --policy-dir was given".to_owned())
        }
        None => Ok(PolicyStore::embedded_only()),
    }
}

fn init_logging(format: LogFormat) {
    // RUST_LOG picks levels, e.g. RUST_LOG=verdict_server=debug for a line per
    // request. Logs carry ids, outcomes and codes, never personal data.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => logs.json().with_current_span(true).init(),
    }
}

fn run_server(args: &ServeArgs) -> ExitCode {
    let config = match Config::load(args.config.as_deref(), args) {
        Ok(config) => config,
        Err(problems) => {
            eprintln!("verdict: invalid configuration:\n{problems}");
            return ExitCode::from(2);
        }
    };
    init_logging(config.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            error!(%error, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => {
            match TlsSettings::load(cert, key, config.tls_client_ca.as_deref()) {
                Ok(tls) => Some(tls),
                Err(problem) => {
                    error!(%problem, "cannot read TLS files");
                    return ExitCode::from(2);
                }
            }
        }
        _ => None,
    };
    let auth = match Auth::load(
        config.auth_tokens.as_deref(),
        config.auth_tokens_file.as_deref(),
    ) {
        Ok(auth) => auth,
        Err(problem) => {
            error!(%problem, "cannot load bearer tokens");
            return ExitCode::from(2);
        }
    };
    let options = ServeOptions {
        limits: config.limits(),
        loadtest_baseline: config.loadtest_baseline,
        tls,
        auth,
        auth_health: config.auth_health,
        auth_reflection: config.auth_reflection,
    };
    runtime.block_on(async {
        if let Some(address) = config.metrics_listen {
            match metrics::serve_prometheus(address) {
                Ok(()) => info!(%address, "serving Prometheus metrics at /metrics"),
                Err(error) => {
                    error!(%address, %error, "cannot serve metrics");
                    return ExitCode::FAILURE;
                }
            }
        }
        let listener = match TcpListener::bind(config.listen).await {
            Ok(listener) => listener,
            Err(error) => {
                error!(address = %config.listen, %error, "cannot listen");
                return ExitCode::FAILURE;
            }
        };
        let policies = match load_policies(config.policy_dir.as_deref(), config.default_policy.as_deref()) {
            Ok(store) => Arc::new(store),
            Err(problems) => {
                for problem in problems.lines() {
                    error!(%problem, "cannot load policies");
                }
                return ExitCode::FAILURE;
            }
        };
        for loaded in policies.current().iter() {
            let policy = loaded.policy.reference();
            info!(id = %policy.id, version = %policy.version, digest = %policy.digest, source = %loaded.source, "policy loaded");
        }
        let _watchers = start_reloaders(&policies, config.policy_watch_ms);
        match serve(listener, policies, options, shutdown_signal()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                error!(%error, "server failed");
                ExitCode::FAILURE
            }
        }
    })
}

/// Reloads on SIGHUP and, unless `watch_ms` is 0, when a policy file changes.
/// The tasks end with the runtime.
fn start_reloaders(policies: &Arc<PolicyStore>, watch_ms: u64) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    if policies.dir().is_none() {
        return tasks;
    }
    if watch_ms > 0 {
        tasks.push(tokio::spawn(reload::watch(
            Arc::clone(policies),
            Duration::from_millis(watch_ms),
        )));
    }
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::hangup()) {
            Ok(mut hangups) => {
                let store = Arc::clone(policies);
                tasks.push(tokio::spawn(async move {
                    while hangups.recv().await.is_some() {
                        info!("received SIGHUP: reloading policies");
                        reload::reload(&store).await;
                    }
                }));
            }
            Err(error) => {
                error!(%error, "cannot listen for SIGHUP; policies reload on change only")
            }
        }
    }
    tasks
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
    let store = match load_policies(args.policy_dir.as_deref(), None) {
        Ok(store) => store,
        Err(problems) => {
            eprintln!("{problems}");
            return ExitCode::from(2);
        }
    };
    let policies = store.current();
    let policy = match policies.get(&args.policy_id) {
        Ok(loaded) => &loaded.policy,
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
                let options = DecideOptions {
                    explain: args.explain,
                    ..DecideOptions::default()
                };
                decide(Some(Input::Json(&body)), policy, options)
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
