//! What each `verdict` subcommand does: `serve`, `eval`, `policy check |
//! test | diff`, `ledger verify | export | prune` and `replay`.

pub mod eval;
pub mod ledger;
pub mod policy;
pub mod replay;
pub mod serve;
