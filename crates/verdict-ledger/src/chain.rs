//! The hash chains: each record's hash covers its content and the previous
//! record's hash, so changing or deleting a row breaks every hash after it.
//! Decisions and feedback are two chains, each with its own head, checked by
//! the same [`Verifier`].

use std::marker::PhantomData;

use sha2::{Digest, Sha256};

use crate::record::{Draft, FeedbackRecord, Record};

/// The hash before the first record of either chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The decisions' chain, as [`Break`] names it.
pub const DECISION_CHAIN: &str = "decision";
/// The feedback chain, as [`Break`] names it.
pub const FEEDBACK_CHAIN: &str = "feedback";

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
    let mut fields = Fields::default();
    fields.text(prev_hash);
    fields.number(seq);
    fields.text(decision_id);
    fields.number(workflow_version);
    fields.number(recorded_at_ms);
    for text in [
        &draft.workflow_id,
        &draft.account_id,
        &draft.completed_at,
        &draft.outcome,
        &draft.result_code,
    ] {
        fields.text(text);
    }
    fields.text(reasons);
    for text in [
        &draft.policy.id,
        &draft.policy.version,
        &draft.policy.digest,
        &draft.input_sha256,
        &draft.facts,
    ] {
        fields.text(text);
    }
    fields.hex()
}

/// Lowercase hex SHA-256 of everything a feedback record says, after
/// `prev_hash`, with the same length-prefixed fields as [`record_hash`]:
/// `seq`, `feedback_id`, `recorded_at_ms`, `workflow_id`, `account_id`,
/// `decision_id`, `verdict`, `note_code`. The record's own `prev_hash` and
/// `hash` are not read.
pub fn feedback_hash(prev_hash: &str, feedback: &FeedbackRecord) -> String {
    let mut fields = Fields::default();
    fields.text(prev_hash);
    fields.number(feedback.seq);
    fields.text(&feedback.feedback_id);
    fields.number(feedback.recorded_at_ms);
    for text in [
        &feedback.workflow_id,
        &feedback.account_id,
        &feedback.decision_id,
        &feedback.verdict,
        &feedback.note_code,
    ] {
        fields.text(text);
    }
    fields.hex()
}

/// SHA-256 over length-prefixed fields: each as its length (8 bytes,
/// big-endian) then its bytes, so no field can bleed into the next.
#[derive(Default)]
struct Fields(Sha256);

impl Fields {
    fn bytes(&mut self, bytes: &[u8]) {
        self.0.update((bytes.len() as u64).to_be_bytes());
        self.0.update(bytes);
    }

    fn text(&mut self, text: &str) {
        self.bytes(text.as_bytes());
    }

    fn number(&mut self, number: i64) {
        self.bytes(&number.to_be_bytes());
    }

    /// The digest in lowercase hex.
    fn hex(self) -> String {
        hex(&self.0.finalize())
    }
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

/// Where a chain breaks. `chain` is [`DECISION_CHAIN`] or [`FEEDBACK_CHAIN`];
/// `id` the record's decision or feedback id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    #[error(
        "record {seq} ({id}) of the {chain} chain: its content does not match its hash (changed after it was written)"
    )]
    Altered {
        chain: &'static str,
        seq: i64,
        id: String,
    },
    #[error(
        "record {seq} ({id}) of the {chain} chain: it does not follow record {expected_prev}'s hash (a record before it was changed or removed)"
    )]
    Unlinked {
        chain: &'static str,
        seq: i64,
        id: String,
        expected_prev: i64,
    },
    #[error("records {from} to {to} of the {chain} chain are missing")]
    Missing {
        chain: &'static str,
        from: i64,
        to: i64,
    },
    #[error(
        "the {chain} chain ends at record {last} but its head says {head} (records at the end were removed)"
    )]
    Truncated {
        chain: &'static str,
        last: i64,
        head: i64,
    },
    #[error("the {chain} chain's head hash does not match record {seq}'s hash")]
    HeadMismatch { chain: &'static str, seq: i64 },
}

/// A record of a chain, as the [`Verifier`] sees it.
pub trait Link {
    /// Which chain: [`DECISION_CHAIN`] or [`FEEDBACK_CHAIN`].
    const CHAIN: &'static str;
    fn seq(&self) -> i64;
    /// The decision or feedback id.
    fn id(&self) -> &str;
    fn prev_hash(&self) -> &str;
    fn hash(&self) -> &str;
    /// The hash recomputed from the record's content and its `prev_hash`.
    fn computed_hash(&self) -> String;
}

impl Link for Record {
    const CHAIN: &'static str = DECISION_CHAIN;

    fn seq(&self) -> i64 {
        self.seq
    }

    fn id(&self) -> &str {
        &self.decision_id
    }

    fn prev_hash(&self) -> &str {
        &self.prev_hash
    }

    fn hash(&self) -> &str {
        &self.hash
    }

    fn computed_hash(&self) -> String {
        record_hash(
            &self.prev_hash,
            self.seq,
            &self.decision_id,
            self.workflow_version,
            self.recorded_at_ms,
            &self.draft,
            &reasons_json(&self.draft),
        )
    }
}

impl Link for FeedbackRecord {
    const CHAIN: &'static str = FEEDBACK_CHAIN;

    fn seq(&self) -> i64 {
        self.seq
    }

    fn id(&self) -> &str {
        &self.feedback_id
    }

    fn prev_hash(&self) -> &str {
        &self.prev_hash
    }

    fn hash(&self) -> &str {
        &self.hash
    }

    fn computed_hash(&self) -> String {
        feedback_hash(&self.prev_hash, self)
    }
}

/// Checks the records of one chain in order, from a starting point (genesis
/// or a checkpoint).
#[derive(Debug, Clone)]
pub struct Verifier<L> {
    seq: i64,
    hash: String,
    checked: u64,
    chain: PhantomData<fn(&L)>,
}

impl<L: Link> Verifier<L> {
    pub fn new(start_seq: i64, start_hash: &str) -> Self {
        Self {
            seq: start_seq,
            hash: start_hash.to_owned(),
            checked: 0,
            chain: PhantomData,
        }
    }

    /// The next record; the first break found is returned.
    pub fn check(&mut self, record: &L) -> Result<(), Break> {
        let seq = record.seq();
        if seq != self.seq + 1 {
            return Err(Break::Missing {
                chain: L::CHAIN,
                from: self.seq + 1,
                to: seq - 1,
            });
        }
        if record.computed_hash() != record.hash() {
            return Err(Break::Altered {
                chain: L::CHAIN,
                seq,
                id: record.id().to_owned(),
            });
        }
        if record.prev_hash() != self.hash {
            return Err(Break::Unlinked {
                chain: L::CHAIN,
                seq,
                id: record.id().to_owned(),
                expected_prev: self.seq,
            });
        }
        self.seq = seq;
        record.hash().clone_into(&mut self.hash);
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
                chain: L::CHAIN,
                from: self.seq + 1,
                to: seq,
            });
        }
        Ok(())
    }

    /// After the last record: the head must point at it. Returns how many
    /// records were checked.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<u64, Break> {
        if head_seq > self.seq {
            return Err(Break::Truncated {
                chain: L::CHAIN,
                last: self.seq,
                head: head_seq,
            });
        }
        if head_seq == self.seq && head_hash != self.hash {
            return Err(Break::HeadMismatch {
                chain: L::CHAIN,
                seq: head_seq,
            });
        }
        Ok(self.checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::PolicyKey;

    // The expected hashes were computed outside this crate (Python's
    // hashlib over the same length-prefixed fields): a field left out,
    // reordered or encoded otherwise changes them.

    #[test]
    fn a_decision_hashes_every_field_length_prefixed_in_order() {
        let draft = Draft {
            workflow_id: "wf-1".into(),
            account_id: "a".into(),
            completed_at: "2026-05-01T10:00:00Z".into(),
            outcome: "APPROVE".into(),
            result_code: "APPROVED".into(),
            reasons: Vec::new(),
            policy: PolicyKey {
                id: "p".into(),
                version: "1".into(),
                digest: "sha256:aa".into(),
            },
            input_sha256: "sha256:bb".into(),
            facts: "{}".into(),
            shadows: Vec::new(),
        };
        assert_eq!(
            record_hash(GENESIS, 1, "d-1", 1, 1000, &draft, &reasons_json(&draft)),
            "ab60445e7c33ee832dc64b4e1c15529042cb94b7dd4814add9d665cea2fd760c"
        );
    }

    #[test]
    fn feedback_hashes_every_field_length_prefixed_in_order() {
        let feedback = FeedbackRecord {
            seq: 1,
            feedback_id: "f-1".into(),
            workflow_id: "wf-1".into(),
            account_id: "a".into(),
            decision_id: "d-1".into(),
            verdict: "FRAUD_CONFIRMED".into(),
            note_code: "CHARGEBACK".into(),
            recorded_at_ms: 1000,
            prev_hash: "ignored".into(),
            hash: "ignored".into(),
        };
        assert_eq!(
            feedback_hash(GENESIS, &feedback),
            "905e7ca5d0e3169a135e4dbe7223663ca8331f4ed8119581a5729645264a6231"
        );
    }
}
