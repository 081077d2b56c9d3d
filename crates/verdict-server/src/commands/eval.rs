//! `verdict eval FILE…`: decides retrieval bodies offline, through the same
//! decision path as the server.
//!
//! Every file gets one result in the output, in the order given: its
//! decision, or the error that kept it from being decided, each naming the
//! file. `--format json` (the default) writes one JSON document per file for
//! tools; `--format table` one line per file for people. A closed pipe
//! (`verdict eval … | head`) ends the run quietly.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use verdict_api::v1 as pb;
use verdict_core::Evidence;

use crate::PolicyStore;
use crate::cli::{EvalArgs, EvalFormat};
use crate::decide::{DecideOptions, Input, decide};
use crate::evidence::evidence_from_wire;
use crate::proto_json::{self, EvalError};

/// Decides each file and writes its result to stdout as soon as it is
/// decided (JSON) or once all are (table). Exits 1 when any file could not be
/// decided, 2 when the policy cannot be used.
pub fn eval(args: &EvalArgs) -> ExitCode {
    let store = match PolicyStore::open(args.policy_dir.as_deref(), None, true) {
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
            eprintln!("verdict: {error}");
            return ExitCode::from(2);
        }
    };
    let evidence = match args.evidence.as_deref().map(read_evidence).transpose() {
        Ok(evidence) => evidence.unwrap_or_default(),
        Err(message) => {
            eprintln!("verdict: {message}");
            return ExitCode::from(2);
        }
    };
    let options = DecideOptions {
        explain: args.explain,
        ..DecideOptions::default()
    };
    let mut out = io::stdout().lock();
    let mut failed = 0;
    let mut rows = Vec::new();
    for file in &args.files {
        let shown = file.display().to_string();
        let result = decide_file(file, &evidence, policy, options);
        failed += usize::from(result.is_err());
        let written = match args.format {
            EvalFormat::Json => write_document(&mut out, &shown, &result),
            EvalFormat::Table => {
                rows.push(table_row(shown, &result));
                Ok(())
            }
        };
        if let Err(error) = written {
            return stopped_writing(&error, failed);
        }
    }
    if args.format == EvalFormat::Table
        && let Err(error) = write_table(&mut out, &rows)
    {
        return stopped_writing(&error, failed);
    }
    if failed > 0 {
        eprintln!(
            "verdict: {failed} of {} file(s) could not be decided",
            args.files.len()
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// `--evidence FILE`, validated as a request's `evidence` is.
fn read_evidence(file: &Path) -> Result<Evidence, String> {
    let shown = file.display();
    let text = std::fs::read_to_string(file).map_err(|error| format!("{shown}: {error}"))?;
    let evidence =
        proto_json::evidence_from_json(&text).map_err(|message| format!("{shown}: {message}"))?;
    evidence_from_wire(Some(&evidence)).map_err(|error| format!("{shown}: {error}"))
}

fn decide_file(
    file: &Path,
    evidence: &Evidence,
    policy: &verdict_core::Policy,
    options: DecideOptions,
) -> Result<pb::Decision, EvalError> {
    let body = std::fs::read_to_string(file).map_err(|error| EvalError {
        kind: "unreadable_file",
        message: error.to_string(),
    })?;
    // Offline there is no ledger: the evidence is what `--evidence` says.
    decide(Some(Input::Json(&body)), evidence, policy, &[], options)
        .map(|decided| decided.decision)
        .map_err(|error| EvalError {
            kind: error.kind(),
            message: error.to_string(),
        })
}

fn write_document(
    out: &mut impl Write,
    file: &str,
    result: &Result<pb::Decision, EvalError>,
) -> io::Result<()> {
    let document = proto_json::eval_document_to_json(file, result.as_ref())
        .map_err(|message| io::Error::other(format!("rendering {file}: {message}")))?;
    writeln!(out, "{document}")
}

/// A closed pipe (the reader has all it wants) ends the run quietly with the
/// exit code so far; any other write error is reported.
fn stopped_writing(error: &io::Error, failed: usize) -> ExitCode {
    if error.kind() != io::ErrorKind::BrokenPipe {
        eprintln!("verdict: {error}");
        return ExitCode::FAILURE;
    }
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// (file, outcome, code, root causes): one line of `--format table`.
type Row = [String; 4];

fn table_row(file: String, result: &Result<pb::Decision, EvalError>) -> Row {
    match result {
        Ok(decision) => {
            let outcome = decision.outcome().as_str_name();
            let roots: Vec<String> = decision
                .reasons
                .iter()
                .filter(|reason| reason.root_cause)
                .map(|reason| {
                    if reason.label.is_empty() {
                        reason.capability.clone()
                    } else {
                        format!("{}/{}", reason.capability, reason.label)
                    }
                })
                .collect();
            [
                file,
                outcome.trim_start_matches("OUTCOME_").to_owned(),
                decision.result_code.clone(),
                roots.join(", "),
            ]
        }
        Err(error) => [
            file,
            "ERROR".to_owned(),
            error.kind.to_ascii_uppercase(),
            error.message.clone(),
        ],
    }
}

fn write_table(out: &mut impl Write, rows: &[Row]) -> io::Result<()> {
    let header: Row = [
        "FILE".to_owned(),
        "OUTCOME".to_owned(),
        "CODE".to_owned(),
        "ROOT CAUSES".to_owned(),
    ];
    let lines = std::iter::once(&header).chain(rows);
    let widths: Vec<usize> = (0..3)
        .map(|column| {
            std::iter::once(&header)
                .chain(rows)
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in lines {
        let line = format!(
            "{:<file$}  {:<outcome$}  {:<code$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            file = widths[0],
            outcome = widths[1],
            code = widths[2],
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}
