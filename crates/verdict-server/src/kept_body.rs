//! `BatchEvaluate`'s body read as the HTTP/2 frames it arrives in, before
//! tonic reads it. tonic copies every DATA frame of a message into one
//! buffer (a 7.6 MB batch: about 1 µs per decision, on the connection's
//! task; tests/load/README.md, "The same code on a faster machine").
//!
//! A clean body — one uncompressed message within the size limit, nothing
//! after it, no trailers — is kept as its frames ([`KeptMessage`], in the
//! request's extensions) and tonic is handed an empty message in its place;
//! the handler reads the kept frames (`codec::read_batch_pieces`). Any other
//! body is handed to tonic exactly as it arrived, frames, trailers, error and
//! the rest still unread, so tonic answers it with its own status, as it
//! would have without this.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use http_body::{Body, Frame};
use prost::bytes::{Buf, Bytes};
use tonic::codegen::http;

/// The gRPC message header: a compression flag and a 4-byte length.
const HEADER: usize = 5;

/// An empty, uncompressed gRPC message.
const EMPTY_MESSAGE: &[u8; HEADER] = &[0; HEADER];

/// A clean body's message, its header taken off: the frames it arrived in.
#[derive(Debug, Clone)]
pub struct KeptMessage(pub Vec<Bytes>);

/// Reads `request`'s body up to its end if it is clean (see the module),
/// or up to where it is not.
pub async fn keep_message<B>(request: http::Request<B>, limit: usize) -> http::Request<Replay<B>>
where
    B: Body + Send + 'static,
{
    let (mut parts, body) = request.into_parts();
    let mut replay = Replay {
        pieces: VecDeque::new(),
        ending: None,
        rest: Some(Box::pin(body)),
    };
    // A compressed body is tonic's to refuse or read.
    if parts.headers.contains_key("grpc-encoding") {
        return http::Request::from_parts(parts, replay);
    }
    let mut received = 0;
    let mut whole = None;
    while let Some(rest) = replay.rest.as_mut() {
        let frame = std::future::poll_fn(|cx| rest.as_mut().poll_frame(cx)).await;
        let data = match frame {
            None => Ending::End,
            Some(Err(error)) => Ending::Error(error),
            Some(Ok(frame)) => match frame.into_data() {
                Ok(mut data) => {
                    let piece = data.copy_to_bytes(data.remaining());
                    received += piece.len();
                    replay.pieces.push_back(piece);
                    if whole.is_none() && received >= HEADER {
                        match message_len(&replay.pieces, limit) {
                            Some(len) => whole = Some(HEADER + len),
                            None => break,
                        }
                    }
                    if whole.is_some_and(|whole| received > whole) {
                        break;
                    }
                    continue;
                }
                Err(frame) => match frame.into_trailers() {
                    Ok(trailers) => Ending::Trailers(trailers),
                    // http-body has no third kind of frame.
                    Err(_) => continue,
                },
            },
        };
        let clean = matches!(data, Ending::End) && whole == Some(received);
        replay.ending = Some(data);
        replay.rest = None;
        if clean {
            let mut pieces = Vec::from(std::mem::take(&mut replay.pieces));
            drop_header(&mut pieces);
            parts.extensions.insert(KeptMessage(pieces));
            replay.pieces.push_back(Bytes::from_static(EMPTY_MESSAGE));
        }
    }
    http::Request::from_parts(parts, replay)
}

/// The length of the message whose header starts `pieces`, when tonic
/// would read it as is: not compressed and within `limit`.
fn message_len(pieces: &VecDeque<Bytes>, limit: usize) -> Option<usize> {
    let mut header = [0u8; HEADER];
    let mut bytes = pieces.iter().flat_map(|piece| piece.iter());
    for byte in &mut header {
        *byte = *bytes.next()?;
    }
    let [flag, len @ ..] = header;
    let len = usize::try_from(u32::from_be_bytes(len)).ok()?;
    (flag == 0 && len <= limit).then_some(len)
}

/// Takes the message header off the front of `pieces`.
fn drop_header(pieces: &mut Vec<Bytes>) {
    let mut left = HEADER;
    let mut whole_pieces = 0;
    for piece in pieces.iter_mut() {
        let taken = left.min(piece.len());
        piece.advance(taken);
        left -= taken;
        if piece.is_empty() {
            whole_pieces += 1;
        }
        if left == 0 {
            break;
        }
    }
    pieces.drain(..whole_pieces);
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
    fn the_header_is_taken_off_across_pieces() {
        let mut pieces = vec![
            Bytes::from_static(&[0, 0]),
            Bytes::from_static(&[0, 0, 3, 7]),
            Bytes::from_static(&[8, 9]),
        ];
        drop_header(&mut pieces);
        assert_eq!(
            pieces,
            [Bytes::from_static(&[7]), Bytes::from_static(&[8, 9])]
        );
        let mut exact = vec![
            Bytes::from_static(&[0, 0, 0, 0, 1]),
            Bytes::from_static(&[5]),
        ];
        drop_header(&mut exact);
        assert_eq!(exact, [Bytes::from_static(&[5])]);
    }

    #[test]
    fn a_compressed_or_oversized_message_is_not_kept() {
        let header = |flag, len: u32| {
            let mut bytes = vec![flag];
            bytes.extend(len.to_be_bytes());
            VecDeque::from([Bytes::from(bytes)])
        };
        assert_eq!(message_len(&header(0, 10), 10), Some(10));
        assert_eq!(message_len(&header(0, 11), 10), None);
        assert_eq!(message_len(&header(1, 1), 10), None);
        assert_eq!(message_len(&header(2, 1), 10), None);
        assert_eq!(
            message_len(&VecDeque::from([Bytes::from_static(&[0, 0])]), 10),
            None
        );
    }
}
