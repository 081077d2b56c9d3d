//! The `verdict` command line: its subcommands and flags (clap). What each
//! command does is in `commands/`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

/// verdict: decisions with reasons for Jumio identity-verification results.
#[derive(Debug, Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gRPC server (the default).
    Serve(Box<ServeArgs>),
    /// Decide retrieval-API bodies from files: each file's decision (proto3 JSON)
    /// or error, naming the file.
    Eval(EvalArgs),
    /// Check, test and compare policy files.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Check, export or prune the decision ledger.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Re-decide recorded decisions (or retrieval bodies) under a candidate
    /// policy and report what it would change: outcome transitions,
    /// result-code changes, the rules responsible, sample ids, and
    /// fraud-confirmed workflows it would approve.
    Replay(ReplayArgs),
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The candidate policy: a policy file, `embedded`, a `sha256:` digest
    /// of a policy the ledger kept, or a policy id of --policy-dir.
    #[arg(long)]
    pub candidate: String,
    /// Where policy ids (--candidate, --baseline) are looked up.
    #[arg(long, env = "VERDICT_POLICY_DIR")]
    pub policy_dir: Option<PathBuf>,
    #[command(flatten)]
    pub ledger: LedgerArgs,
    /// Only decisions recorded at or after (RFC 3339).
    #[arg(long, conflicts_with = "bodies")]
    pub since: Option<String>,
    /// Only decisions recorded before (RFC 3339).
    #[arg(long, conflicts_with = "bodies")]
    pub until: Option<String>,
    /// Only this account's decisions (or bodies).
    #[arg(long)]
    pub account: Option<String>,
    /// Replay retrieval bodies instead of the ledger: a directory of *.json
    /// files, or a file of JSON lines (one body per line).
    #[arg(long)]
    pub bodies: Option<PathBuf>,
    /// With --bodies: the policy the bodies are first decided with (as
    /// --candidate names one) [default: embedded].
    #[arg(long, requires = "bodies")]
    pub baseline: Option<String>,
    /// table: for people; json: one document for tools.
    #[arg(long, value_enum, default_value_t = ReplayFormat::Table)]
    pub format: ReplayFormat,
    /// Threads deciding [default: one per core].
    #[arg(long)]
    pub workers: Option<usize>,
}

/// How `verdict replay` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReplayFormat {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Check the hash chain from the latest checkpoint to the head; exits 1
    /// naming the first broken record.
    Verify(LedgerArgs),
    /// Write recorded decisions as JSON lines, oldest first.
    Export {
        #[command(flatten)]
        ledger: LedgerArgs,
        /// Recorded at or after (RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// Recorded before (RFC 3339).
        #[arg(long)]
        to: Option<String>,
    },
    /// Delete records older than a number of days, leaving a checkpoint.
    Prune {
        #[command(flatten)]
        ledger: LedgerArgs,
        #[arg(long)]
        older_than_days: u64,
    },
}

#[derive(Debug, Args)]
pub struct LedgerArgs {
    /// `sqlite` (the file in --data-dir), `sqlite:<path>` or `postgres://…`.
    #[arg(long, env = "VERDICT_LEDGER", default_value = "sqlite")]
    pub ledger: String,
    #[arg(long, env = "VERDICT_DATA_DIR", default_value = "verdict-data")]
    pub data_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
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
/// that order (see `config.rs`). Defaults are listed in
/// `crates/verdict-server/README.md`.
#[derive(Debug, Args, Serialize)]
pub struct ServeArgs {
    /// TOML configuration file with any of the keys below (snake_case).
    #[arg(long, env = "VERDICT_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// gRPC address [default 127.0.0.1:50051].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// Prometheus metrics address (HTTP /metrics) [default: none].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_listen: Option<SocketAddr>,
    /// Log format: text or json [default text].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    /// Load every policy file (*.toml, golden cases in *.test.toml) of this
    /// directory beside the embedded default; reload on SIGHUP or change.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_dir: Option<PathBuf>,
    /// The policy for requests that name none [default: jumio-default].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_policy: Option<String>,
    /// A policy (of --policy-dir) that decides beside every live decision, as
    /// a shadow: disagreements are counted in metrics and recorded in the
    /// ledger; callers get the live decision only. Repeat for more [none].
    #[arg(long = "shadow-policy", value_name = "ID")]
    #[serde(rename = "shadow_policies", skip_serializing_if = "Vec::is_empty")]
    pub shadow_policies: Vec<String>,
    /// Milliseconds between looks for changed policy files; 0 = only on SIGHUP [1000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_watch_ms: Option<u64>,
    /// Refuse to start when any policy file fails to load; by default the
    /// others serve and ListPolicies, logs and metrics report the failure.
    #[arg(long)]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub strict_policies: bool,
    /// Most items in one BatchEvaluate [1000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_batch_size: Option<usize>,
    /// Items of one StreamEvaluate read but not yet answered, at most [256].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_stream_in_flight: Option<usize>,
    /// Largest request or response message in bytes [16777216].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_message_bytes: Option<usize>,
    /// Deepest nesting accepted in workflow_json; 0 = no limit [0].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_json_depth: Option<usize>,
    /// HTTP/2 streams per connection [256].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_concurrent_streams: Option<u32>,
    /// HTTP/2 flow-control window per connection and per stream, bytes [1048576].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http2_window_bytes: Option<u32>,
    /// Largest HTTP/2 frame accepted, bytes (16384 … 16777215) [131072].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http2_max_frame_bytes: Option<u32>,
    /// Decisions in flight server-wide before shedding [2500].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<usize>,
    /// Shed while requests wait longer than this many ms to run; 0 = off [250].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_queue_delay_ms: Option<u64>,
    /// Request body bytes held at once, server-wide [67108864].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_request_bytes_in_flight: Option<usize>,
    /// Server-side deadline per RPC in milliseconds [30000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpc_timeout_ms: Option<u64>,
    /// Milliseconds requests in flight get to finish after SIGTERM [20000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shutdown_grace_ms: Option<u64>,
    /// HTTP/2 keepalive ping interval in milliseconds [30000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keepalive_interval_ms: Option<u64>,
    /// HTTP/2 keepalive ping timeout in milliseconds [10000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keepalive_timeout_ms: Option<u64>,
    /// Open connections at most; more are closed at once [768].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<usize>,
    /// Milliseconds a new connection may take to send its first bytes [10000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handshake_timeout_ms: Option<u64>,
    /// Milliseconds a connection may go without the peer sending anything [300000].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout_ms: Option<u64>,
    /// PEM certificate chain: serve TLS [default: plaintext].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    /// PEM CA: require client certificates it signed (mTLS).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_client_ca: Option<PathBuf>,
    /// File of bearer tokens (one per line); tokens also come from
    /// VERDICT_AUTH_TOKENS (comma-separated) [default: no authentication].
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_tokens_file: Option<PathBuf>,
    /// Require a token for health checks too.
    #[arg(long)]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub auth_health: bool,
    /// Require a token for reflection too.
    #[arg(long)]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub auth_reflection: bool,
    /// Also serve verdict.loadtest.v1.BaselineService, a no-op RPC that load tests
    /// compare Evaluate against. Off in production.
    #[arg(long)]
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub loadtest_baseline: bool,
    /// Where decisions are recorded: `sqlite` (default: a SQLite file in
    /// --data-dir), `sqlite:<path>`, `postgres://…` (replicas share it) or
    /// `none` (stateless).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger: Option<String>,
    /// The embedded ledger's directory (default `verdict-data`).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// When the ledger cannot record: `closed` (default: UNAVAILABLE) or
    /// `open` (answer with recorded = false).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger_failure: Option<String>,
    /// Prune ledger records older than this many days (0: keep all).
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger_retention_days: Option<u64>,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Retrieval-API JSON bodies to decide.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Policy to decide with (default: the embedded default policy).
    #[arg(long, default_value = "")]
    pub policy_id: String,
    /// Load the policies of this directory too.
    #[arg(long, env = "VERDICT_POLICY_DIR")]
    pub policy_dir: Option<PathBuf>,
    /// Also print, for each finding, the rules considered and why.
    #[arg(long)]
    pub explain: bool,
    /// Decide every file with this evidence: a `verdict.v1.Evidence` in
    /// proto3 JSON (earlier workflows, the account's retries, the channel),
    /// as a request's `evidence` carries it. Offline there is no ledger.
    #[arg(long)]
    pub evidence: Option<PathBuf>,
    /// json: one JSON document per file, naming it, with its decision or
    /// error; table: one line per file (file, outcome, code, root causes).
    #[arg(long, value_enum, default_value_t = EvalFormat::Json)]
    pub format: EvalFormat,
}

/// How `verdict eval` prints its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    /// One JSON document per file, for tools (`jq`).
    Json,
    /// One aligned line per file, for people in a terminal.
    Table,
}
