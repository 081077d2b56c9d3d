//! What each `verdict` subcommand does: `serve`, `eval`, `policy check |
//! test | diff` and `ledger verify | export | prune`.

pub mod eval;
pub mod ledger;
pub mod policy;
pub mod serve;
