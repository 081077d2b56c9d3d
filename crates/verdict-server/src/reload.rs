//! Reloading policies while serving: on demand (SIGHUP) and when a file in the
//! policy directory changes (polled, so it works on any filesystem).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tracing::{debug, error, info, warn};

use crate::metrics;
use crate::policy_store::{PolicyStore, ReloadReport};

/// Reloads off the async workers (reading and testing files blocks), then
/// logs and counts what the reload did.
pub async fn reload(store: &Arc<PolicyStore>) -> ReloadReport {
    let store = Arc::clone(store);
    match tokio::task::spawn_blocking(move || store.reload()).await {
        Ok(report) => {
            log_reload(&report);
            report
        }
        Err(error) => {
            warn!(%error, "policy reload was interrupted; the current policies keep serving");
            ReloadReport::default()
        }
    }
}

fn log_reload(report: &ReloadReport) {
    metrics::reload(report);
    metrics::failed_policy_files(report.failed.len());
    for (id, version) in &report.loaded {
        info!(policy = %id, %version, "policy loaded");
    }
    for id in &report.removed {
        info!(policy = %id, "policy removed: its file is gone");
    }
    for (file, reason) in &report.failed {
        error!(%file, %reason, "policy not loaded; the previous version, if any, keeps serving");
    }
}

/// What identifies the directory's state: every `.toml` file's name, size
/// and modification time, sorted.
type Fingerprint = Vec<(String, u64, Option<SystemTime>)>;

fn fingerprint(dir: &Path) -> Fingerprint {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Fingerprint = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let metadata = entry.metadata().ok()?;
            (name.ends_with(".toml") && metadata.is_file())
                .then(|| (name, metadata.len(), metadata.modified().ok()))
        })
        .collect();
    files.sort();
    files
}

/// Polls the store's policy directory every `every` and reloads when any
/// policy or golden-case file appears, disappears or changes. Runs until the
/// task is dropped.
pub async fn watch(store: Arc<PolicyStore>, every: Duration) {
    let Some(dir) = store.dir().map(Path::to_owned) else {
        return;
    };
    let mut seen = fingerprint(&dir);
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let dir_for_scan = dir.clone();
        let Ok(now) = tokio::task::spawn_blocking(move || fingerprint(&dir_for_scan)).await else {
            continue;
        };
        if now != seen {
            debug!("policy directory changed; reloading");
            seen = now;
            reload(&store).await;
        }
    }
}
