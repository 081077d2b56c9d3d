//! The hash chain: each record's hash covers its content and the previous
//! record's hash, so changing or deleting a row breaks every hash after it.

use sha2::{Digest, Sha256};

use crate::record::{Draft, Record};

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Lowercase hex SHA-256 of everything a record says, after `prev_hash`:
/// each field as its length (8 bytes, big-endian) then its bytes, so no
/// field can bleed into the next. `reasons` is the reasons' JSON as stored.
pub fn record_hash(
    prev_hash: &str,
    seq: i64,
    decision_id: &str,
    workflow_version: i64,
    recorded_at_ms: i64,
    draft: &Draft,
    reasons: &str,
) -> String {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    };
    field(prev_hash.as_bytes());
    field(&seq.to_be_bytes());
    field(decision_id.as_bytes());
    field(&workflow_version.to_be_bytes());
    field(&recorded_at_ms.to_be_bytes());
    for text in [
        &draft.workflow_id,
        &draft.account_id,
        &draft.completed_at,
        &draft.outcome,
        &draft.result_code,
    ] {
        field(text.as_bytes());
    }
    field(reasons.as_bytes());
    for text in [
        &draft.policy.id,
        &draft.policy.version,
        &draft.policy.digest,
        &draft.input_sha256,
        &draft.facts,
    ] {
        field(text.as_bytes());
    }
    hex(&hasher.finalize())
}

/// The reasons as stored and hashed: compact JSON, fields in declaration order.
pub fn reasons_json(draft: &Draft) -> String {
    serde_json::to_string(&draft.reasons).unwrap_or_default()
}

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    #[error(
        "record {seq} ({decision_id}): its content does not match its hash (changed after it was written)"
    )]
    Altered { seq: i64, decision_id: String },
    #[error(
        "record {seq} ({decision_id}): it does not follow record {expected_prev}'s hash (a record before it was changed or removed)"
    )]
    Unlinked {
        seq: i64,
        decision_id: String,
        expected_prev: i64,
    },
    #[error("records {from} to {to} are missing")]
    Missing { from: i64, to: i64 },
    #[error(
        "the chain ends at record {last} but its head says {head} (records at the end were removed)"
    )]
    Truncated { last: i64, head: i64 },
    #[error("the chain's head hash does not match record {seq}'s hash")]
    HeadMismatch { seq: i64 },
}

/// Checks records in order, from a starting point (genesis or a checkpoint).
#[derive(Debug, Clone)]
pub struct Verifier {
    seq: i64,
    hash: String,
    checked: u64,
}

impl Verifier {
    pub fn new(start_seq: i64, start_hash: &str) -> Self {
        Self {
            seq: start_seq,
            hash: start_hash.to_owned(),
            checked: 0,
        }
    }

    /// The next record; the first break found is returned.
    pub fn check(&mut self, record: &Record) -> Result<(), Break> {
        if record.seq != self.seq + 1 {
            return Err(Break::Missing {
                from: self.seq + 1,
                to: record.seq - 1,
            });
        }
        let recomputed = record_hash(
            &record.prev_hash,
            record.seq,
            &record.decision_id,
            record.workflow_version,
            record.recorded_at_ms,
            &record.draft,
            &reasons_json(&record.draft),
        );
        if recomputed != record.hash {
            return Err(Break::Altered {
                seq: record.seq,
                decision_id: record.decision_id.clone(),
            });
        }
        if record.prev_hash != self.hash {
            return Err(Break::Unlinked {
                seq: record.seq,
                decision_id: record.decision_id.clone(),
                expected_prev: self.seq,
            });
        }
        self.seq = record.seq;
        self.hash.clone_from(&record.hash);
        self.checked += 1;
        Ok(())
    }

    /// The position of the last record checked.
    pub fn seq(&self) -> i64 {
        self.seq
    }

    /// The hash of the last record checked.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// Every record up to `seq` was there to check.
    pub fn reached(&self, seq: i64) -> Result<(), Break> {
        if self.seq < seq {
            return Err(Break::Missing {
                from: self.seq + 1,
                to: seq,
            });
        }
        Ok(())
    }

    /// After the last record: the head must point at it.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<u64, Break> {
        if head_seq > self.seq {
            return Err(Break::Truncated {
                last: self.seq,
                head: head_seq,
            });
        }
        if head_seq == self.seq && head_hash != self.hash {
            return Err(Break::HeadMismatch { seq: head_seq });
        }
        Ok(self.checked)
    }
}
