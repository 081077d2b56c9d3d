//! Requests as the server reads them: the same messages, but
//! `workflow_json` stays a slice of the received message ([`ByteString`]:
//! checked to be UTF-8 once, as prost checks a `string`) instead of being
//! copied into a `String` — an `EvaluateRequest` whole, a `BatchEvaluate`'s
//! items where they are decided ([`crate::frames`]). A `StreamEvaluate`'s
//! messages are decoded as generated and converted: tonic reuses a stream's
//! buffer for its next messages, which a message left in place would keep
//! from it (each next message then copied into a new buffer).
//!
//! A message is read through frames (prost's reading with `workflow_json`
//! as bytes) only when it carries JSON and the frame must read it as the
//! generated message would; anything else — a typed input or none (nothing
//! to keep in place), JSON that is not UTF-8, an input sent twice (prost
//! checks every copy), a group (which the walk of fields does not follow),
//! a message that does not decode — is decoded as the generated message, so
//! what is read, and every error with its path, is prost's own.

use std::str::Utf8Error;

use bytestring::ByteString;
use prost::Message as _;
use prost::bytes::{Buf, Bytes};

use crate::codec::fields;
use crate::frames::{BatchItemFrame, ItemInputFrame};
use crate::v1;

/// A workflow result as received, whichever message carried it.
#[derive(Debug, Clone, PartialEq)]
pub enum ReceivedInput {
    /// `workflow_json`: UTF-8, a slice of the received message when read
    /// from one.
    Json(ByteString),
    /// `workflow`.
    Workflow(v1::WorkflowResult),
}

impl From<v1::evaluate_request::Input> for ReceivedInput {
    fn from(input: v1::evaluate_request::Input) -> Self {
        match input {
            v1::evaluate_request::Input::WorkflowJson(json) => Self::Json(json.into()),
            v1::evaluate_request::Input::Workflow(workflow) => Self::Workflow(workflow),
        }
    }
}

impl From<v1::batch_item::Input> for ReceivedInput {
    fn from(input: v1::batch_item::Input) -> Self {
        match input {
            v1::batch_item::Input::WorkflowJson(json) => Self::Json(json.into()),
            v1::batch_item::Input::Workflow(workflow) => Self::Workflow(workflow),
        }
    }
}

impl ReceivedInput {
    /// A frame's input, its JSON checked to be UTF-8.
    fn checked(input: ItemInputFrame) -> Result<Self, Utf8Error> {
        Ok(match input {
            ItemInputFrame::WorkflowJson(json) => Self::Json(ByteString::try_from(json)?),
            ItemInputFrame::Workflow(workflow) => Self::Workflow(workflow),
        })
    }
}

/// `verdict.v1.EvaluateRequest` as received.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReceivedEvaluate {
    pub policy_id: String,
    pub input: Option<ReceivedInput>,
    pub explain: bool,
    pub evidence: Option<v1::Evidence>,
}

impl From<v1::EvaluateRequest> for ReceivedEvaluate {
    fn from(request: v1::EvaluateRequest) -> Self {
        Self {
            policy_id: request.policy_id,
            input: request.input.map(ReceivedInput::from),
            explain: request.explain,
            evidence: request.evidence,
        }
    }
}

/// `verdict.v1.EvaluateRequest` with `workflow_json` as bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct EvaluateRequestFrame {
    #[prost(string, tag = "1")]
    policy_id: String,
    #[prost(oneof = "ItemInputFrame", tags = "2, 3")]
    input: Option<ItemInputFrame>,
    #[prost(bool, tag = "4")]
    explain: bool,
    #[prost(message, optional, tag = "5")]
    evidence: Option<v1::Evidence>,
}

impl ReceivedEvaluate {
    /// Reads the encoded `EvaluateRequest` `buf` holds, all of it (see the
    /// module): `Err` is prost's error for the generated message. Only a
    /// JSON input is read in place, from the message taken as [`Bytes`] (out
    /// of tonic's buffer, or of `Bytes`, a split, not a copy). A typed input,
    /// or none, has no JSON to keep, and prost decodes it faster from a
    /// slice (a typed Evaluate under valgrind: 160.7k instructions decoded
    /// from a slice, 163.7k from `Bytes`).
    pub fn read(buf: &mut impl Buf) -> Result<Self, prost::DecodeError> {
        let len = buf.remaining();
        // Its fields are walked once: in the message when it is one slice,
        // else once it is taken.
        if let Some(message) = buf.chunk().get(..len) {
            if !json_input(message) {
                let read = v1::EvaluateRequest::decode(message).map(Self::from);
                buf.advance(len);
                return read;
            }
            return Self::read_in_place(&buf.copy_to_bytes(len), true);
        }
        let message = buf.copy_to_bytes(len);
        Self::read_in_place(&message, json_input(&message))
    }

    /// Reads `message` through a frame when its one input is JSON (`json`)
    /// and the frame must read it as the generated message would (see the
    /// module).
    fn read_in_place(message: &Bytes, json: bool) -> Result<Self, prost::DecodeError> {
        let read = json
            .then(|| EvaluateRequestFrame::decode(message.clone()).ok())
            .flatten()
            .and_then(|frame| {
                Some(Self {
                    policy_id: frame.policy_id,
                    input: frame.input.map(ReceivedInput::checked).transpose().ok()?,
                    explain: frame.explain,
                    evidence: frame.evidence,
                })
            });
        read.map_or_else(
            || v1::EvaluateRequest::decode(message.as_ref()).map(Self::from),
            Ok,
        )
    }
}

/// `verdict.v1.BatchItem` as received: read from a `BatchEvaluate`'s body
/// ([`crate::frames::EncodedItem::read`]), or converted from the generated
/// message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReceivedItem {
    pub id: String,
    pub input: Option<ReceivedInput>,
    pub evidence: Option<v1::Evidence>,
}

impl From<v1::BatchItem> for ReceivedItem {
    fn from(item: v1::BatchItem) -> Self {
        Self {
            id: item.id,
            input: item.input.map(ReceivedInput::from),
            evidence: item.evidence,
        }
    }
}

impl ReceivedItem {
    /// A frame's item, its JSON checked to be UTF-8.
    pub(crate) fn checked(item: BatchItemFrame) -> Result<Self, Utf8Error> {
        Ok(Self {
            id: item.id,
            input: item.input.map(ReceivedInput::checked).transpose()?,
            evidence: item.evidence,
        })
    }
}

/// Whether `message`'s fields can all be walked and its one input is
/// `workflow_json` (field 2; `workflow` is field 3).
fn json_input(message: &[u8]) -> bool {
    let mut walk = fields(message);
    let (mut json, mut typed) = (0, 0);
    for (field, _) in walk.by_ref() {
        match field {
            2 => json += 1,
            3 => typed += 1,
            _ => {}
        }
    }
    walk.walked_all() && json == 1 && typed == 0
}

#[cfg(test)]
pub(crate) mod tests {
    use prost::Message as _;
    use prost::bytes::Bytes;

    use super::*;
    use crate::v1 as pb;

    /// Whether `part` lies within `body`'s bytes (is a slice of it, not a
    /// copy).
    pub(crate) fn within(part: &[u8], body: &[u8]) -> bool {
        let start = body.as_ptr() as usize;
        let at = part.as_ptr() as usize;
        at >= start && at + part.len() <= start + body.len()
    }

    /// An encoded message of `fields`: (field number, LEN payload), written
    /// by hand as prost would never write it.
    fn len_fields(fields: &[(u32, &[u8])]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for (field, payload) in fields {
            prost::encoding::bytes::encode(*field, &payload.to_vec(), &mut bytes);
        }
        bytes
    }

    fn json_of(input: Option<&ReceivedInput>) -> &ByteString {
        match input {
            Some(ReceivedInput::Json(json)) => json,
            other => panic!("JSON expected, not {other:?}"),
        }
    }

    /// What the generated message reads, or its error, as text.
    fn generated<M: prost::Message + Default, R: From<M>>(body: &[u8]) -> Result<R, String> {
        M::decode(body)
            .map(R::from)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn an_evaluate_request_reads_as_the_generated_message_with_its_json_in_place() {
        let evidence = pb::Evidence {
            workflows: vec![pb::KnownWorkflow {
                workflow_id: "w-0".to_owned(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let request = |input| pb::EvaluateRequest {
            policy_id: "strict".to_owned(),
            input,
            explain: true,
            evidence: Some(evidence.clone()),
        };
        let json = request(Some(pb::evaluate_request::Input::WorkflowJson(
            "{\"é\":1}".to_owned(),
        )))
        .encode_to_vec();
        let typed = request(Some(pb::evaluate_request::Input::Workflow(
            pb::WorkflowResult {
                account_id: "account-7".to_owned(),
                ..Default::default()
            },
        )))
        .encode_to_vec();
        let none = request(None).encode_to_vec();
        for body in [&json, &typed, &none] {
            let body = Bytes::from(body.clone());
            let read = ReceivedEvaluate::read(&mut body.clone()).map_err(|error| error.to_string());
            assert_eq!(read, generated::<pb::EvaluateRequest, _>(&body));
            // A message in two pieces reads the same.
            let (head, tail) = body.split_at(body.len() / 2);
            let mut pieces = Bytes::copy_from_slice(head).chain(Bytes::copy_from_slice(tail));
            let read = ReceivedEvaluate::read(&mut pieces).map_err(|error| error.to_string());
            assert_eq!(read, generated::<pb::EvaluateRequest, _>(&body));
            assert!(!pieces.has_remaining());
        }
        let body = Bytes::from(json);
        let read = ReceivedEvaluate::read(&mut body.clone()).expect("reads");
        assert_eq!(json_of(read.input.as_ref()), "{\"é\":1}");
        assert!(within(json_of(read.input.as_ref()).as_bytes(), &body));
    }

    #[test]
    fn an_evaluate_request_prost_would_refuse_gets_prost_s_own_error() {
        let cases: [(&str, Vec<u8>); 6] = [
            ("JSON not UTF-8", len_fields(&[(2, &[b'{', 0xff])])),
            (
                "JSON twice, the first not UTF-8",
                len_fields(&[(2, &[0xff]), (2, b"{}")]),
            ),
            (
                "JSON not UTF-8, then the typed input",
                len_fields(&[(2, &[0xff]), (3, b"")]),
            ),
            ("policy id not UTF-8", len_fields(&[(1, &[0xc3, 0x28])])),
            ("truncated", vec![0x12, 0x10, b'{']),
            ("evidence truncated", len_fields(&[(5, &[0x0a, 0x10])])),
        ];
        for (name, body) in cases {
            let read = ReceivedEvaluate::read(&mut Bytes::from(body.clone()))
                .map_err(|error| error.to_string());
            let expected = generated::<pb::EvaluateRequest, ReceivedEvaluate>(&body);
            assert!(expected.is_err(), "{name}: prost refuses it");
            assert_eq!(read, expected, "{name}");
        }
        // Read as prost reads them, but not as frames: the JSON is copied.
        let twice = Bytes::from(len_fields(&[(2, b"[]"), (2, b"{}")]));
        let mut with_group = vec![0x4b, 0x08, 0x01, 0x4c];
        with_group.extend(len_fields(&[(2, b"{}")]));
        for body in [twice, Bytes::from(with_group)] {
            let read = ReceivedEvaluate::read(&mut body.clone()).expect("prost reads it");
            assert_eq!(Ok(read.clone()), generated::<pb::EvaluateRequest, _>(&body));
            assert_eq!(json_of(read.input.as_ref()), "{}");
            assert!(!within(json_of(read.input.as_ref()).as_bytes(), &body));
        }
    }
}
