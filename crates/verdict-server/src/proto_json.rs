//! Proto3 JSON rendering of wire messages, from the schema's own descriptors
//! (the canonical mapping: camelCase names, enum names, defaults omitted).

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, SerializeOptions};

/// Renders `message`, whose full protobuf name is `name`, as pretty JSON.
pub fn to_json(message: &impl Message, name: &str) -> Result<String, String> {
    let pool = DescriptorPool::decode(verdict_api::FILE_DESCRIPTOR_SET)
        .map_err(|error| format!("descriptor set: {error}"))?;
    let descriptor = pool
        .get_message_by_name(name)
        .ok_or_else(|| format!("{name} is not in the descriptor set"))?;
    let dynamic = DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice())
        .map_err(|error| format!("re-decoding {name}: {error}"))?;
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::pretty(&mut out);
    dynamic
        .serialize_with_options(&mut serializer, &SerializeOptions::new())
        .map_err(|error| format!("rendering {name}: {error}"))?;
    String::from_utf8(out).map_err(|error| error.to_string())
}
