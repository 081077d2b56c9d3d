//! `verdict ledger verify | export | prune`: the ledger, offline, on the
//! same store a server uses (SQLite file or PostgreSQL).

use std::io::Write as _;
use std::process::ExitCode;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use verdict_ledger::{LedgerError, ListQuery, SCAN_PAGE, Store, now_ms};

use crate::cli::{LedgerArgs, LedgerCommand};
use crate::config::ledger_location;

pub fn run(command: &LedgerCommand) -> ExitCode {
    let runtime = match super::runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    runtime.block_on(async {
        match command {
            LedgerCommand::Verify(args) => verify(args).await,
            LedgerCommand::Export { ledger, from, to } => {
                export(ledger, from.as_deref(), to.as_deref()).await
            }
            LedgerCommand::Prune {
                ledger,
                older_than_days,
            } => prune(ledger, *older_than_days).await,
        }
    })
}

async fn open(args: &LedgerArgs) -> Result<Store, ExitCode> {
    let Some(location) = ledger_location(&args.ledger, &args.data_dir) else {
        eprintln!("verdict: --ledger none has no ledger to read");
        return Err(ExitCode::from(2));
    };
    Store::open(&location).await.map_err(|error| {
        eprintln!("verdict: {error}");
        ExitCode::FAILURE
    })
}

async fn verify(args: &LedgerArgs) -> ExitCode {
    let store = match open(args).await {
        Ok(store) => store,
        Err(code) => return code,
    };
    match store.verify().await {
        Ok(verified) => {
            let from = verified.from_checkpoint.map_or_else(
                || "the first record".to_owned(),
                |seq| format!("checkpoint {seq}"),
            );
            println!(
                "ledger verified: {} record(s) from {from} to {}, chain intact; {} feedback record(s), chain intact",
                verified.records, verified.head_seq, verified.feedback
            );
            ExitCode::SUCCESS
        }
        Err(error @ (LedgerError::Broken(_) | LedgerError::Corrupt { .. })) => {
            println!("ledger BROKEN: {error}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("verdict: {error}");
            ExitCode::FAILURE
        }
    }
}

/// An RFC 3339 flag as ms since the epoch, or the message saying what was expected.
pub(crate) fn parse_time(flag: &str, value: Option<&str>) -> Result<Option<i64>, String> {
    value
        .map(|value| {
            OffsetDateTime::parse(value, &Rfc3339)
                .map(|at| i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
                .map_err(|_| {
                    format!("--{flag}: expected an RFC 3339 time such as 2026-01-31T00:00:00Z")
                })
        })
        .transpose()
}

async fn export(args: &LedgerArgs, from: Option<&str>, to: Option<&str>) -> ExitCode {
    let (from_ms, to_ms) = match (parse_time("from", from), parse_time("to", to)) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(message), _) | (_, Err(message)) => {
            eprintln!("verdict: {message}");
            return ExitCode::from(2);
        }
    };
    let store = match open(args).await {
        Ok(store) => store,
        Err(code) => return code,
    };
    let mut query = ListQuery {
        from_ms,
        to_ms,
        limit: SCAN_PAGE,
        ..ListQuery::default()
    };
    let mut out = std::io::stdout().lock();
    loop {
        let page = match store.reads().list(&query).await {
            Ok(page) => page,
            Err(error) => {
                eprintln!("verdict: {error}");
                return ExitCode::FAILURE;
            }
        };
        let Some(last) = page.last() else { break };
        query.after_seq = last.seq;
        for record in &page {
            let line = serde_json::to_string(record).unwrap_or_default();
            if writeln!(out, "{line}").is_err() {
                // A closed pipe (`| head`): the reader has what it wanted.
                return ExitCode::SUCCESS;
            }
        }
    }
    ExitCode::SUCCESS
}

async fn prune(args: &LedgerArgs, days: u64) -> ExitCode {
    let store = match open(args).await {
        Ok(store) => store,
        Err(code) => return code,
    };
    let now = now_ms();
    let keep = i64::try_from(days.saturating_mul(86_400_000)).unwrap_or(i64::MAX);
    match store.prune(now.saturating_sub(keep), now).await {
        Ok(pruned) => {
            println!(
                "pruned {pruned} record(s) older than {days} day(s); the chain verifies from the new checkpoint"
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("verdict: {error}");
            ExitCode::FAILURE
        }
    }
}
