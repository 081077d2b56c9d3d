//! `BatchEvaluateRequest` and `BatchItem` as the server reads them: the same
//! wire format as the generated messages (the same field numbers and wire
//! types), but each item, and each item's `workflow_json`, stays a slice of
//! the received body ([`Bytes`]) instead of being copied into a `String`.
//! The server decodes the items where it decides them, on every core, and
//! checks `workflow_json` is UTF-8 there; a body that does not decode is
//! decoded again as the generated message to report prost's own error
//! ([`crate::codec::locate_decode_error`]).

use prost::bytes::Bytes;

use crate::v1;

/// `verdict.v1.BatchEvaluateRequest` with its items undecoded.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatchEvaluateFrames {
    #[prost(string, tag = "1")]
    pub policy_id: String,
    /// Each an encoded `BatchItem`.
    #[prost(bytes = "bytes", repeated, tag = "2")]
    pub items: Vec<Bytes>,
    #[prost(bool, tag = "3")]
    pub explain: bool,
}

/// `verdict.v1.BatchEvaluateResponse` with each result already encoded (an
/// encoded `BatchResult`): the server encodes answers where they are
/// decided.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatchEvaluateAnswers {
    #[prost(bytes = "bytes", repeated, tag = "1")]
    pub results: Vec<Bytes>,
}

/// `verdict.v1.BatchItem` with `workflow_json` as bytes, not yet checked to
/// be UTF-8.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatchItemFrame {
    #[prost(string, tag = "1")]
    pub id: String,
    #[prost(oneof = "ItemInputFrame", tags = "2, 3")]
    pub input: Option<ItemInputFrame>,
    #[prost(message, optional, tag = "4")]
    pub evidence: Option<v1::Evidence>,
}

/// `verdict.v1.BatchItem.input`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum ItemInputFrame {
    #[prost(bytes = "bytes", tag = "2")]
    WorkflowJson(Bytes),
    #[prost(message, tag = "3")]
    Workflow(v1::WorkflowResult),
}

/// What a walk of an encoded item's own fields finds, without decoding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemShape {
    /// The length of its `id` (the last one sent, as protobuf merges).
    pub id_len: usize,
    /// How many `workflow_json` and `workflow` fields it carries.
    pub inputs: usize,
}

impl ItemShape {
    /// `None` when the walk cannot go over every byte (a group, which prost
    /// skips, or a field prost cannot read).
    pub fn of(item: &[u8]) -> Option<Self> {
        let mut shape = Self {
            id_len: 0,
            inputs: 0,
        };
        let mut walk = crate::codec::fields(item);
        for (field, payload) in walk.by_ref() {
            match field {
                1 => shape.id_len = payload.map_or(0, <[u8]>::len),
                2 | 3 => shape.inputs += 1,
                _ => {}
            }
        }
        walk.walked_all().then_some(shape)
    }
}

/// An encoded item as the server reads it ([`read_item`]).
#[derive(Debug, Clone, PartialEq)]
pub enum ReadItem {
    /// Read as a frame: its `workflow_json` not yet checked to be UTF-8.
    Frame(BatchItemFrame),
    /// Decoded as the generated message.
    Decoded(v1::BatchItem),
}

/// Reads an encoded item as a frame when that reads it as the generated
/// message would: one input field, and fields that can all be walked.
/// Otherwise (a repeated input, every copy of which prost checks; a group,
/// which prost skips) it is decoded as the generated message, its JSON
/// copied. The fuzz target `batch_frames` holds the two readings equal,
/// but for one thing: an item decoded on its own starts at nesting depth 0,
/// one level above where it sits in the whole message, so an unknown group
/// nested exactly to prost's recursion limit (100) is skipped here where
/// the whole message's decode refuses it.
pub fn read_item(encoded: Bytes) -> Result<ReadItem, prost::DecodeError> {
    use prost::Message as _;
    if ItemShape::of(&encoded).is_none_or(|shape| shape.inputs > 1) {
        return v1::BatchItem::decode(encoded).map(ReadItem::Decoded);
    }
    BatchItemFrame::decode(encoded).map(ReadItem::Frame)
}

/// The length of an encoded item's `id`: walked to when the item's fields
/// can be ([`ItemShape`]), otherwise decoded as the generated message; 0
/// when it does not decode (the call then fails where it is decided).
pub fn item_id_len(item: &[u8]) -> usize {
    use prost::Message as _;
    ItemShape::of(item).map_or_else(
        || v1::BatchItem::decode(item).map_or(0, |item| item.id.len()),
        |shape| shape.id_len,
    )
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::*;
    use crate::v1 as pb;

    fn item(id: &str, input: Option<pb::batch_item::Input>) -> pb::BatchItem {
        pb::BatchItem {
            id: id.to_owned(),
            input,
            evidence: Some(pb::Evidence {
                workflows: vec![pb::KnownWorkflow {
                    workflow_id: "w-0".to_owned(),
                    ..Default::default()
                }],
                ..Default::default()
            }),
        }
    }

    #[test]
    fn frames_read_what_the_generated_messages_write() {
        let typed = pb::WorkflowResult {
            account_id: "account-7".to_owned(),
            ..Default::default()
        };
        let request = pb::BatchEvaluateRequest {
            policy_id: "strict".to_owned(),
            items: vec![
                item(
                    "a",
                    Some(pb::batch_item::Input::WorkflowJson("{\"x\":1}".to_owned())),
                ),
                item("bb", Some(pb::batch_item::Input::Workflow(typed.clone()))),
                item("", None),
            ],
            explain: true,
        };
        let body = Bytes::from(request.encode_to_vec());
        let frames = BatchEvaluateFrames::decode(body.clone()).expect("frames");
        assert_eq!(frames.policy_id, "strict");
        assert!(frames.explain);
        assert_eq!(frames.items.len(), 3);
        let ids: Vec<usize> = frames.items.iter().map(|item| item_id_len(item)).collect();
        assert_eq!(ids, [1, 2, 0]);
        let first = BatchItemFrame::decode(frames.items[0].clone()).expect("item");
        assert_eq!(first.id, "a");
        assert_eq!(
            first.input,
            Some(ItemInputFrame::WorkflowJson(Bytes::from_static(
                b"{\"x\":1}"
            )))
        );
        assert_eq!(
            first.evidence.map(|evidence| evidence.workflows.len()),
            Some(1)
        );
        let second = BatchItemFrame::decode(frames.items[1].clone()).expect("item");
        assert_eq!(second.input, Some(ItemInputFrame::Workflow(typed)));
        // The items are slices of the body, not copies of it.
        let start = body.as_ptr() as usize;
        let end = start + body.len();
        for item in &frames.items {
            let at = item.as_ptr() as usize;
            assert!(at >= start && at + item.len() <= end);
        }
    }

    #[test]
    fn answers_encode_as_the_generated_response() {
        let results: Vec<pb::BatchResult> = ["a", "", "ccc"]
            .into_iter()
            .map(|id| pb::BatchResult {
                id: id.to_owned(),
                result: Some(pb::batch_result::Result::Decision(pb::Decision {
                    result_code: "DOCUMENT_PUNCHED".to_owned(),
                    ..Default::default()
                })),
            })
            .collect();
        let answers = BatchEvaluateAnswers {
            results: results
                .iter()
                .map(|result| Bytes::from(result.encode_to_vec()))
                .collect(),
        };
        let response = pb::BatchEvaluateResponse { results };
        assert_eq!(answers.encode_to_vec(), response.encode_to_vec());
    }

    #[test]
    fn an_item_with_a_group_or_two_inputs_is_not_read_as_a_frame() {
        // An unknown group (field 9: start, a varint, end) before the id:
        // prost skips it, the walk cannot, so the id is decoded instead.
        let mut with_group = vec![0x4b, 0x08, 0x01, 0x4c];
        with_group.extend(item("after-group", None).encode_to_vec());
        assert_eq!(ItemShape::of(&with_group), None);
        assert_eq!(item_id_len(&with_group), "after-group".len());
        assert_eq!(
            pb::BatchItem::decode(with_group.as_slice())
                .expect("prost skips groups")
                .id,
            "after-group"
        );
        // workflow_json twice: prost checks both copies.
        let json = |text: &str| {
            item(
                "twice",
                Some(pb::batch_item::Input::WorkflowJson(text.to_owned())),
            )
            .encode_to_vec()
        };
        let twice = [json("{}"), json("{\"a\":1}")].concat();
        assert_eq!(
            ItemShape::of(&twice),
            Some(ItemShape {
                id_len: 5,
                inputs: 2
            })
        );
        assert_eq!(
            ItemShape::of(&json("{}")).map(|shape| shape.inputs),
            Some(1)
        );
    }

    #[test]
    fn an_id_sent_twice_is_the_last_one_as_in_protobuf() {
        let mut bytes = item("first", None).encode_to_vec();
        bytes.extend(item("second!", None).encode_to_vec());
        assert_eq!(item_id_len(&bytes), "second!".len());
        assert_eq!(
            pb::BatchItem::decode(bytes.as_slice()).expect("item").id,
            "second!"
        );
    }
}
