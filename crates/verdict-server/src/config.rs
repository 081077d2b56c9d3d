//! The server's configuration, layered: built-in defaults, then a TOML file
//! (`--config`), then `VERDICT_*` environment variables, then command-line
//! flags — into one typed struct, validated before anything starts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::ledger::LedgerFailure;
use crate::limits::Limits;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Everything `verdict serve` can be told. Every key is the same in the TOML
/// file, as `VERDICT_<KEY>` in the environment and as `--<key>` on the command
/// line (with dashes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// gRPC address.
    pub listen: SocketAddr,
    /// Prometheus metrics address (HTTP, `/metrics`); none means no endpoint.
    pub metrics_listen: Option<SocketAddr>,
    /// Log format: `text` or `json`.
    pub log_format: LogFormat,
    pub policy_dir: Option<PathBuf>,
    pub default_policy: Option<String>,
    /// Policies that decide beside every live decision: counted in metrics
    /// and, where they disagree, recorded beside it in the ledger. The caller
    /// is answered with the live decision only.
    pub shadow_policies: Vec<String>,
    pub policy_watch_ms: u64,
    /// Refuse to start when any policy file fails to load (by default the
    /// others serve and the failure is reported).
    pub strict_policies: bool,
    pub loadtest_baseline: bool,
    pub max_batch_size: usize,
    pub max_stream_in_flight: usize,
    pub max_message_bytes: usize,
    pub max_json_depth: usize,
    pub max_concurrent_streams: u32,
    pub http2_window_bytes: u32,
    pub http2_max_frame_bytes: u32,
    pub max_in_flight: usize,
    pub max_queue_delay_ms: u64,
    pub max_request_bytes_in_flight: usize,
    pub rpc_timeout_ms: u64,
    pub shutdown_grace_ms: u64,
    pub keepalive_interval_ms: u64,
    pub keepalive_timeout_ms: u64,
    pub max_connections: usize,
    pub handshake_timeout_ms: u64,
    pub idle_timeout_ms: u64,
    /// PEM certificate chain and key: serve TLS (rustls) instead of plaintext.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// PEM CA: require client certificates it signed (mTLS).
    pub tls_client_ca: Option<PathBuf>,
    /// Bearer tokens, comma-separated (better: `auth_tokens_file`, or the
    /// `VERDICT_AUTH_TOKENS` environment variable, to keep them off the
    /// command line).
    pub auth_tokens: Option<String>,
    /// A file of bearer tokens, one per line, `#` comments.
    pub auth_tokens_file: Option<PathBuf>,
    /// Whether health checks and reflection need a token too (default: open).
    pub auth_health: bool,
    pub auth_reflection: bool,
    /// Where decisions are recorded: `sqlite` (a SQLite file in `data_dir`,
    /// the default), `sqlite:<path>`, `postgres://…` (shared by replicas), or
    /// `none` (stateless: nothing is recorded).
    pub ledger: String,
    /// The directory of the embedded ledger (`ledger = "sqlite"`).
    pub data_dir: PathBuf,
    /// When the ledger cannot record: `closed` (UNAVAILABLE, nothing decided
    /// unrecorded) or `open` (answer with `recorded = false`).
    pub ledger_failure: LedgerFailure,
    /// Prune records older than this many days (0: keep everything). The
    /// chain stays verifiable from a checkpoint.
    pub ledger_retention_days: u64,
}

/// The embedded ledger's file in the data directory.
pub const LEDGER_FILE: &str = "ledger.sqlite";

impl Default for Config {
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 50051)),
            metrics_listen: None,
            log_format: LogFormat::Text,
            policy_dir: None,
            default_policy: None,
            shadow_policies: Vec::new(),
            policy_watch_ms: 1000,
            strict_policies: false,
            loadtest_baseline: false,
            max_batch_size: limits.max_batch_size,
            max_stream_in_flight: limits.max_stream_in_flight,
            max_message_bytes: limits.max_message_bytes,
            max_json_depth: limits.max_json_depth,
            max_concurrent_streams: limits.max_concurrent_streams,
            http2_window_bytes: limits.http2_window_bytes,
            http2_max_frame_bytes: limits.http2_max_frame_bytes,
            max_in_flight: limits.max_in_flight,
            max_queue_delay_ms: millis(limits.max_queue_delay),
            max_request_bytes_in_flight: limits.max_request_bytes_in_flight,
            rpc_timeout_ms: millis(limits.rpc_timeout),
            shutdown_grace_ms: millis(limits.shutdown_grace),
            keepalive_interval_ms: millis(limits.keepalive_interval),
            keepalive_timeout_ms: millis(limits.keepalive_timeout),
            max_connections: limits.max_connections,
            handshake_timeout_ms: millis(limits.handshake_timeout),
            idle_timeout_ms: millis(limits.idle_timeout),
            tls_cert: None,
            tls_key: None,
            tls_client_ca: None,
            auth_tokens: None,
            auth_tokens_file: None,
            auth_health: false,
            auth_reflection: false,
            ledger: "sqlite".to_owned(),
            data_dir: PathBuf::from("verdict-data"),
            ledger_failure: LedgerFailure::Closed,
            ledger_retention_days: 0,
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Config {
    /// Defaults < `file` < `VERDICT_*` environment < `flags` (only the keys
    /// the command line set), validated.
    pub fn load(file: Option<&Path>, flags: &impl Serialize) -> Result<Self, String> {
        Self::from_figment(&Self::figment(file, Env::prefixed("VERDICT_"), flags))
    }

    fn figment(file: Option<&Path>, env: Env, flags: &impl Serialize) -> Figment {
        let mut figment = Figment::from(Serialized::defaults(Self::default()));
        if let Some(file) = file {
            // A named file must exist: Toml::file would skip a missing one.
            figment = figment.merge(Toml::file_exact(file));
        }
        figment
            // VERDICT_CONFIG names the file; it is not a key of the file.
            .merge(env.ignore(&["CONFIG"]))
            .merge(Serialized::defaults(flags))
    }

    fn from_figment(figment: &Figment) -> Result<Self, String> {
        let config: Self = figment.extract().map_err(|error| {
            error
                .into_iter()
                .map(|error| error.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Refuses values no server should run with, each with the key to fix.
    pub fn validate(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        let mut at_least = |key: &str, value: u64, min: u64| {
            if value < min {
                problems.push(format!("{key} = {value}: must be at least {min}"));
            }
        };
        let wide = |value: usize| u64::try_from(value).unwrap_or(u64::MAX);
        at_least("max_batch_size", wide(self.max_batch_size), 1);
        at_least("max_stream_in_flight", wide(self.max_stream_in_flight), 1);
        at_least("max_message_bytes", wide(self.max_message_bytes), 1024);

        at_least(
            "max_concurrent_streams",
            u64::from(self.max_concurrent_streams),
            1,
        );
        // HTTP/2's bounds for a window: it starts at 65,535 and only grows
        // (RFC 9113, 6.9.2), and may not pass 2^31 - 1 (6.9.1).
        at_least(
            "http2_window_bytes",
            u64::from(self.http2_window_bytes),
            65_535,
        );
        at_least("max_in_flight", wide(self.max_in_flight), 1);
        at_least(
            "max_request_bytes_in_flight",
            wide(self.max_request_bytes_in_flight),
            wide(self.max_message_bytes),
        );
        at_least("rpc_timeout_ms", self.rpc_timeout_ms, 1);
        at_least("keepalive_interval_ms", self.keepalive_interval_ms, 1000);
        at_least("keepalive_timeout_ms", self.keepalive_timeout_ms, 100);
        at_least("max_connections", wide(self.max_connections), 1);
        at_least("handshake_timeout_ms", self.handshake_timeout_ms, 100);
        at_least("idle_timeout_ms", self.idle_timeout_ms, 1000);
        if self.http2_window_bytes > 0x7fff_ffff {
            problems.push(format!(
                "http2_window_bytes = {}: must be at most 2147483647",
                self.http2_window_bytes
            ));
        }
        // A frame's bounds: from 16,384 to 2^24 - 1 (RFC 9113, 4.2).
        if !(16_384..=16_777_215).contains(&self.http2_max_frame_bytes) {
            problems.push(format!(
                "http2_max_frame_bytes = {}: must be from 16384 to 16777215",
                self.http2_max_frame_bytes
            ));
        }
        if (1..4).contains(&self.max_json_depth) {
            problems.push(format!(
                "max_json_depth = {}: 0 (no limit) or at least 4 (a retrieval body nests 5 deep)",
                self.max_json_depth
            ));
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            problems.push("tls_cert and tls_key go together".to_owned());
        }
        if self.tls_client_ca.is_some() && self.tls_cert.is_none() {
            problems.push("tls_client_ca needs tls_cert and tls_key".to_owned());
        }
        let auth = self.auth_tokens.is_some() || self.auth_tokens_file.is_some();
        if (self.auth_health || self.auth_reflection) && !auth {
            problems.push(
                "auth_health and auth_reflection need auth_tokens or auth_tokens_file".to_owned(),
            );
        }
        if self
            .metrics_listen
            .is_some_and(|metrics| metrics == self.listen)
        {
            problems.push("metrics_listen must differ from listen".to_owned());
        }
        for (index, shadow) in self.shadow_policies.iter().enumerate() {
            if shadow.is_empty() {
                problems.push("shadow_policies: an empty policy id".to_owned());
            } else if self.shadow_policies[..index].contains(shadow) {
                problems.push(format!("shadow_policies: {shadow} is listed twice"));
            }
        }
        let ledger = self.ledger.as_str();
        if !(matches!(ledger, "none" | "sqlite")
            || ledger.starts_with("sqlite:")
            || ledger.starts_with("postgres://")
            || ledger.starts_with("postgresql://"))
        {
            problems.push(
                "ledger: `sqlite`, `sqlite:<path>`, `postgres://…`, `postgresql://…` or `none`"
                    .to_owned(),
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }

    /// Where the ledger is (`sqlite:<path>` or a PostgreSQL URL), or `None`
    /// for a stateless server.
    pub fn ledger_location(&self) -> Option<String> {
        ledger_location(&self.ledger, &self.data_dir)
    }

    /// The limits the server enforces.
    pub fn limits(&self) -> Limits {
        Limits {
            max_batch_size: self.max_batch_size,
            max_stream_in_flight: self.max_stream_in_flight,
            max_message_bytes: self.max_message_bytes,
            max_json_depth: self.max_json_depth,
            max_concurrent_streams: self.max_concurrent_streams,
            http2_window_bytes: self.http2_window_bytes,
            http2_max_frame_bytes: self.http2_max_frame_bytes,
            max_in_flight: self.max_in_flight,
            max_queue_delay: Duration::from_millis(self.max_queue_delay_ms),
            max_request_bytes_in_flight: self.max_request_bytes_in_flight,
            rpc_timeout: Duration::from_millis(self.rpc_timeout_ms),
            shutdown_grace: Duration::from_millis(self.shutdown_grace_ms),
            keepalive_interval: Duration::from_millis(self.keepalive_interval_ms),
            keepalive_timeout: Duration::from_millis(self.keepalive_timeout_ms),
            max_connections: self.max_connections,
            handshake_timeout: Duration::from_millis(self.handshake_timeout_ms),
            idle_timeout: Duration::from_millis(self.idle_timeout_ms),
        }
    }
}

/// `ledger` as a store location: `sqlite` is the file in `data_dir`.
pub fn ledger_location(ledger: &str, data_dir: &Path) -> Option<String> {
    match ledger {
        "none" => None,
        "sqlite" => Some(format!("sqlite:{}", data_dir.join(LEDGER_FILE).display())),
        other => Some(other.to_owned()),
    }
}

#[cfg(test)]
#[expect(
    clippy::result_large_err,
    reason = "figment::Jail's closures return figment::Error, as its API requires"
)]
mod tests {
    use std::collections::BTreeMap;

    use figment::Jail;

    use super::*;

    /// Loads with `file` as verdict.toml, `env` set, and `flags` given, inside
    /// a jail: a private working directory and environment.
    fn load(file: &str, env: &[(&str, &str)], flags: &[(&str, &str)]) -> Result<Config, String> {
        let mut result = Err(String::new());
        Jail::expect_with(|jail| {
            jail.create_file("verdict.toml", file)?;
            for (key, value) in env {
                jail.set_env(key, value);
            }
            let flags: BTreeMap<&str, &str> = flags.iter().copied().collect();
            result = Config::load(Some(Path::new("verdict.toml")), &flags);
            Ok(())
        });
        result
    }

    #[test]
    fn shadow_policies_and_the_stream_limit_come_from_the_file_or_the_environment() {
        let config = load(
            "shadow_policies = [\"candidate-a\", \"candidate-b\"]\nmax_stream_in_flight = 32\n",
            &[],
            &[],
        )
        .expect("valid");
        assert_eq!(config.shadow_policies, ["candidate-a", "candidate-b"]);
        assert_eq!(config.max_stream_in_flight, 32);
        let config = load("", &[("VERDICT_SHADOW_POLICIES", "[candidate-c]")], &[]).expect("valid");
        assert_eq!(config.shadow_policies, ["candidate-c"]);
        assert_eq!(Config::default().shadow_policies, Vec::<String>::new());
        let error = load("max_stream_in_flight = 0\n", &[], &[]).expect_err("invalid");
        assert_eq!(error, "max_stream_in_flight = 0: must be at least 1");
        let error =
            load("shadow_policies = [\"a\", \"\", \"a\"]\n", &[], &[]).expect_err("invalid");
        assert_eq!(
            error,
            "shadow_policies: an empty policy id\nshadow_policies: a is listed twice"
        );
    }

    #[test]
    fn each_layer_overrides_the_one_before_key_by_key() {
        let config = load(
            "max_batch_size = 50\nmax_in_flight = 9\nlog_format = \"json\"\nlisten = \"127.0.0.1:7000\"\n",
            &[("VERDICT_MAX_IN_FLIGHT", "11"), ("VERDICT_LISTEN", "127.0.0.1:7002")],
            &[("listen", "127.0.0.1:7001")],
        )
        .expect("valid");
        assert_eq!(config.max_batch_size, 50, "file over default");
        assert_eq!(config.max_in_flight, 11, "environment over file");
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(
            config.listen,
            SocketAddr::from(([127, 0, 0, 1], 7001)),
            "flag over environment"
        );
        assert_eq!(
            config.max_message_bytes,
            Config::default().max_message_bytes
        );
    }

    #[test]
    fn the_http2_frame_size_stays_inside_what_http2_allows() {
        assert_eq!(Config::default().http2_max_frame_bytes, 131_072);
        let config = load("http2_max_frame_bytes = 16384\n", &[], &[]).expect("valid");
        assert_eq!(config.limits().http2_max_frame_bytes, 16_384);
        for (value, problem) in [("16383", "16383"), ("16777216", "16777216")] {
            let error = load(&format!("http2_max_frame_bytes = {value}\n"), &[], &[])
                .expect_err("out of range");
            assert_eq!(
                error,
                format!("http2_max_frame_bytes = {problem}: must be from 16384 to 16777215")
            );
        }
    }

    #[test]
    fn the_http2_window_stays_inside_what_http2_allows() {
        assert_eq!(Config::default().http2_window_bytes, 1_048_576);
        let config = load("http2_window_bytes = 16777216\n", &[], &[]).expect("valid");
        assert_eq!(config.limits().http2_window_bytes, 16_777_216);
        let error = load("http2_window_bytes = 1000\n", &[], &[]).expect_err("too small");
        assert_eq!(error, "http2_window_bytes = 1000: must be at least 65535");
        let error = load("http2_window_bytes = 4294967295\n", &[], &[]).expect_err("too large");
        assert_eq!(
            error,
            "http2_window_bytes = 4294967295: must be at most 2147483647"
        );
    }

    #[test]
    fn bad_values_and_unknown_keys_are_refused_with_the_key_to_fix() {
        let error =
            load("max_batch_size = 0\nmax_json_depth = 2\n", &[], &[]).expect_err("invalid");
        assert_eq!(
            error,
            "max_batch_size = 0: must be at least 1\nmax_json_depth = 2: 0 (no limit) or at least 4 (a retrieval body nests 5 deep)"
        );
        let error = load("max_batch = 5\n", &[], &[]).expect_err("unknown key");
        assert!(
            error.contains("unknown field: found `max_batch`"),
            "{error}"
        );
        let error = load("", &[("VERDICT_MAX_BATCH_SIZE", "many")], &[]).expect_err("wrong type");
        assert!(
            error.contains("expected usize for key \"MAX_BATCH_SIZE\" in `VERDICT_` environment"),
            "{error}"
        );
    }

    #[test]
    fn settings_that_only_make_sense_together_are_checked_together() {
        let error = load(
            "tls_cert = \"server.pem\"\ntls_client_ca = \"ca.pem\"\nauth_health = true\nlisten = \"127.0.0.1:9000\"\nmetrics_listen = \"127.0.0.1:9000\"\n",
            &[],
            &[],
        )
        .expect_err("inconsistent");
        assert_eq!(
            error,
            [
                "tls_cert and tls_key go together",
                "auth_health and auth_reflection need auth_tokens or auth_tokens_file",
                "metrics_listen must differ from listen",
            ]
            .join("\n")
        );
        let error = load("tls_client_ca = \"ca.pem\"\n", &[], &[]).expect_err("mTLS without TLS");
        assert_eq!(error, "tls_client_ca needs tls_cert and tls_key");
        // Tokens from the environment satisfy auth_health.
        load(
            "auth_health = true\n",
            &[("VERDICT_AUTH_TOKENS", "a,b")],
            &[],
        )
        .expect("valid");
    }

    #[test]
    fn a_named_config_file_must_exist() {
        let mut result = Ok(Config::default());
        Jail::expect_with(|_| {
            result = Config::load(
                Some(Path::new("missing.toml")),
                &BTreeMap::<&str, &str>::new(),
            );
            Ok(())
        });
        assert!(result.expect_err("missing file").contains("missing.toml"));
    }
}
