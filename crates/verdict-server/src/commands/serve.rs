//! `verdict serve` (the default command): configuration, logging, policies,
//! reloads and signals around the gRPC server of `server.rs`.

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tracing::{error, info};
use tracing_subscriber::EnvFilter;

use crate::cli::ServeArgs;
use crate::config::{Config, LogFormat};
use verdict_ledger::{Ledger, Store};

use crate::{Auth, PolicyStore, Recorder, ServeOptions, TlsSettings, metrics, reload};

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

pub fn serve(args: &ServeArgs) -> ExitCode {
    let config = match Config::load(args.config.as_deref(), args) {
        Ok(config) => config,
        Err(problems) => {
            eprintln!("verdict: invalid configuration:\n{problems}");
            return ExitCode::from(2);
        }
    };
    init_logging(config.log_format);
    // Heavy decisions (large bodies, batches) and policy reloads run on the
    // blocking pool; bounding it bounds their CPU and memory, and the tasks
    // past the bound wait their turn instead of each taking a thread.
    let blocking_threads = std::thread::available_parallelism().map_or(2, usize::from) * 2;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(blocking_threads)
        .build()
    {
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
    let mut options = ServeOptions {
        limits: config.limits(),
        loadtest_baseline: config.loadtest_baseline,
        tls,
        auth,
        auth_health: config.auth_health,
        auth_reflection: config.auth_reflection,
        ledger: None,
        shadow_policies: config.shadow_policies.clone(),
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
        let policies = match PolicyStore::open(
            config.policy_dir.as_deref(),
            config.default_policy.as_deref(),
            config.strict_policies,
        ) {
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
        let set = policies.current();
        for failed in set.failed() {
            error!(
                file = %failed.source,
                reason = %failed.reason,
                "policy not loaded; the other policies serve (--strict-policies refuses to start instead)"
            );
        }
        metrics::failed_policy_files(set.failed().count());
        for shadow in &config.shadow_policies {
            if set.get(shadow).is_err() {
                error!(%shadow, "shadow_policies names a policy that is not loaded (give its file in --policy-dir)");
                return ExitCode::from(2);
            }
            info!(%shadow, "shadow policy: decides beside every live decision");
        }
        // After the policies: a server that cannot start for its policies
        // does not touch its database.
        if let Some(location) = config.ledger_location() {
            let store = match Store::open(&location).await {
                Ok(store) => store,
                Err(error) => {
                    error!(%error, "cannot open the decision ledger (--ledger none runs without one)");
                    return ExitCode::FAILURE;
                }
            };
            // Never the URL: it may carry a password.
            info!(
                backend = store.backend().name(),
                failure = ?config.ledger_failure,
                retention_days = config.ledger_retention_days,
                "recording decisions in the ledger"
            );
            let ledger = Ledger::start(store, metrics::ledger_commit);
            if config.ledger_retention_days > 0 {
                tokio::spawn(crate::ledger::retain(
                    ledger.clone(),
                    config.ledger_retention_days,
                ));
            }
            options.ledger = Some(Recorder {
                ledger,
                failure: config.ledger_failure,
            });
        } else {
            info!("no ledger (ledger = none): decisions are not recorded");
        }
        let _watchers = start_reloaders(&policies, config.policy_watch_ms);
        match crate::server::serve(listener, policies, options, shutdown_signal()).await {
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
