//! Tools for people who write policies, above evaluation: `policy check`
//! (gaps and unreachable rules), `policy diff` (what changes between two
//! policies), `replay` (what a candidate policy changes over recorded facts
//! or retrieval bodies), golden cases (`NAME.test.toml`), and the input space the first
//! two walk. [`files`] is the one place in this crate that touches the
//! filesystem: policy directories and the files golden cases name.

pub mod check;
pub mod diff;
pub mod files;
pub mod golden;
pub mod replay;
pub mod space;
