//! A decision encoded straight from verdict-core's [`Decision`]: the bytes
//! prost writes for [`decision_to_wire`]'s message, without building that
//! message. Its texts (codes, messages, rule ids from the policy; labels and
//! ids from the input) are copied once, into the answer, instead of each
//! into a `String` of its own that is encoded and then freed.
//!
//! Fields are written as prost writes them: in field-number order, a proto3
//! scalar only when it is not its default, a set message field always.
//! `decision_wire_is_what_prost_writes` in this module checks the two
//! encodings byte for byte over every fixture and shipped policy.
//!
//! [`decision_to_wire`]: crate::convert::decision_to_wire

use prost::bytes::{BufMut, Bytes};
use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint, key_len, message};
use verdict_api::v1 as pb;
use verdict_core::{Decision, DecisionType, PolicyRef, Reason};

use crate::convert::{decision_type_to_wire, outcome_to_wire};
use crate::evidence::reason_evidence;

/// A decision and its explanations, to encode: `Decision` as
/// `decision_to_wire` builds it, with `explanations` set. Its length, and
/// each reason's, is known before anything is written.
pub struct DecisionWire<'d, 'a> {
    decision: &'d Decision<'a>,
    explanations: &'d [pb::FindingExplanation],
    /// Each reason's encoded length, in order: needed for the decision's
    /// length and again for each reason's prefix, so worked out once.
    reason_lens: Vec<usize>,
    len: usize,
}

impl<'d, 'a> DecisionWire<'d, 'a> {
    pub fn new(decision: &'d Decision<'a>, explanations: &'d [pb::FindingExplanation]) -> Self {
        let reason_lens = decision
            .reasons
            .iter()
            .map(|reason| reason_len(decision, reason))
            .collect();
        let mut wire = Self {
            decision,
            explanations,
            reason_lens,
            len: 0,
        };
        wire.len = wire.encoded_len();
        wire
    }

    /// The encoded decision's length.
    pub fn len(&self) -> usize {
        self.len
    }

    /// A `BatchResult` with `id` and this decision, encoded.
    pub fn batch_result(&self, id: &str) -> Vec<u8> {
        let mut buf = Vec::with_capacity(batch_result_len(id, self.len));
        put_batch_result_head(id, self.len, &mut buf);
        self.put(&mut buf);
        buf
    }

    /// An `EvaluateResponse` with this decision, encoded.
    pub fn evaluate_response(&self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(nested_len(1, self.len));
        // A set message field is written even when empty.
        put_nested(1, self.len, &mut buf);
        self.put(&mut buf);
        buf
    }

    /// This decision encoded, for the ledger to mark once recorded.
    pub fn unmarked(&self) -> Unmarked {
        let mut buf = Vec::with_capacity(ANSWER_HEAD + self.len + RECORD_MARK_BYTES);
        buf.resize(ANSWER_HEAD, 0);
        self.put(&mut buf);
        Unmarked { buf }
    }

    fn encoded_len(&self) -> usize {
        let decision = self.decision;
        enum_len(1, outcome_to_wire(decision.outcome) as i32)
            + text_len(2, decision.result_code)
            + self
                .reason_lens
                .iter()
                .map(|&len| nested_len(3, len))
                .sum::<usize>()
            + nested_len(4, policy_len(decision.policy))
            + text_len(5, decision.workflow_id.unwrap_or_default())
            + text_len(6, decision.account_id.unwrap_or_default())
            + message::encoded_len_repeated(7, self.explanations)
        // Fields 8 to 12 are the ledger's marks: unset here.
    }

    fn put(&self, buf: &mut impl BufMut) {
        let decision = self.decision;
        put_enum(1, outcome_to_wire(decision.outcome) as i32, buf);
        put_text(2, decision.result_code, buf);
        for (reason, &len) in decision.reasons.iter().zip(&self.reason_lens) {
            put_nested(3, len, buf);
            put_reason(decision, reason, buf);
        }
        put_nested(4, policy_len(decision.policy), buf);
        put_text(1, &decision.policy.id, buf);
        put_text(2, &decision.policy.version, buf);
        put_text(3, &decision.policy.digest, buf);
        put_text(5, decision.workflow_id.unwrap_or_default(), buf);
        put_text(6, decision.account_id.unwrap_or_default(), buf);
        message::encode_repeated(7, self.explanations, buf);
    }
}

/// Most bytes recording adds to a decision: a decision id (36), the
/// superseded id (36), `recorded`, `workflow_version`, `already_recorded`,
/// with their tags and lengths.
pub const RECORD_MARK_BYTES: usize = 2 * (2 + 36) + 2 + 6 + 2 + 8;

/// What the ledger adds to a decision it has recorded: `Decision`'s fields
/// 8 to 12. They are its last fields, so prost writes them after everything
/// [`DecisionWire`] writes, and [`Unmarked::evaluate_response`] can add them
/// to a decision encoded before it was recorded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Mark<'m> {
    pub decision_id: &'m str,
    pub recorded: bool,
    pub workflow_version: u32,
    pub already_recorded: bool,
    pub supersedes_decision_id: &'m str,
}

impl Mark<'_> {
    fn encoded_len(&self) -> usize {
        text_len(8, self.decision_id)
            + bool_len(9, self.recorded)
            + uint_len(10, self.workflow_version)
            + bool_len(11, self.already_recorded)
            + text_len(12, self.supersedes_decision_id)
    }

    fn put(&self, buf: &mut impl BufMut) {
        put_text(8, self.decision_id, buf);
        put_bool(9, self.recorded, buf);
        put_uint(10, self.workflow_version, buf);
        put_bool(11, self.already_recorded, buf);
        put_text(12, self.supersedes_decision_id, buf);
    }
}

/// Room kept before an [`Unmarked`] decision for the `EvaluateResponse`
/// key and length written once its mark is known (a varint is at most 10
/// bytes): the decision is not copied again to make room.
const ANSWER_HEAD: usize = 1 + 10;

/// A decision encoded before the ledger has recorded it: every field but
/// the [`Mark`]. Owns its bytes, so it outlives the input it was decided
/// from while the ledger records the decision.
#[derive(Debug)]
pub struct Unmarked {
    /// [`ANSWER_HEAD`] bytes of room, then the decision's fields 1 to 7.
    buf: Vec<u8>,
}

impl Unmarked {
    /// The decision's encoded length, without its mark.
    pub fn len(&self) -> usize {
        self.buf.len() - ANSWER_HEAD
    }

    /// A `BatchResult` with `id` and this decision, marked with `mark`,
    /// encoded (the decision copied once more: a batch item's id is not
    /// known to fit the room kept for a key and length).
    pub fn batch_result(&self, id: &str, mark: &Mark<'_>) -> Vec<u8> {
        let len = self.len() + mark.encoded_len();
        let mut buf = Vec::with_capacity(batch_result_len(id, len));
        put_batch_result_head(id, len, &mut buf);
        buf.extend_from_slice(&self.buf[ANSWER_HEAD..]);
        mark.put(&mut buf);
        buf
    }

    /// An `EvaluateResponse` with this decision, marked with `mark`,
    /// encoded.
    pub fn evaluate_response(self, mark: &Mark<'_>) -> Bytes {
        let len = self.len() + mark.encoded_len();
        // The key and length, right before the decision.
        let start = ANSWER_HEAD - (nested_len(1, len) - len);
        let mut buf = self.buf;
        put_nested(1, len, &mut &mut buf[start..ANSWER_HEAD]);
        mark.put(&mut buf);
        Bytes::from(buf).slice(start..)
    }
}

/// A `BatchResult` with `id` and a decision of `len` bytes.
fn batch_result_len(id: &str, len: usize) -> usize {
    text_len(1, id) + nested_len(2, len)
}

/// A `BatchResult`'s `id`, then the key and length of its decision (`len`
/// bytes, which follow).
fn put_batch_result_head(id: &str, len: usize, buf: &mut impl BufMut) {
    put_text(1, id, buf);
    // A oneof member is written even when empty.
    put_nested(2, len, buf);
}

fn policy_len(policy: &PolicyRef) -> usize {
    text_len(1, &policy.id) + text_len(2, &policy.version) + text_len(3, &policy.digest)
}

/// The decision type as spelled in the input, only when verdict does not
/// know it.
fn raw_decision_type<'a>(reason: &Reason<'a>) -> &'a str {
    if reason.decision_type == DecisionType::Other {
        reason.raw_decision_type
    } else {
        ""
    }
}

/// A reason's length. Its evidence (a message built from the decision) is
/// built here and again to write it: only reasons that cite evidence have
/// any, and those are few.
fn reason_len(decision: &Decision<'_>, reason: &Reason<'_>) -> usize {
    text_len(1, reason.capability)
        + enum_len(2, decision_type_to_wire(reason.decision_type) as i32)
        + text_len(3, reason.label)
        + enum_len(4, outcome_to_wire(reason.outcome) as i32)
        + text_len(5, reason.code)
        + text_len(6, reason.message)
        + bool_len(7, reason.root_cause)
        + text_len(8, reason.rule_id)
        + text_len(9, reason.user_message.unwrap_or_default())
        + text_len(10, raw_decision_type(reason))
        + bool_len(11, reason.catalogued)
        + text_len(12, reason.entry_id.unwrap_or_default())
        + reason
            .credential_categories
            .iter()
            .map(|category| texts_len(13, category))
            .sum::<usize>()
        + reason_evidence(decision, reason.cites)
            .map_or(0, |evidence| message::encoded_len(14, &evidence))
}

fn put_reason(decision: &Decision<'_>, reason: &Reason<'_>, buf: &mut impl BufMut) {
    put_text(1, reason.capability, buf);
    put_enum(2, decision_type_to_wire(reason.decision_type) as i32, buf);
    put_text(3, reason.label, buf);
    put_enum(4, outcome_to_wire(reason.outcome) as i32, buf);
    put_text(5, reason.code, buf);
    put_text(6, reason.message, buf);
    put_bool(7, reason.root_cause, buf);
    put_text(8, reason.rule_id, buf);
    put_text(9, reason.user_message.unwrap_or_default(), buf);
    put_text(10, raw_decision_type(reason), buf);
    put_bool(11, reason.catalogued, buf);
    put_text(12, reason.entry_id.unwrap_or_default(), buf);
    for category in reason.credential_categories {
        put_texts(13, category, buf);
    }
    if let Some(evidence) = reason_evidence(decision, reason.cites) {
        message::encode(14, &evidence, buf);
    }
}

/// A singular string field: absent when empty.
fn text_len(tag: u32, text: &str) -> usize {
    if text.is_empty() {
        0
    } else {
        texts_len(tag, text)
    }
}

fn put_text(tag: u32, text: &str, buf: &mut impl BufMut) {
    if !text.is_empty() {
        put_texts(tag, text, buf);
    }
}

/// One string of a repeated field: written even when empty.
fn texts_len(tag: u32, text: &str) -> usize {
    nested_len(tag, text.len())
}

fn put_texts(tag: u32, text: &str, buf: &mut impl BufMut) {
    put_nested(tag, text.len(), buf);
    buf.put_slice(text.as_bytes());
}

/// A length-delimited field of `len` bytes, with its key and length.
fn nested_len(tag: u32, len: usize) -> usize {
    key_len(tag) + encoded_len_varint(len as u64) + len
}

/// The key and length of a length-delimited field; its bytes follow.
fn put_nested(tag: u32, len: usize, buf: &mut impl BufMut) {
    encode_key(tag, WireType::LengthDelimited, buf);
    encode_varint(len as u64, buf);
}

/// An enum field: absent when 0. (An `i32` is written as its 64-bit
/// two's complement, as prost writes `int32`; every value here is small
/// and positive.)
fn enum_len(tag: u32, value: i32) -> usize {
    if value == 0 {
        0
    } else {
        key_len(tag) + encoded_len_varint(i64::from(value) as u64)
    }
}

fn put_enum(tag: u32, value: i32, buf: &mut impl BufMut) {
    if value != 0 {
        encode_key(tag, WireType::Varint, buf);
        encode_varint(i64::from(value) as u64, buf);
    }
}

/// A `uint32` field: absent when 0.
fn uint_len(tag: u32, value: u32) -> usize {
    if value == 0 {
        0
    } else {
        key_len(tag) + encoded_len_varint(u64::from(value))
    }
}

fn put_uint(tag: u32, value: u32, buf: &mut impl BufMut) {
    if value != 0 {
        encode_key(tag, WireType::Varint, buf);
        encode_varint(u64::from(value), buf);
    }
}

/// A bool field: absent when false.
fn bool_len(tag: u32, value: bool) -> usize {
    if value { key_len(tag) + 1 } else { 0 }
}

fn put_bool(tag: u32, value: bool, buf: &mut impl BufMut) {
    if value {
        encode_key(tag, WireType::Varint, buf);
        buf.put_u8(1);
    }
}

#[cfg(test)]
mod tests {
    use prost::Message as _;
    use serde_json::Value;
    use verdict_core::{
        Evidence, Feedback, KnownWorkflow, Outcome, Policy, PriorRetry, evaluate_with,
        explain_with, load_policy, parse_workflow_json,
    };

    use super::*;
    use crate::convert::{decision_to_wire, explanations_to_wire};

    /// Every fixture, and each again with its decision types unknown to
    /// verdict (so that reasons carry `raw_decision_type`).
    fn inputs() -> Vec<(String, String)> {
        let dir = format!("{}/../../tests/fixtures", env!("CARGO_MANIFEST_DIR"));
        let mut inputs = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("the fixtures") {
            let path = entry.expect("an entry").path();
            let body = std::fs::read_to_string(&path).expect("readable");
            let name = path.display().to_string();
            inputs.push((
                format!("{name} (unknown types)"),
                body.replace("\"REJECTED\"", "\"DISMISSED\""),
            ));
            inputs.push((name, body));
        }
        assert!(inputs.len() >= 58, "the fixtures are missing");
        // A decision over 16 KiB, whose length takes a varint of three
        // bytes: fixture 02 with its usability entry a hundred times over.
        let body = std::fs::read_to_string(format!("{dir}/02-usability-rejected-blurred.json"))
            .expect("fixture 02");
        let mut value: Value = serde_json::from_str(&body).expect("fixture 02 is JSON");
        let entry = value["capabilities"]["usability"][0].clone();
        value["capabilities"]["usability"] = (0..100)
            .map(|n| {
                let mut entry = entry.clone();
                entry["id"] = Value::from(format!("entry-{n}"));
                entry
            })
            .collect();
        inputs.push((
            "fixture 02, 100 usability entries".to_owned(),
            value.to_string(),
        ));
        inputs
    }

    /// The workflow ids a fixture's face searches found.
    fn found(value: &Value, ids: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value) {
                        ("findings", Value::Array(found)) => {
                            ids.extend(found.iter().filter_map(Value::as_str).map(str::to_owned))
                        }
                        _ => found(value, ids),
                    }
                }
            }
            Value::Array(values) => values.iter().for_each(|value| found(value, ids)),
            _ => {}
        }
    }

    /// No evidence; the found workflows known (one of another account,
    /// declined, confirmed fraud; the others of no known account); and the
    /// account's earlier retries with a channel.
    fn evidences(body: &str) -> Vec<Evidence> {
        let mut ids = Vec::new();
        if let Ok(value) = serde_json::from_str::<Value>(body) {
            found(&value, &mut ids);
        }
        let workflows = ids
            .iter()
            .enumerate()
            .map(|(index, id)| KnownWorkflow {
                workflow_id: id.clone(),
                account_id: if index == 0 {
                    "acct-other".to_owned()
                } else {
                    String::new()
                },
                outcome: (index == 0).then_some(Outcome::Decline),
                result_code: (index == 0).then(|| "DOCUMENT_FRAUD".to_owned()),
                feedback: (index == 0).then_some(Feedback::FraudConfirmed),
            })
            .collect();
        let retries = (1..=4)
            .map(|n| PriorRetry {
                workflow_id: format!("earlier-{n}"),
                completed_at: None,
            })
            .collect();
        vec![
            Evidence::default(),
            Evidence {
                workflows,
                ..Evidence::default()
            },
            Evidence {
                retries,
                channel: Some("WEB".to_owned()),
                ..Evidence::default()
            },
        ]
    }

    /// Marks as the ledger sets them (decision id, recorded, workflow
    /// version, already recorded, superseded id): none (not recorded), a
    /// first record, the same input again, and a new version — one with the
    /// largest version, whose varint is longest.
    const MARKS: [(&str, bool, u32, bool, &str); 5] = [
        ("", false, 0, false, ""),
        ("0f8e1c2a-6d4b-4e8a-9c1f-2b3d4e5f6a7b", true, 1, false, ""),
        ("0f8e1c2a-6d4b-4e8a-9c1f-2b3d4e5f6a7b", true, 1, true, ""),
        (
            "5a6b7c8d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
            true,
            2,
            false,
            "0f8e1c2a-6d4b-4e8a-9c1f-2b3d4e5f6a7b",
        ),
        (
            "5a6b7c8d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",
            true,
            u32::MAX,
            false,
            "0f8e1c2a-6d4b-4e8a-9c1f-2b3d4e5f6a7b",
        ),
    ];

    #[test]
    fn decision_wire_is_what_prost_writes() {
        let acme = load_policy(
            "acme-eu.toml",
            include_str!("../../verdict-core/policies/examples/acme-eu.toml"),
        )
        .expect("the worked example loads");
        let policies = [Policy::embedded_default(), acme];
        let (mut compared, mut with_evidence, mut with_raw_type, mut with_categories) =
            (0, 0, 0, 0);
        let mut largest = 0;
        for (name, body) in inputs() {
            // Some fixtures are not workflow results at all.
            let Ok(workflow) = parse_workflow_json(&body) else {
                continue;
            };
            for policy in &policies {
                for evidence in evidences(&body) {
                    let Ok(decision) = evaluate_with(&workflow, policy, &evidence) else {
                        continue;
                    };
                    for explain in [false, true] {
                        let explanations = if explain {
                            explanations_to_wire(&explain_with(&workflow, policy, &evidence))
                        } else {
                            Vec::new()
                        };
                        let mut message = decision_to_wire(&decision);
                        message.explanations = explanations.clone();
                        let reasons = &message.reasons;
                        with_evidence += reasons.iter().filter(|r| r.evidence.is_some()).count();
                        with_raw_type += reasons
                            .iter()
                            .filter(|r| !r.raw_decision_type.is_empty())
                            .count();
                        with_categories += reasons
                            .iter()
                            .filter(|r| !r.credential_categories.is_empty())
                            .count();
                        // An empty id is not written at all.
                        let id = if explain { "" } else { "item-7" };
                        let expected = pb::BatchResult {
                            id: id.to_owned(),
                            result: Some(pb::batch_result::Result::Decision(message.clone())),
                        }
                        .encode_to_vec();
                        assert_eq!(
                            DecisionWire::new(&decision, &explanations).batch_result(id),
                            expected,
                            "{name}, explain {explain}"
                        );
                        let wire = DecisionWire::new(&decision, &explanations);
                        let expected = pb::EvaluateResponse {
                            decision: Some(message),
                        };
                        assert_eq!(wire.evaluate_response(), expected.encode_to_vec(), "{name}");
                        let message = expected.decision.unwrap_or_default();
                        assert_eq!(wire.len(), message.encoded_len(), "{name}");
                        largest = largest.max(wire.len());
                        for (id, recorded, version, again, supersedes) in MARKS {
                            let marked = pb::EvaluateResponse {
                                decision: Some(pb::Decision {
                                    decision_id: id.to_owned(),
                                    recorded,
                                    workflow_version: version,
                                    already_recorded: again,
                                    supersedes_decision_id: supersedes.to_owned(),
                                    ..message.clone()
                                }),
                            };
                            let mark = Mark {
                                decision_id: id,
                                recorded,
                                workflow_version: version,
                                already_recorded: again,
                                supersedes_decision_id: supersedes,
                            };
                            let unmarked = wire.unmarked();
                            assert_eq!(unmarked.len(), wire.len(), "{name}");
                            let result = pb::BatchResult {
                                id: id.to_owned(),
                                result: marked
                                    .decision
                                    .clone()
                                    .map(pb::batch_result::Result::Decision),
                            };
                            assert_eq!(
                                unmarked.batch_result(id, &mark),
                                result.encode_to_vec(),
                                "{name}, {mark:?}"
                            );
                            assert_eq!(
                                unmarked.evaluate_response(&mark),
                                marked.encode_to_vec(),
                                "{name}, {mark:?}"
                            );
                        }
                        compared += 1;
                    }
                }
            }
        }
        // What the comparison must have covered to mean anything.
        assert!(compared > 300, "{compared} decisions compared");
        assert!(with_evidence > 0 && with_raw_type > 0 && with_categories > 0);
        assert!(
            largest >= 1 << 14,
            "the largest decision is {largest} bytes"
        );
    }
}
