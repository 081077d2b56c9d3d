//! `verdict replay --candidate POLICY`: re-decides what the ledger recorded
//! (or a directory / JSON-lines file of retrieval bodies) under a candidate
//! policy and reports what would change.
//!
//! The input is streamed: the ledger is read a page at a time and bodies a
//! file or line at a time, into a bounded queue that one worker per core
//! drains; each worker keeps its own [`Report`] (bounded: counts and a few
//! sample ids) and the reports are merged at the end. Memory therefore does
//! not grow with the number of decisions, and the report does not depend on
//! how the work was split (samples are the first in ledger or input order).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead as _, BufReader, IsTerminal as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use verdict_core::authoring::replay::{
    Before, Case, Report, Summary, Undecidable, in_parallel, replay_body, replay_facts,
};
use verdict_core::{Evidence, Feedback, Policy, PolicyRef, load_policy};
use verdict_ledger::scan::sqlite_facts;
use verdict_ledger::{LedgerError, ListQuery, RecordedFacts, SCAN_PAGE, Store, sqlite_file};

use super::ledger::parse_time;
use crate::PolicyStore;
use crate::cli::{ReplayArgs, ReplayFormat};
use crate::config::ledger_location;

/// Bodies per unit of work: enough to keep a worker busy for a while, few
/// enough that the queue holds little.
const BODIES_PER_CHUNK: usize = 256;

/// How often the progress line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

pub fn replay(args: &ReplayArgs) -> ExitCode {
    let runtime = match super::runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match run(args, &runtime) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failed::Usage(message)) => {
            eprintln!("verdict: {message}");
            ExitCode::from(2)
        }
        Err(Failed::Run(message)) => {
            eprintln!("verdict: {message}");
            ExitCode::FAILURE
        }
    }
}

enum Failed {
    /// The command line cannot be carried out as given (exit 2).
    Usage(String),
    /// Reading the input failed part way (exit 1).
    Run(String),
}

/// What the report is about, for its heading and its JSON.
#[derive(Debug, Serialize)]
struct Heading {
    /// `ledger` or `bodies`.
    source: &'static str,
    /// The ledger's location or the bodies' path.
    from: String,
    candidate: PolicyRef,
    /// With `--bodies`: the policy the bodies are decided with first.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<PolicyRef>,
}

#[derive(Serialize)]
struct Document<'r> {
    #[serde(flatten)]
    heading: &'r Heading,
    #[serde(flatten)]
    summary: Summary<'r>,
}

/// The replay, on this thread: the runtime only for the ledger's queries.
fn run(args: &ReplayArgs, runtime: &tokio::runtime::Runtime) -> Result<(), Failed> {
    let from_ms = parse_time("since", args.since.as_deref()).map_err(Failed::Usage)?;
    let to_ms = parse_time("until", args.until.as_deref()).map_err(Failed::Usage)?;
    // The ledger is opened when it is read, or when a policy is named by the
    // digest it kept.
    let wants_ledger = args.bodies.is_none()
        || args.candidate.starts_with("sha256:")
        || args
            .baseline
            .as_deref()
            .is_some_and(|baseline| baseline.starts_with("sha256:"));
    let ledger = if wants_ledger {
        let location = ledger_location(&args.ledger.ledger, &args.ledger.data_dir)
            .ok_or_else(|| Failed::Usage("--ledger none has no ledger to replay".into()))?;
        // Replaying a ledger that is not there is a mistake to report, not
        // an empty ledger to create and replay.
        if let Some(path) = sqlite_file(&location)
            && !path.exists()
        {
            return Err(Failed::Usage(format!(
                "no ledger at {} (--ledger, --data-dir)",
                path.display()
            )));
        }
        let store = runtime
            .block_on(Store::open(&location))
            .map_err(|error| Failed::Run(error.to_string()))?;
        Some((location, store))
    } else {
        None
    };
    let store = ledger.as_ref().map(|(_, store)| store);
    let resolve = |flag: &str, spec: &str| {
        runtime.block_on(resolve_policy(
            flag,
            spec,
            args.policy_dir.as_deref(),
            store,
        ))
    };
    let candidate = resolve("candidate", &args.candidate)?;
    let workers = args.workers.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let (heading, report) = match (&args.bodies, &ledger) {
        (Some(path), _) => {
            let baseline = match &args.baseline {
                Some(spec) => resolve("baseline", spec)?,
                None => Policy::embedded_default(),
            };
            let heading = Heading {
                source: "bodies",
                from: path.display().to_string(),
                candidate: candidate.reference().clone(),
                baseline: Some(baseline.reference().clone()),
            };
            let report = replay_bodies(
                path,
                &baseline,
                &candidate,
                args.account.as_deref(),
                workers,
            )?;
            (heading, report)
        }
        (None, Some((location, store))) => {
            let query = ListQuery {
                account_id: args.account.clone(),
                from_ms,
                to_ms,
                limit: SCAN_PAGE,
                ..ListQuery::default()
            };
            let heading = Heading {
                source: "ledger",
                from: shown_location(location),
                candidate: candidate.reference().clone(),
                baseline: None,
            };
            let report = replay_ledger(
                store,
                sqlite_file(location),
                query,
                &candidate,
                workers,
                runtime,
            )?;
            (heading, report)
        }
        (None, None) => return Err(Failed::Usage("nothing to replay".into())),
    };
    let summary = report.summary();
    let mut out = io::stdout().lock();
    let written = match args.format {
        ReplayFormat::Json => serde_json::to_string(&Document {
            heading: &heading,
            summary,
        })
        .map_err(io::Error::other)
        .and_then(|json| writeln!(out, "{json}")),
        ReplayFormat::Table => write_table(&mut out, &heading, &summary),
    };
    match written {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
            Err(Failed::Run(error.to_string()))
        }
        _ => Ok(()),
    }
}

/// A ledger location fit to print: a PostgreSQL URL without its password,
/// whether in the user part (which ends at the last `@`) or as a
/// `password=` parameter.
fn shown_location(location: &str) -> String {
    let Some((scheme, rest)) = location.split_once("://") else {
        return location.to_owned();
    };
    let (address, query) = rest
        .split_once('?')
        .map_or((rest, None), |(a, q)| (a, Some(q)));
    let address = match address.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split_once(':').map_or(user, |(user, _)| user);
            format!("{user}@{host}")
        }
        None => address.to_owned(),
    };
    let query: Vec<&str> = query
        .into_iter()
        .flat_map(|query| query.split('&'))
        .filter(|pair| !pair.to_ascii_lowercase().starts_with("password="))
        .collect();
    if query.is_empty() {
        format!("{scheme}://{address}")
    } else {
        format!("{scheme}://{address}?{}", query.join("&"))
    }
}

/// A policy named on the command line: `embedded`, a policy file, a
/// `sha256:` digest the ledger kept the text of, or the id of a policy in
/// `--policy-dir`.
async fn resolve_policy(
    flag: &str,
    spec: &str,
    policy_dir: Option<&Path>,
    store: Option<&Store>,
) -> Result<Policy, Failed> {
    if spec == super::policy::EMBEDDED_ARG {
        return Ok(Policy::embedded_default());
    }
    let path = Path::new(spec);
    if path.is_file() {
        let text = std::fs::read_to_string(path)
            .map_err(|error| Failed::Usage(format!("--{flag} {spec}: {error}")))?;
        return load_policy(spec, &text).map_err(|errors| Failed::Usage(errors.to_string()));
    }
    if spec.starts_with("sha256:") {
        let Some(store) = store else {
            return Err(Failed::Usage(format!(
                "--{flag} {spec}: a digest needs a ledger"
            )));
        };
        let kept = store
            .reads()
            .policy(spec)
            .await
            .map_err(|error| Failed::Run(error.to_string()))?
            .ok_or_else(|| {
                Failed::Usage(format!(
                    "--{flag} {spec}: no policy with this digest ever decided"
                ))
            })?;
        let policy = load_policy(
            &format!("{} {}", kept.key.id, kept.key.version),
            &kept.content,
        )
        .map_err(|errors| Failed::Usage(errors.to_string()))?;
        return Ok(policy);
    }
    let policies = PolicyStore::open(policy_dir, None, true).map_err(Failed::Usage)?;
    let set = policies.current();
    let loaded = set.get(spec).map_err(|_| {
        Failed::Usage(format!(
            "--{flag} {spec}: not a file, a sha256: digest, `embedded`, or a policy id{}",
            if policy_dir.is_some() {
                " of --policy-dir"
            } else {
                " (no --policy-dir given)"
            }
        ))
    })?;
    Ok(Policy::clone(&loaded.policy))
}

/// Replays the ledger: a SQLite file is read by [`sqlite_facts`] (read-only,
/// on this thread), a PostgreSQL database through the store.
fn replay_ledger(
    store: &Store,
    sqlite: Option<&Path>,
    mut query: ListQuery,
    candidate: &Policy,
    workers: usize,
    runtime: &tokio::runtime::Runtime,
) -> Result<Report, Failed> {
    let failed = |error: LedgerError| Failed::Run(error.to_string());
    let total = runtime
        .block_on(async { store.reads().count(&query).await })
        .map_err(failed)?;
    let decide = |report: &mut Report, (recorded, feedback): &(RecordedFacts, Option<Feedback>)| {
        let case = Case {
            order: u64::try_from(recorded.seq).unwrap_or_default(),
            id: &recorded.decision_id,
            feedback: *feedback,
        };
        let before = Before {
            outcome: &recorded.outcome,
            result_code: &recorded.result_code,
        };
        replay_facts(report, &case, &before, &recorded.facts, candidate);
    };
    decided_in_parallel(workers, total, decide, |send| {
        // A page with the latest feedback on each of its workflows, handed
        // to the workers: false once they stop.
        let mut deliver = |page: Vec<RecordedFacts>| -> Result<bool, Failed> {
            let workflows: Vec<&str> = page
                .iter()
                .map(|record| record.workflow_id.as_str())
                .collect();
            let feedback: HashMap<String, Feedback> = runtime
                .block_on(async { store.reads().latest_feedback(&workflows).await })
                .map_err(failed)?
                .into_iter()
                .filter_map(|given| {
                    Feedback::from_name(&given.verdict).map(|verdict| (given.workflow_id, verdict))
                })
                .collect();
            let chunk = page
                .into_iter()
                .map(|record| {
                    let given = feedback.get(&record.workflow_id).copied();
                    (record, given)
                })
                .collect();
            Ok(send(chunk))
        };
        if let Some(path) = sqlite {
            let mut stopped = None;
            sqlite_facts(path, query, |page| match deliver(page) {
                Ok(more) => more,
                Err(error) => {
                    stopped = Some(error);
                    false
                }
            })
            .map_err(failed)?;
            return stopped.map_or(Ok(()), Err);
        }
        loop {
            let page = runtime
                .block_on(async { store.reads().list_facts(&query).await })
                .map_err(failed)?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            query.after_seq = last.seq;
            if !deliver(page)? {
                return Ok(());
            }
        }
    })
}

/// A retrieval body and where it came from.
struct Body {
    order: u64,
    /// The file's name, or `FILE:LINE` in a JSON-lines file.
    id: String,
    /// `None` when it could not be read as text: counted, not fatal.
    text: Option<String>,
}

fn replay_bodies(
    path: &Path,
    baseline: &Policy,
    candidate: &Policy,
    account: Option<&str>,
    workers: usize,
) -> Result<Report, Failed> {
    let unreadable = |error: io::Error| Failed::Usage(format!("{}: {error}", path.display()));
    let files = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(unreadable)?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        Some(files)
    } else {
        None
    };
    let lines = match &files {
        Some(_) => None,
        None => Some(BufReader::new(File::open(path).map_err(unreadable)?)),
    };
    // A JSON-lines file is read once, so its progress has no total.
    let total = files
        .as_ref()
        .map_or(0, |files| i64::try_from(files.len()).unwrap_or(i64::MAX));
    let evidence = Evidence::default();
    let decide = |report: &mut Report, body: &Body| {
        let case = Case {
            order: body.order,
            id: &body.id,
            feedback: None,
        };
        match &body.text {
            Some(text) => replay_body(report, &case, text, account, &evidence, baseline, candidate),
            None => report.fail(&case, Undecidable::UnreadableBody),
        }
    };
    decided_in_parallel(workers, total, decide, |send| {
        let mut chunk = Vec::with_capacity(BODIES_PER_CHUNK);
        let mut order = 0;
        let mut push = |chunk: &mut Vec<Body>, id: String, text: Option<String>| {
            order += 1;
            chunk.push(Body { order, id, text });
            chunk.len() < BODIES_PER_CHUNK || send(std::mem::take(chunk))
        };
        match (&files, lines) {
            (Some(files), _) => {
                for file in files {
                    let text = std::fs::read_to_string(file).ok();
                    let id = file.file_name().map_or_else(
                        || file.display().to_string(),
                        |name| name.to_string_lossy().into_owned(),
                    );
                    if !push(&mut chunk, id, text) {
                        return Ok(());
                    }
                }
            }
            (None, Some(lines)) => {
                let shown = path.display().to_string();
                for (number, line) in lines.split(b'\n').enumerate() {
                    let line = line.map_err(|error| Failed::Run(format!("{shown}: {error}")))?;
                    if line.trim_ascii().is_empty() {
                        continue;
                    }
                    let text = String::from_utf8(line).ok();
                    if !push(&mut chunk, format!("{shown}:{}", number + 1), text) {
                        return Ok(());
                    }
                }
            }
            (None, None) => {}
        }
        if !chunk.is_empty() {
            send(chunk);
        }
        Ok(())
    })
}

/// [`in_parallel`] with a progress line on a terminal, and the report's
/// total (the ledger's count, when known).
fn decided_in_parallel<T: Send>(
    workers: usize,
    total: i64,
    decide: impl Fn(&mut Report, &T) + Sync,
    feed: impl FnOnce(&mut dyn FnMut(Vec<T>) -> bool) -> Result<(), Failed>,
) -> Result<Report, Failed> {
    let progress = Progress::new(total);
    let (report, done) = in_parallel(workers, decide, feed, &|done| progress.show(done))?;
    progress.finish(done);
    Ok(report)
}

/// `replayed N of M (P %), R/s` on stderr, redrawn in place, when stderr is
/// a terminal; nothing otherwise (tools read stdout, logs stay clean).
struct Progress {
    total: i64,
    started: Instant,
    last: Mutex<Instant>,
    shown: bool,
}

impl Progress {
    fn new(total: i64) -> Self {
        let now = Instant::now();
        Self {
            total,
            started: now,
            last: Mutex::new(now),
            shown: io::stderr().is_terminal(),
        }
    }

    fn show(&self, done: u64) {
        if !self.shown {
            return;
        }
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if last.elapsed() < PROGRESS_EVERY {
            return;
        }
        *last = Instant::now();
        eprint!("\r{}", self.line(done));
    }

    fn finish(&self, done: u64) {
        if self.shown {
            eprintln!("\r{}", self.line(done));
        }
    }

    fn line(&self, done: u64) -> String {
        #[expect(
            clippy::cast_precision_loss,
            reason = "a rate and a share for people to read"
        )]
        let (rate, share) = (
            done as f64 / self.started.elapsed().as_secs_f64().max(1e-3),
            if self.total > 0 {
                format!(
                    " of {} ({:.0} %)",
                    self.total,
                    done as f64 * 100.0 / self.total as f64
                )
            } else {
                String::new()
            },
        );
        format!("replayed {done}{share}, {rate:.0}/s   ")
    }
}

fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

fn write_table(out: &mut impl Write, heading: &Heading, summary: &Summary<'_>) -> io::Result<()> {
    let candidate = &heading.candidate;
    writeln!(
        out,
        "Replayed {} decision(s) from the {} ({}) under {} {} ({})",
        summary.replayed,
        heading.source,
        heading.from,
        candidate.id,
        candidate.version,
        candidate.digest
    )?;
    if let Some(baseline) = &heading.baseline {
        writeln!(
            out,
            "Before: decided under {} {} ({})",
            baseline.id, baseline.version, baseline.digest
        )?;
    }
    #[expect(clippy::cast_precision_loss, reason = "a share for people to read")]
    let changed = if summary.replayed == 0 {
        0.0
    } else {
        summary.changed as f64 / summary.replayed as f64
    };
    writeln!(out, "Changed: {} ({})", summary.changed, percent(changed))?;
    writeln!(out, "\nOutcome transitions")?;
    let rows = summary.transitions.iter().map(|transition| {
        vec![
            transition.from.to_owned(),
            transition.to.to_owned(),
            transition.count.to_string(),
            percent(transition.share),
            if transition.from == transition.to {
                String::new()
            } else {
                transition.samples.join(", ")
            },
        ]
    });
    write_rows(out, &["FROM", "TO", "COUNT", "SHARE", "SAMPLES"], rows)?;
    if !summary.result_codes.is_empty() {
        writeln!(out, "\nResult-code changes")?;
        let rows = summary.result_codes.iter().map(|change| {
            vec![
                change.from.to_owned(),
                change.to.to_owned(),
                change.count.to_string(),
                change.samples.join(", "),
            ]
        });
        write_rows(out, &["FROM", "TO", "COUNT", "SAMPLES"], rows)?;
    }
    if !summary.rules.is_empty() {
        writeln!(
            out,
            "\nRules deciding the changed decisions under the candidate"
        )?;
        let rows = summary.rules.iter().map(|rule| {
            vec![
                rule.rule_id.to_owned(),
                rule.count.to_string(),
                rule.samples.join(", "),
            ]
        });
        write_rows(out, &["RULE", "COUNT", "SAMPLES"], rows)?;
    }
    writeln!(
        out,
        "\nFraud-confirmed workflows the candidate approves: {}{}",
        summary.fraud_approved.count,
        if summary.fraud_approved.samples.is_empty() {
            String::new()
        } else {
            format!(" ({})", summary.fraud_approved.samples.join(", "))
        }
    )?;
    for failure in &summary.undecidable {
        let why = serde_json::to_value(failure.why)
            .ok()
            .and_then(|why| why.as_str().map(str::to_owned))
            .unwrap_or_default();
        writeln!(
            out,
            "Not re-decided ({why}): {} ({})",
            failure.count,
            failure.samples.join(", ")
        )?;
    }
    Ok(())
}

/// Left-aligned columns, two spaces apart.
fn write_rows(
    out: &mut impl Write,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> io::Result<()> {
    let rows: Vec<Vec<String>> =
        std::iter::once(header.iter().map(|cell| (*cell).to_owned()).collect())
            .chain(rows)
            .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|column| {
            rows.iter()
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        writeln!(out, "  {}", line.join("  ").trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::shown_location;

    #[test]
    fn a_printed_ledger_location_has_no_password() {
        assert_eq!(
            shown_location("postgres://verdict:s3cret@db.internal:5432/verdict"),
            "postgres://verdict@db.internal:5432/verdict"
        );
        assert_eq!(
            shown_location("postgres://verdict@127.0.0.1:55432/v"),
            "postgres://verdict@127.0.0.1:55432/v"
        );
        assert_eq!(
            shown_location("sqlite:verdict-data/ledger.sqlite"),
            "sqlite:verdict-data/ledger.sqlite"
        );
    }
}
