//! A batch's items as they reached the server — decoded (a `StreamEvaluate`
//! group), or still encoded in the `BatchEvaluate` body
//! ([`verdict_api::frames`]) — split into runs for the workers, each item
//! made ready to decide where it is decided.

use std::str::Utf8Error;

use prost::bytes::Bytes;
use verdict_api::codec::{ReceivedBatch, ReceivedBody};
use verdict_api::frames::{EncodedItem, ItemInputFrame, ReadItem};
use verdict_api::v1 as pb;

use crate::decide::Input;

/// A batch to decide: `BatchEvaluateRequest`'s fields, its items in either
/// form.
#[derive(Debug)]
pub(crate) struct Batch {
    pub policy_id: String,
    pub explain: bool,
    pub items: Items,
}

/// A batch's items, in order.
#[derive(Debug)]
pub(crate) enum Items {
    Decoded(Vec<pb::BatchItem>),
    /// Encoded `BatchItem`s, slices of `body` (the whole request, kept to
    /// report prost's own error should an item not decode).
    Encoded {
        body: ReceivedBody,
        items: Vec<EncodedItem>,
    },
}

impl From<pb::BatchEvaluateRequest> for Batch {
    fn from(request: pb::BatchEvaluateRequest) -> Self {
        Self {
            policy_id: request.policy_id,
            explain: request.explain,
            items: Items::Decoded(request.items),
        }
    }
}

impl From<ReceivedBatch> for Batch {
    fn from(received: ReceivedBatch) -> Self {
        Self {
            policy_id: received.request.policy_id,
            explain: received.request.explain,
            items: Items::Encoded {
                body: received.body,
                // Each item's fields walked once, here: its id's length is
                // needed before deciding, and how to read it where it is.
                items: received
                    .request
                    .items
                    .into_iter()
                    .map(EncodedItem::new)
                    .collect(),
            },
        }
    }
}

impl Items {
    pub fn len(&self) -> usize {
        match self {
            Self::Decoded(items) => items.len(),
            Self::Encoded { items, .. } => items.len(),
        }
    }

    /// The length of each item's id, in item order.
    pub fn id_lens(&self) -> Vec<usize> {
        match self {
            Self::Decoded(items) => items.iter().map(|item| item.id.len()).collect(),
            Self::Encoded { items, .. } => items.iter().map(EncodedItem::id_len).collect(),
        }
    }

    /// The items in consecutive runs of `run` (the last may be shorter),
    /// and the body encoded items are slices of.
    pub fn into_runs(self, run: usize) -> (Vec<Run>, Option<ReceivedBody>) {
        let run = run.max(1);
        match self {
            Self::Decoded(items) => (chunks(items, run, Run::Decoded), None),
            Self::Encoded { body, items } => (chunks(items, run, Run::Encoded), Some(body)),
        }
    }
}

/// `items` in runs of `run`, without copying an item.
fn chunks<T>(items: Vec<T>, run: usize, wrap: fn(Vec<T>) -> Run) -> Vec<Run> {
    let mut all = items.into_iter();
    std::iter::from_fn(|| {
        let chunk: Vec<T> = all.by_ref().take(run).collect();
        (!chunk.is_empty()).then(|| wrap(chunk))
    })
    .collect()
}

/// Consecutive items one worker decides.
#[derive(Debug)]
pub(crate) enum Run {
    Decoded(Vec<pb::BatchItem>),
    Encoded(Vec<EncodedItem>),
}

impl Run {
    pub fn len(&self) -> usize {
        match self {
            Self::Decoded(items) => items.len(),
            Self::Encoded(items) => items.len(),
        }
    }

    /// Each item ready to decide, in order; `Err` (prost's error as text)
    /// for an encoded item that does not decode.
    pub fn into_items(self) -> Box<dyn Iterator<Item = Result<Item, String>> + Send> {
        match self {
            Self::Decoded(items) => Box::new(items.into_iter().map(|item| Ok(Item::from(item)))),
            Self::Encoded(items) => Box::new(items.into_iter().map(Item::decode)),
        }
    }
}

/// One item, ready to decide.
#[derive(Debug)]
pub(crate) struct Item {
    pub id: String,
    pub input: Option<ItemInput>,
    pub evidence: Option<pb::Evidence>,
}

impl From<pb::BatchItem> for Item {
    fn from(item: pb::BatchItem) -> Self {
        Self {
            id: item.id,
            input: item.input.map(|input| match input {
                pb::batch_item::Input::WorkflowJson(json) => ItemInput::Text(json),
                pb::batch_item::Input::Workflow(workflow) => ItemInput::Typed(workflow),
            }),
            evidence: item.evidence,
        }
    }
}

impl Item {
    /// Decodes an encoded item ([`EncodedItem::read`]); its `workflow_json` is
    /// checked to be UTF-8 when it is read ([`ItemInput::as_input`]).
    fn decode(encoded: EncodedItem) -> Result<Self, String> {
        let frame = match encoded.read().map_err(|error| error.to_string())? {
            ReadItem::Decoded(item) => return Ok(Self::from(item)),
            ReadItem::Frame(frame) => frame,
        };
        let input = match frame.input {
            Some(ItemInputFrame::WorkflowJson(json)) => Some(ItemInput::Utf8(json)),
            Some(ItemInputFrame::Workflow(workflow)) => Some(ItemInput::Typed(workflow)),
            None => None,
        };
        Ok(Self {
            id: frame.id,
            input,
            evidence: frame.evidence,
        })
    }
}

/// An item's workflow result.
#[derive(Debug)]
pub(crate) enum ItemInput {
    Text(String),
    /// `workflow_json` as received: UTF-8 if prost would have decoded it.
    Utf8(Bytes),
    Typed(pb::WorkflowResult),
}

impl ItemInput {
    /// The input to decide; `Err` when `workflow_json` is not UTF-8, which
    /// prost reports for a `string` field (the item does not decode). The
    /// bytes are checked on each call: a `&str` cannot be kept beside the
    /// bytes it borrows, and the check is the pass prost's decode makes.
    pub fn as_input(&self) -> Result<Input<'_>, Utf8Error> {
        Ok(match self {
            Self::Text(json) => Input::Json(json),
            Self::Utf8(json) => Input::Json(std::str::from_utf8(json)?),
            Self::Typed(workflow) => Input::Typed(workflow),
        })
    }
}
