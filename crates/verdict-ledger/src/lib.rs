//! verdict's decision ledger: every decision recorded once, append-only and
//! hash-chained, with the PII-free facts it was made from — in an embedded
//! SQLite file or a PostgreSQL database shared by replicas.
//!
//! - `record` — what is kept of a decision (ids, outcome, codes, policy,
//!   input SHA-256, facts) and what an append returns.
//! - `chain` — the hash chain and its verifier.
//! - `store` — the tables, in SQLite or PostgreSQL, with migrations.
//! - `writer` — group commit: one writer task, one transaction per group.

pub mod chain;
pub mod record;
pub mod store;
#[doc(hidden)]
pub mod testing;
pub mod writer;

pub use chain::Break;
pub use record::{AppendKind, Appended, Draft, PolicyKey, PolicyText, ReasonRecord, Record};
pub use store::{Backend, Checkpoint, LedgerError, ListQuery, SCAN_PAGE, Store, Verified};
pub use writer::{Commit, Ledger, now_ms};
