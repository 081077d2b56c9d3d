//! Proto3 JSON rendering of decisions, from the schema's own descriptors (the
//! canonical mapping: camelCase names, enum names, defaults omitted).

use std::sync::LazyLock;

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};
use verdict_api::v1 as pb;

/// `verdict.v1.Decision`'s descriptor, decoded once per process.
static DECISION: LazyLock<Result<MessageDescriptor, String>> = LazyLock::new(|| {
    DescriptorPool::decode(verdict_api::FILE_DESCRIPTOR_SET)
        .map_err(|error| format!("descriptor set: {error}"))?
        .get_message_by_name("verdict.v1.Decision")
        .ok_or_else(|| "verdict.v1.Decision is not in the descriptor set".to_owned())
});

/// Renders `decision` as pretty proto3 JSON.
pub fn decision_to_json(decision: &pb::Decision) -> Result<String, String> {
    let descriptor = DECISION.as_ref().map_err(Clone::clone)?;
    let dynamic = DynamicMessage::decode(descriptor.clone(), decision.encode_to_vec().as_slice())
        .map_err(|error| format!("re-decoding the decision: {error}"))?;
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::pretty(&mut out);
    dynamic
        .serialize_with_options(&mut serializer, &SerializeOptions::new())
        .map_err(|error| format!("rendering the decision: {error}"))?;
    String::from_utf8(out).map_err(|error| error.to_string())
}
