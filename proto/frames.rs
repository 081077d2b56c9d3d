//! `BatchEvaluateRequest` and `BatchItem` as the server reads them: the same
//! wire format as the generated messages (the same field numbers and wire
//! types), but each item, and each item's `workflow_json`, stays a slice of
//! the received body ([`Bytes`]) instead of being copied into a `String`.
//! The server decodes the items where it decides them, on every core, and
//! checks `workflow_json` is UTF-8 there; a body that does not decode is
//! decoded again as the generated message to report prost's own error
//! ([`crate::codec::locate_decode_error`]).

use prost::bytes::Bytes;

use crate::received::ReceivedItem;
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

/// One result of a `BatchEvaluateResponse`, or the result of a
/// `StreamEvaluateResponse`: a message, or already encoded (an encoded
/// `BatchResult`, made where it was decided).
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one per batch item, moved once into the response: boxing would add an allocation to each message answer"
)]
pub enum BatchAnswer {
    Message(v1::BatchResult),
    Encoded(Bytes),
}

impl BatchAnswer {
    /// Writes it as field 1 of the message that holds it (a
    /// `BatchEvaluateResponse`'s results, a `StreamEvaluateResponse`'s
    /// result): a message encoded there, an encoded result copied there.
    fn encode_as_field_1(&self, buf: &mut impl prost::bytes::BufMut) {
        use prost::encoding::{bytes, message};
        match self {
            Self::Message(result) => message::encode(1, result, buf),
            Self::Encoded(result) => bytes::encode(1, result, buf),
        }
    }

    /// Its length as field 1, key and length included.
    fn field_1_len(&self) -> usize {
        use prost::encoding::{bytes, message};
        match self {
            Self::Message(result) => message::encoded_len(1, result),
            Self::Encoded(result) => bytes::encoded_len(1, result),
        }
    }

    /// The answer as a message (an encoded one decoded).
    pub fn into_message(self) -> Result<v1::BatchResult, prost::DecodeError> {
        match self {
            Self::Message(result) => Ok(result),
            Self::Encoded(bytes) => prost::Message::decode(bytes),
        }
    }

    /// Whether it answers with an error status (encoded answers are
    /// decisions).
    pub fn is_error(&self) -> bool {
        matches!(
            self,
            Self::Message(v1::BatchResult {
                result: Some(v1::batch_result::Result::Error(_)),
                ..
            })
        )
    }
}

/// `verdict.v1.BatchEvaluateResponse` whose results may be already encoded:
/// written straight into the response buffer, a message encoded there, an
/// encoded result copied there once. Read back, each result is a message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchEvaluateAnswers {
    pub results: Vec<BatchAnswer>,
}

impl prost::Message for BatchEvaluateAnswers {
    fn encode_raw(&self, buf: &mut impl prost::bytes::BufMut) {
        for result in &self.results {
            result.encode_as_field_1(buf);
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: prost::encoding::WireType,
        buf: &mut impl prost::bytes::Buf,
        ctx: prost::encoding::DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        if tag != 1 {
            return prost::encoding::skip_field(wire_type, tag, buf, ctx);
        }
        let mut result = v1::BatchResult::default();
        prost::encoding::message::merge(wire_type, &mut result, buf, ctx)?;
        self.results.push(BatchAnswer::Message(result));
        Ok(())
    }

    fn encoded_len(&self) -> usize {
        self.results.iter().map(BatchAnswer::field_1_len).sum()
    }

    fn clear(&mut self) {
        self.results.clear();
    }
}

/// `verdict.v1.EvaluateResponse` as the server answers it: the message, or
/// already encoded (made where the decision was). Read back, it is a
/// message.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "one per call, moved once into the response: boxing would add an allocation to each message answer"
)]
pub enum EvaluateAnswer {
    Message(v1::EvaluateResponse),
    Encoded(Bytes),
}

impl Default for EvaluateAnswer {
    fn default() -> Self {
        Self::Message(v1::EvaluateResponse::default())
    }
}

impl EvaluateAnswer {
    /// The answer as a message (an encoded one decoded).
    pub fn into_message(self) -> Result<v1::EvaluateResponse, prost::DecodeError> {
        match self {
            Self::Message(message) => Ok(message),
            Self::Encoded(bytes) => prost::Message::decode(bytes),
        }
    }
}

impl prost::Message for EvaluateAnswer {
    fn encode_raw(&self, buf: &mut impl prost::bytes::BufMut) {
        match self {
            Self::Message(message) => message.encode_raw(buf),
            Self::Encoded(bytes) => buf.put_slice(bytes),
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: prost::encoding::WireType,
        buf: &mut impl prost::bytes::Buf,
        ctx: prost::encoding::DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        merge_into_message(
            self,
            Self::into_message,
            Self::Message,
            (tag, wire_type),
            buf,
            ctx,
        )
    }

    fn encoded_len(&self) -> usize {
        match self {
            Self::Message(message) => message.encoded_len(),
            Self::Encoded(bytes) => bytes.len(),
        }
    }

    fn clear(&mut self) {
        *self = Self::default();
    }
}

/// `merge_field` of an answer that may be already encoded: the field is
/// merged into the answer as a message (an encoded one decoded first),
/// which the answer then is.
fn merge_into_message<A: Default, M: prost::Message>(
    answer: &mut A,
    into_message: impl FnOnce(A) -> Result<M, prost::DecodeError>,
    from_message: impl FnOnce(M) -> A,
    (tag, wire_type): (u32, prost::encoding::WireType),
    buf: &mut impl prost::bytes::Buf,
    ctx: prost::encoding::DecodeContext,
) -> Result<(), prost::DecodeError> {
    let mut message = into_message(std::mem::take(answer))?;
    let merged = message.merge_field(tag, wire_type, buf, ctx);
    *answer = from_message(message);
    merged
}

/// `verdict.v1.StreamEvaluateResponse` as the server answers it: its one
/// result a message, or already encoded (as [`BatchEvaluateAnswers`]'
/// results are). Read back, it is a message. The server always sets the
/// result, so it has no absent one: read back from bytes without the
/// field, the result is an empty `BatchResult` (the generated message's
/// would be `None`).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEvaluateAnswer {
    pub result: BatchAnswer,
}

impl Default for StreamEvaluateAnswer {
    fn default() -> Self {
        Self {
            result: BatchAnswer::Message(v1::BatchResult::default()),
        }
    }
}

impl StreamEvaluateAnswer {
    /// The answer as a message (an encoded result decoded).
    pub fn into_message(self) -> Result<v1::StreamEvaluateResponse, prost::DecodeError> {
        Ok(v1::StreamEvaluateResponse {
            result: Some(self.result.into_message()?),
        })
    }
}

impl prost::Message for StreamEvaluateAnswer {
    fn encode_raw(&self, buf: &mut impl prost::bytes::BufMut) {
        self.result.encode_as_field_1(buf);
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: prost::encoding::WireType,
        buf: &mut impl prost::bytes::Buf,
        ctx: prost::encoding::DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        let from_message = |message: v1::StreamEvaluateResponse| Self {
            result: BatchAnswer::Message(message.result.unwrap_or_default()),
        };
        merge_into_message(
            self,
            Self::into_message,
            from_message,
            (tag, wire_type),
            buf,
            ctx,
        )
    }

    fn encoded_len(&self) -> usize {
        self.result.field_1_len()
    }

    fn clear(&mut self) {
        *self = Self::default();
    }
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

/// An encoded item (a slice of the request body) with the walk of its
/// fields, made once: the server reads its id's length from it before
/// deciding, and how to read the item where it is decided.
#[derive(Debug, Clone)]
pub struct EncodedItem {
    bytes: Bytes,
    shape: Option<ItemShape>,
}

impl EncodedItem {
    pub fn new(bytes: Bytes) -> Self {
        let shape = ItemShape::of(&bytes);
        Self { bytes, shape }
    }

    /// The item's length, as encoded.
    pub fn encoded_len(&self) -> usize {
        self.bytes.len()
    }

    /// The length of the item's `id`: walked to when its fields can be,
    /// otherwise decoded as the generated message; 0 when it does not
    /// decode (the call then fails where it is decided).
    pub fn id_len(&self) -> usize {
        use prost::Message as _;
        self.shape.map_or_else(
            || v1::BatchItem::decode(self.bytes.as_ref()).map_or(0, |item| item.id.len()),
            |shape| shape.id_len,
        )
    }

    /// Reads the item, its `workflow_json` a slice of the body, checked to
    /// be UTF-8, when a frame reads it as the generated message would: one
    /// input field, fields that can all be walked, and JSON that is UTF-8.
    /// Otherwise (a repeated input, every copy of which prost checks; a
    /// group, which prost skips; JSON that is not UTF-8) it is decoded as
    /// the generated message, for what prost reads or its error. The fuzz
    /// target `batch_frames` holds the two readings equal, but for one
    /// thing: an item decoded on its own starts at nesting depth 0, one
    /// level above where it sits in the whole message, so an unknown group
    /// nested exactly to prost's recursion limit (100) is skipped here where
    /// the whole message's decode refuses it.
    pub fn read(self) -> Result<ReceivedItem, prost::DecodeError> {
        use prost::Message as _;
        let read = self
            .shape
            .is_some_and(|shape| shape.inputs <= 1)
            .then(|| BatchItemFrame::decode(self.bytes.clone()).ok())
            .flatten()
            .and_then(|frame| ReceivedItem::checked(frame).ok());
        read.map_or_else(
            || v1::BatchItem::decode(self.bytes).map(ReceivedItem::from),
            Ok,
        )
    }
}

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::*;
    use crate::received::ReceivedInput;
    use crate::received::tests::within;
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
        let ids: Vec<usize> = frames
            .items
            .iter()
            .map(|item| EncodedItem::new(item.clone()).id_len())
            .collect();
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
        assert!(frames.items.iter().all(|item| within(item, &body)));
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
        // Encoded and message answers, mixed, as a batch with errors has.
        let answers = BatchEvaluateAnswers {
            results: results
                .iter()
                .enumerate()
                .map(|(index, result)| match index % 2 {
                    0 => BatchAnswer::Encoded(Bytes::from(result.encode_to_vec())),
                    _ => BatchAnswer::Message(result.clone()),
                })
                .collect(),
        };
        let response = pb::BatchEvaluateResponse { results };
        let bytes = answers.encode_to_vec();
        assert_eq!(bytes, response.encode_to_vec());
        assert_eq!(answers.encoded_len(), bytes.len());
        let read = BatchEvaluateAnswers::decode(bytes.as_slice()).expect("decodes");
        let messages: Vec<BatchAnswer> = response
            .results
            .into_iter()
            .map(BatchAnswer::Message)
            .collect();
        assert_eq!(read.results, messages);
    }

    #[test]
    fn an_evaluate_answer_encodes_as_the_generated_response_and_reads_back() {
        let response = pb::EvaluateResponse {
            decision: Some(pb::Decision {
                result_code: "DOCUMENT_PUNCHED".to_owned(),
                ..Default::default()
            }),
        };
        let bytes = response.encode_to_vec();
        for answer in [
            EvaluateAnswer::Message(response.clone()),
            EvaluateAnswer::Encoded(Bytes::from(bytes.clone())),
        ] {
            assert_eq!(answer.encode_to_vec(), bytes);
            assert_eq!(answer.encoded_len(), bytes.len());
            assert_eq!(answer.clone().into_message(), Ok(response.clone()));
        }
        let read = EvaluateAnswer::decode(bytes.as_slice()).expect("decodes");
        assert_eq!(read, EvaluateAnswer::Message(response.clone()));
        // Merged into, an encoded answer is first read back as its message.
        let mut merged = EvaluateAnswer::Encoded(Bytes::from(bytes.clone()));
        merged.merge(bytes.as_slice()).expect("merges");
        let mut expected = response;
        expected.merge(bytes.as_slice()).expect("merges");
        assert_eq!(merged, EvaluateAnswer::Message(expected));
        // Bytes that are not an answer say so, read or merged into.
        let broken = EvaluateAnswer::Encoded(Bytes::from_static(&[0x0a, 0x05]));
        assert!(broken.clone().into_message().is_err());
        let mut into_broken = broken;
        assert!(into_broken.merge(bytes.as_slice()).is_err());
    }

    #[test]
    fn a_stream_answer_encodes_as_the_generated_response_and_reads_back() {
        let result = pb::BatchResult {
            id: "item-3".to_owned(),
            result: Some(pb::batch_result::Result::Decision(pb::Decision {
                result_code: "DOCUMENT_PUNCHED".to_owned(),
                ..Default::default()
            })),
        };
        let response = pb::StreamEvaluateResponse {
            result: Some(result.clone()),
        };
        let bytes = response.encode_to_vec();
        for answer in [
            BatchAnswer::Message(result.clone()),
            BatchAnswer::Encoded(Bytes::from(result.encode_to_vec())),
        ] {
            let answer = StreamEvaluateAnswer { result: answer };
            assert_eq!(answer.encode_to_vec(), bytes);
            assert_eq!(answer.encoded_len(), bytes.len());
            assert_eq!(answer.into_message(), Ok(response.clone()));
        }
        let read = StreamEvaluateAnswer::decode(bytes.as_slice()).expect("decodes");
        assert_eq!(read.result, BatchAnswer::Message(result));
        // An empty result is still written, as the generated message does.
        let empty = pb::StreamEvaluateResponse {
            result: Some(pb::BatchResult::default()),
        };
        assert_eq!(
            StreamEvaluateAnswer::default().encode_to_vec(),
            empty.encode_to_vec()
        );
        let broken = StreamEvaluateAnswer {
            result: BatchAnswer::Encoded(Bytes::from_static(&[0x0a, 0x05])),
        };
        assert!(broken.into_message().is_err());
    }

    #[test]
    fn an_item_with_a_group_or_two_inputs_is_not_read_as_a_frame() {
        // An unknown group (field 9: start, a varint, end) before the id:
        // prost skips it, the walk cannot, so the id is decoded instead.
        let mut with_group = vec![0x4b, 0x08, 0x01, 0x4c];
        with_group.extend(item("after-group", None).encode_to_vec());
        assert_eq!(ItemShape::of(&with_group), None);
        let encoded = EncodedItem::new(Bytes::from(with_group.clone()));
        assert_eq!(encoded.id_len(), "after-group".len());
        let decoded = pb::BatchItem::decode(with_group.as_slice()).expect("prost skips groups");
        assert_eq!(decoded.id, "after-group");
        assert_eq!(encoded.read(), Ok(ReceivedItem::from(decoded)));
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
        // Read as prost reads it, either way; whether its JSON is still the
        // body's bytes says which way.
        let json_in_body = |bytes: Vec<u8>| {
            let body = Bytes::from(bytes);
            let read = EncodedItem::new(body.clone()).read().expect("an item");
            let decoded = pb::BatchItem::decode(body.clone()).expect("an item");
            assert_eq!(read, ReceivedItem::from(decoded));
            match read.input {
                Some(ReceivedInput::Json(json)) => within(json.as_bytes(), &body),
                _ => panic!("an item with JSON"),
            }
        };
        assert!(!json_in_body(twice));
        assert!(json_in_body(json("{}")));
        // JSON that is not UTF-8 gets prost's error for the item.
        let mut broken = item("bad", None).encode_to_vec();
        broken.extend([0x12, 0x02, 0xff, 0xfe]);
        assert_eq!(
            EncodedItem::new(Bytes::from(broken.clone()))
                .read()
                .map_err(|error| error.to_string()),
            pb::BatchItem::decode(broken.as_slice())
                .map(ReceivedItem::from)
                .map_err(|error| error.to_string())
        );
    }

    #[test]
    fn an_id_sent_twice_is_the_last_one_as_in_protobuf() {
        let mut bytes = item("first", None).encode_to_vec();
        bytes.extend(item("second!", None).encode_to_vec());
        assert_eq!(
            EncodedItem::new(Bytes::from(bytes.clone())).id_len(),
            "second!".len()
        );
        assert_eq!(
            pb::BatchItem::decode(bytes.as_slice()).expect("item").id,
            "second!"
        );
    }
}
