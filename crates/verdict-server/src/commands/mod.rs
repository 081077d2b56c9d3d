//! What each `verdict` subcommand does: `serve`, `eval`, `policy check |
//! test | diff`, `ledger verify | export | prune` and `replay`.

pub mod eval;
pub mod ledger;
pub mod policy;
pub mod replay;
pub mod serve;

/// The single-threaded runtime an offline command runs its store's queries
/// on, or the exit code after saying why there is none.
fn runtime() -> Result<tokio::runtime::Runtime, std::process::ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            eprintln!("verdict: cannot start the async runtime: {error}");
            std::process::ExitCode::FAILURE
        })
}
