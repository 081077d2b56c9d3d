//! What each `verdict` subcommand does: `serve`, `eval`, and `policy check |
//! test | diff`.

pub mod eval;
pub mod policy;
pub mod serve;
