//! `BatchEvaluate`'s body read as the HTTP/2 frames it arrives in, before
//! tonic reads it. tonic copies every DATA frame of a message into one
//! buffer (a 7.6 MB batch: about 1 µs per decision, on the connection's
//! task; tests/load/README.md, "The same code on a faster machine").
//!
//! A clean body — one uncompressed message within the size limit, nothing
//! after it, no trailers — is read from its frames as soon as all of it is
//! in (`codec::read_batch_pieces`), when tonic would read it, and reaches the
//! handler as [`KeptBatch`], in the request's extensions, with tonic handed
//! an empty message in its place. A message that does not read as a batch is
//! refused then and there with the codec's status, as tonic refuses it. Any
//! other body is handed to tonic exactly as it arrived — data, trailers,
//! error, and the rest still unread — so tonic answers it with its own
//! status, at the moment it would have without this.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use http_body::{Body, Frame};
use prost::bytes::{Buf, BufMut, Bytes, BytesMut};
use tonic::codegen::http;
use verdict_api::codec::{Pieces, ReceivedBatch, read_batch_pieces};

/// The gRPC message header: a compression flag and a 4-byte length.
const HEADER: usize = 5;

/// An empty, uncompressed gRPC message.
const EMPTY_MESSAGE: &[u8; HEADER] = &[0; HEADER];

/// DATA frames at least this large are kept as they are; smaller ones are
/// copied together. A kept frame holds on to the read buffer of h2's it is
/// a slice of, so a body sent in tiny frames (or in tiny frames between
/// another stream's large ones) would otherwise hold many buffers, and a
/// list entry, per byte it sends.
/// 16 KiB is HTTP/2's smallest frame size limit, so a client that sends
/// full frames has them kept whatever the server's `http2_max_frame_bytes`.
const KEPT_FRAME_BYTES: usize = 16 * 1024;

/// A clean body's batch, read from the frames it arrived in, or why its
/// message does not read as one (tonic's codec's own status).
#[derive(Debug, Clone)]
pub struct KeptBatch(pub Result<ReceivedBatch, tonic::Status>);

/// What was read of a body: large frames as they came, small ones copied
/// together, in order.
#[derive(Default)]
struct Received {
    pieces: VecDeque<Bytes>,
    small: BytesMut,
    len: usize,
}

impl Received {
    fn push(&mut self, piece: Bytes) {
        self.len += piece.len();
        if piece.len() < KEPT_FRAME_BYTES {
            self.small.put(piece);
        } else {
            self.flush();
            self.pieces.push_back(piece);
        }
    }

    /// Every byte read, as pieces.
    fn flush(&mut self) {
        if !self.small.is_empty() {
            self.pieces.push_back(self.small.split().freeze());
        }
    }
}

/// Reads `request`'s body up to its end if it is clean (see the module),
/// or up to where it is not.
pub async fn keep_message<B>(request: http::Request<B>, limit: usize) -> http::Request<Replay<B>>
where
    B: Body + Send + 'static,
{
    let (mut parts, body) = request.into_parts();
    let mut rest = Some(Box::pin(body));
    let mut received = Received::default();
    let mut ending = None;
    // The message header, once it is in and tonic would read the message.
    let mut header = None;
    // The message read, once all of it is in.
    let mut read = None;
    // A compressed body is tonic's to refuse or read.
    let mut clean = !parts.headers.contains_key("grpc-encoding");
    while clean && let Some(body) = rest.as_mut() {
        let data = match std::future::poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
            None => Err(Ending::End),
            Some(Err(error)) => Err(Ending::Error(error)),
            Some(Ok(frame)) => match frame.into_data() {
                Ok(mut data) => Ok(data.copy_to_bytes(data.remaining())),
                Err(frame) => match frame.into_trailers() {
                    Ok(trailers) => Err(Ending::Trailers(trailers)),
                    // http-body has no third kind of frame.
                    Err(_) => continue,
                },
            },
        };
        let piece = match data {
            // An empty frame (END_STREAM after the body, as hyper's client
            // sends it) adds nothing.
            Ok(piece) if piece.is_empty() => continue,
            Ok(piece) => piece,
            Err(end) => {
                clean = matches!(end, Ending::End) && read.is_some();
                ending = Some(end);
                rest = None;
                break;
            }
        };
        received.push(piece);
        if header.is_none() && received.len >= HEADER {
            received.flush();
            header = message_header(&received.pieces, limit);
            clean = header.is_some();
        }
        let Some((bytes, len)) = header else {
            continue;
        };
        let whole = HEADER + len;
        if received.len > whole {
            // A second message: tonic's to read (and drop).
            clean = false;
        } else if received.len == whole && read.is_none() {
            // Read now, as tonic would read it.
            received.flush();
            let mut message = Pieces::new(Vec::from(std::mem::take(&mut received.pieces)));
            message.advance(HEADER);
            match read_batch_pieces(message.into()) {
                Ok(batch) => {
                    // What was read, in one copy: the header and the pieces
                    // the batch holds (the frames, or them joined).
                    received.pieces = std::iter::once(Bytes::copy_from_slice(&bytes))
                        .chain(batch.body.pieces().iter().cloned())
                        .collect();
                    read = Some(Ok(batch));
                }
                Err(status) => {
                    // Refused now, as tonic refuses a message that does not
                    // decode, without reading the rest of the body.
                    read = Some(Err(status));
                    rest = None;
                    ending = Some(Ending::End);
                    break;
                }
            }
        }
    }
    received.flush();
    let mut pieces = received.pieces;
    let kept = match read {
        Some(Err(status)) => Some(Err(status)),
        Some(Ok(batch)) if clean => Some(Ok(batch)),
        _ => None,
    };
    if let Some(kept) = kept {
        parts.extensions.insert(KeptBatch(kept));
        pieces = VecDeque::from([Bytes::from_static(EMPTY_MESSAGE)]);
    }
    http::Request::from_parts(
        parts,
        Replay {
            pieces,
            ending,
            rest,
        },
    )
}

/// The header that starts `pieces` and its message's length, when tonic
/// would read the message as is: not compressed and within `limit`.
fn message_header(pieces: &VecDeque<Bytes>, limit: usize) -> Option<([u8; HEADER], usize)> {
    let mut header = [0u8; HEADER];
    let mut bytes = pieces.iter().flat_map(|piece| piece.iter());
    for byte in &mut header {
        *byte = *bytes.next()?;
    }
    let [flag, len @ ..] = header;
    let len = usize::try_from(u32::from_be_bytes(len)).ok()?;
    (flag == 0 && len <= limit).then_some((header, len))
}

/// How a body read ahead ended.
enum Ending<E> {
    End,
    Trailers(http::HeaderMap),
    Error(E),
}

/// A body read ahead, handed on: what was read, then how it ended or the
/// rest of it.
pub struct Replay<B: Body> {
    pieces: VecDeque<Bytes>,
    ending: Option<Ending<B::Error>>,
    rest: Option<Pin<Box<B>>>,
}

// Nothing in a `Replay` is pinned through it: the rest of the body is
// boxed, and what was read ahead is moved out as it is handed on.
impl<B: Body> Unpin for Replay<B> {}

impl<B: Body> Body for Replay<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.get_mut();
        if let Some(piece) = this.pieces.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(piece))));
        }
        match this.ending.take() {
            Some(Ending::End) => Poll::Ready(None),
            Some(Ending::Trailers(trailers)) => Poll::Ready(Some(Ok(Frame::trailers(trailers)))),
            Some(Ending::Error(error)) => Poll::Ready(Some(Err(error))),
            None => match this.rest.as_mut() {
                None => Poll::Ready(None),
                Some(rest) => rest.as_mut().poll_frame(cx).map(|frame| {
                    frame.map(|frame| {
                        frame.map(|frame| {
                            frame.map_data(|mut data| data.copy_to_bytes(data.remaining()))
                        })
                    })
                }),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_frames_are_copied_together_and_large_ones_kept() {
        let mut received = Received::default();
        for _ in 0..1000 {
            received.push(Bytes::from_static(b"x"));
        }
        let large = Bytes::from(vec![7; KEPT_FRAME_BYTES]);
        received.push(large.clone());
        received.push(Bytes::from_static(b"yz"));
        received.flush();
        assert_eq!(received.len, 1000 + KEPT_FRAME_BYTES + 2);
        let pieces: Vec<&Bytes> = received.pieces.iter().collect();
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces[0].as_ref(), [b'x'; 1000]);
        assert_eq!(
            pieces[1].as_ptr(),
            large.as_ptr(),
            "the large frame is not copied"
        );
        assert_eq!(pieces[2].as_ref(), b"yz");
    }

    #[test]
    fn a_compressed_or_oversized_message_is_not_kept() {
        let header = |flag, len: u32| {
            let mut bytes = vec![flag];
            bytes.extend(len.to_be_bytes());
            VecDeque::from([Bytes::from(bytes)])
        };
        assert_eq!(
            message_header(&header(0, 10), 10).map(|(_, len)| len),
            Some(10)
        );
        assert_eq!(message_header(&header(0, 11), 10).map(|(_, len)| len), None);
        assert_eq!(message_header(&header(1, 1), 10).map(|(_, len)| len), None);
        assert_eq!(message_header(&header(2, 1), 10).map(|(_, len)| len), None);
        assert_eq!(
            message_header(&VecDeque::from([Bytes::from_static(&[0, 0])]), 10),
            None
        );
    }
}
