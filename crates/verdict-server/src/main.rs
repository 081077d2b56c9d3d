//! The `verdict` command: `verdict serve` (the default) runs the gRPC server;
//! `verdict eval FILE…` decides retrieval bodies offline; `verdict policy`
//! checks, tests and compares policy files; `verdict ledger` verifies,
//! exports and prunes the decision ledger; `verdict replay` re-decides it
//! (or retrieval bodies) under a candidate policy.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser as _;
use verdict_server::cli::{Cli, Command};
use verdict_server::commands;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Eval(args)) => commands::eval::eval(&args),
        Some(Command::Serve(args)) => commands::serve::serve(&args),
        Some(Command::Policy(command)) => commands::policy::run(&command),
        Some(Command::Ledger(command)) => commands::ledger::run(&command),
        Some(Command::Replay(args)) => commands::replay::replay(&args),
        None => commands::serve::serve(&cli.serve),
    }
}
