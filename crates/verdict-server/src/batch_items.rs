//! A batch's items as they reached the server — decoded (a `StreamEvaluate`
//! group), or still encoded in the `BatchEvaluate` body
//! ([`verdict_api::frames`]) — split into runs for the workers, each item
//! made ready to decide where it is decided.

use prost::Message as _;
use verdict_api::codec::{ReceivedBatch, ReceivedBody};
use verdict_api::frames::EncodedItem;
use verdict_api::received::{ReceivedInput, ReceivedItem};
use verdict_api::v1 as pb;

use crate::decide::HEAVY_JSON_BYTES;

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
    Decoded(Vec<ReceivedItem>),
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
            items: Items::Decoded(request.items.into_iter().map(ReceivedItem::from).collect()),
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

    /// Whether the items, all together, are no heavier than one JSON input
    /// decided in place ([`crate::decide::Input::is_heavy`]): at most
    /// [`HEAVY_JSON_BYTES`] of them, as encoded (a decoded item counted by
    /// its JSON, or its typed message's encoding). A typed item is counted
    /// by its bytes too, not by its entries as a typed `Evaluate` is: a
    /// `BatchEvaluate` item is still encoded until it is decided, so its
    /// bytes are all there is to count, and they bound its entries.
    /// Counting stops at the bound: a typed item's size is a walk of its
    /// message, which a batch past the bound has no use for.
    pub fn is_light(&self) -> bool {
        match self {
            Self::Decoded(items) => within_bound(items.iter().map(input_bytes)),
            Self::Encoded { items, .. } => within_bound(items.iter().map(EncodedItem::encoded_len)),
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

/// Whether `sizes` add up to at most [`HEAVY_JSON_BYTES`], read only as far
/// as needed to tell.
fn within_bound(mut sizes: impl Iterator<Item = usize>) -> bool {
    sizes
        .try_fold(0usize, |total, size| {
            total
                .checked_add(size)
                .filter(|&total| total <= HEAVY_JSON_BYTES)
        })
        .is_some()
}

/// The bytes of a decoded item's input: its JSON, or its typed message's
/// encoding.
fn input_bytes(item: &ReceivedItem) -> usize {
    match &item.input {
        Some(ReceivedInput::Json(json)) => json.len(),
        Some(ReceivedInput::Workflow(workflow)) => workflow.encoded_len(),
        None => 0,
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
    Decoded(Vec<ReceivedItem>),
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
    pub fn into_items(self) -> Box<dyn Iterator<Item = Result<ReceivedItem, String>> + Send> {
        match self {
            Self::Decoded(items) => Box::new(items.into_iter().map(Ok)),
            Self::Encoded(items) => Box::new(items.into_iter().map(read_item)),
        }
    }
}

/// Reads an encoded item ([`EncodedItem::read`]): `Err` is prost's error
/// as text.
fn read_item(encoded: EncodedItem) -> Result<ReceivedItem, String> {
    encoded.read().map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_light_up_to_the_bound_and_its_sizes_are_read_no_further() {
        assert!(within_bound([HEAVY_JSON_BYTES - 1, 1].into_iter()));
        assert!(!within_bound([HEAVY_JSON_BYTES, 1].into_iter()));
        // Past the bound, what follows is not asked for: a typed item's size
        // is a walk of its message.
        let past = [HEAVY_JSON_BYTES + 1]
            .into_iter()
            .chain(std::iter::from_fn(|| panic!("read past the bound")));
        assert!(!within_bound(past));
    }
}
