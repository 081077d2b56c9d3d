//! A BatchEvaluateRequest as protobuf bytes, read two ways: as the server
//! reads it (frames, each item read by `EncodedItem::read`) and as the
//! generated message. Both must accept the same
//! bytes and read the same items; the id length the server walks to before
//! deciding must be the decoded id's. The body cut into pieces, as the
//! server reads one that arrives in HTTP/2 frames, must read as the whole
//! body does.

#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use prost::bytes::Bytes;
use verdict_api::codec::{read_batch, read_batch_pieces};
use verdict_api::frames::{BatchEvaluateFrames, EncodedItem};
use verdict_api::received::ReceivedItem;
use verdict_api::v1 as pb;

/// The batch as the server reads it; `None` when the server would refuse it
/// as undecodable.
fn as_the_server_reads(data: &[u8]) -> Option<(String, Vec<ReceivedItem>, bool)> {
    let frames = BatchEvaluateFrames::decode(Bytes::copy_from_slice(data)).ok()?;
    let mut items = Vec::with_capacity(frames.items.len());
    for encoded in frames.items {
        let encoded = EncodedItem::new(encoded);
        let id_len = encoded.id_len();
        let item = encoded.read().ok()?;
        assert_eq!(
            id_len,
            item.id.len(),
            "the walked id length is the decoded id's"
        );
        items.push(item);
    }
    Some((frames.policy_id, items, frames.explain))
}

fuzz_target!(|data: &[u8]| {
    let generated = pb::BatchEvaluateRequest::decode(data);
    let read = as_the_server_reads(data);
    match (generated, read) {
        (Ok(generated), Some(read)) => {
            let items = generated.items.into_iter().map(ReceivedItem::from).collect();
            assert_eq!((generated.policy_id, items, generated.explain), read);
        }
        (Err(_), None) => {}
        // An item's own decode starts one nesting level above where it sits
        // in the whole message: only unknown groups nested to prost's
        // recursion limit can tell (proto/frames.rs, `EncodedItem::read`).
        (Err(error), Some(_)) if error.to_string().contains("recursion limit") => {}
        (generated, read) => panic!(
            "the generated message and the server's reading disagree: {:?} / {:?}",
            generated.err(),
            read.is_some()
        ),
    }

    let body = Bytes::copy_from_slice(data);
    let size = 1 + data.first().map_or(0, |byte| usize::from(*byte) % 64);
    let pieces = (0..data.len())
        .step_by(size)
        .map(|at| body.slice(at..data.len().min(at + size)))
        .collect();
    match (read_batch(body.clone()), read_batch_pieces(pieces)) {
        (Ok(whole), Ok(pieces)) => assert_eq!(whole.request, pieces.request),
        (Err(whole), Err(pieces)) => assert_eq!(whole.message(), pieces.message()),
        (whole, pieces) => panic!(
            "the whole body and its pieces read differently: {} / {}",
            whole.is_ok(),
            pieces.is_ok()
        ),
    }
});
