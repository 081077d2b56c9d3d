//! Proto3 JSON rendering of decisions, from the schema's own descriptors (the
//! canonical mapping: camelCase names, enum names, defaults omitted).

use std::sync::LazyLock;

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};
use serde::Serialize;
use verdict_api::v1 as pb;

/// A message's descriptor from the schema's descriptor set.
fn descriptor(name: &str) -> Result<MessageDescriptor, String> {
    DescriptorPool::decode(verdict_api::FILE_DESCRIPTOR_SET)
        .map_err(|error| format!("descriptor set: {error}"))?
        .get_message_by_name(name)
        .ok_or_else(|| format!("{name} is not in the descriptor set"))
}

/// `verdict.v1.Decision`'s descriptor, decoded once per process.
static DECISION: LazyLock<Result<MessageDescriptor, String>> =
    LazyLock::new(|| descriptor("verdict.v1.Decision"));

/// `verdict.v1.Evidence` from its proto3 JSON (as grpcurl sends it in a
/// request's `evidence`). The error gives the position, not the content.
pub fn evidence_from_json(text: &str) -> Result<pb::Evidence, String> {
    let descriptor = descriptor("verdict.v1.Evidence")?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let message = DynamicMessage::deserialize(descriptor, &mut deserializer)
        .and_then(|message| deserializer.end().map(|()| message))
        .map_err(|error| {
            format!(
                "not a verdict.v1.Evidence in proto3 JSON (line {}, column {})",
                error.line(),
                error.column()
            )
        })?;
    pb::Evidence::decode(message.encode_to_vec().as_slice())
        .map_err(|error| format!("re-decoding the evidence: {error}"))
}

/// `decision` as a message of its descriptor, which serializes as canonical
/// proto3 JSON.
fn dynamic(decision: &pb::Decision) -> Result<DynamicMessage, String> {
    let descriptor = DECISION.as_ref().map_err(Clone::clone)?;
    DynamicMessage::decode(descriptor.clone(), decision.encode_to_vec().as_slice())
        .map_err(|error| format!("re-decoding the decision: {error}"))
}

/// Why `verdict eval` could not decide a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvalError {
    /// A short stable name: `unreadable_file`, or the kind of the error the
    /// server would answer (`invalid_json`, `not_final`, …).
    pub kind: &'static str,
    /// The same message a client of the server would read.
    pub message: String,
}

/// One file's result in `verdict eval`'s stream.
#[derive(Serialize)]
struct EvalDocument<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    decision: Option<DynamicMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a EvalError>,
}

/// `{"file": …, "decision": {…}}` or `{"file": …, "error": {"kind", "message"}}`,
/// pretty, the decision in canonical proto3 JSON (camelCase names, enum
/// names, defaults omitted).
pub fn eval_document_to_json(
    file: &str,
    result: Result<&pb::Decision, &EvalError>,
) -> Result<String, String> {
    let (decision, error) = match result {
        Ok(decision) => (Some(dynamic(decision)?), None),
        Err(error) => (None, Some(error)),
    };
    serde_json::to_string_pretty(&EvalDocument {
        file,
        decision,
        error,
    })
    .map_err(|error| format!("rendering the decision: {error}"))
}
