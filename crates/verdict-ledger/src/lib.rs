//! verdict's decision ledger: every decision recorded once, append-only and
//! hash-chained, with the PII-free facts it was made from — in an embedded
//! SQLite file or a PostgreSQL database shared by replicas. Beside the
//! decisions, the business's later feedback on decided workflows (codes
//! only), append-only in a hash chain of its own.
//!
//! - `record` — what is kept of a decision (ids, outcome, codes, policy,
//!   input SHA-256, facts) and what an append returns; what is kept of a
//!   feedback (workflow, its latest decision and account, verdict and note
//!   codes); a workflow's latest decision in brief.
//! - `chain` — the two hash chains (decisions, feedback) and their verifier.
//! - `store` — the tables, in SQLite or PostgreSQL, with migrations; feedback
//!   writes and reads, and `verify` over both chains. Reads go through
//!   `Reads`, which keeps one connection for the reads of one request. Retention prunes
//!   decisions only: feedback is kept whole.
//! - `scan` — a replay's read-only, page-at-a-time read of a SQLite ledger.
//! - `writer` — group commit of decisions: one writer task, one transaction
//!   per group. Feedback is written straight through the store, one
//!   transaction each.

pub mod chain;
pub mod record;
pub mod scan;
pub mod store;
#[doc(hidden)]
pub mod testing;
pub mod writer;

pub use chain::Break;
pub use record::{
    AccountRetry, AppendKind, Appended, Draft, FeedbackDraft, FeedbackRecord, GivenFeedback,
    PolicyKey, PolicyText, ReasonRecord, Record, RecordedFacts, ShadowRecord, WorkflowSummary,
};
pub use store::{
    Backend, Checkpoint, LedgerError, ListQuery, MAX_FEEDBACK, Reads, SCAN_PAGE, Store, Verified,
    sqlite_file,
};
pub use writer::{Commit, Ledger, now_ms};
