//! A small answer sent in pieces h2 copies into its write buffer, so that
//! its HEADERS, DATA and trailers leave in one write.
//!
//! h2 copies a DATA frame of under 256 bytes into its write buffer (1,024
//! when what it writes to prefers one buffer a write), but writes a larger
//! one from where it is and flushes before the next frame: an Evaluate
//! answer (about 2 KB with six reasons) then costs two writes where the
//! no-op's empty answer costs one, each paying for the peer's TCP processing
//! on loopback. hyper offers no setting for it. Split into pieces of at most
//! [`piece_bytes`], the answer goes out in one write; the peer reads the same
//! message from a few more frames (9 bytes each). Each frame costs h2 work of
//! its own, so the pieces are as large as h2 copies: 1,023 bytes on a
//! plaintext connection, whose socket ([`Guarded`](crate::connections::Guarded))
//! asks for one buffer a write, 255 under TLS, whose stream takes several.
//! Measured in tests/load/README.md ("Tried and kept").

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http_body::Frame;
use prost::bytes::Bytes;
use tonic::Status;
use tonic::body::Body;

/// The largest piece h2 copies into its write buffer, one byte under its
/// chain threshold, which depends on what h2 writes to: rustls's stream
/// under TLS (several buffers a write: 256), else a [`Guarded`] socket (one
/// buffer a write: 1,024).
///
/// [`Guarded`]: crate::connections::Guarded
const fn piece_bytes(over_tls: bool) -> usize {
    if over_tls { 255 } else { 1023 }
}

/// The largest data chunk split into pieces; larger ones (a batch's answer)
/// are sent as they are, where the write they save does not matter.
const SMALL: usize = 8 * 1024;

/// `inner`, with each data chunk of at most [`SMALL`] bytes passed on in
/// pieces of at most [`piece_bytes`].
pub struct InPieces {
    inner: Body,
    /// The largest piece: [`piece_bytes`] of the connection's transport.
    piece: usize,
    /// What is left of the chunk being passed on.
    rest: Bytes,
}

impl InPieces {
    /// `over_tls`: whether the answer goes out over TLS.
    pub fn new(inner: Body, over_tls: bool) -> Self {
        Self {
            inner,
            piece: piece_bytes(over_tls),
            rest: Bytes::new(),
        }
    }
}

impl http_body::Body for InPieces {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        if self.rest.is_empty() {
            let frame = match ready!(Pin::new(&mut self.inner).poll_frame(cx)) {
                Some(Ok(frame)) => frame,
                other => return Poll::Ready(other),
            };
            match frame.into_data() {
                Ok(data) if !data.is_empty() && data.len() <= SMALL => self.rest = data,
                Ok(data) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                Err(frame) => return Poll::Ready(Some(Ok(frame))),
            }
        }
        let len = self.rest.len().min(self.piece);
        let piece = self.rest.split_to(len);
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        // What is left of the chunk, besides what the inner body holds.
        let mut hint = self.inner.size_hint();
        let rest = self.rest.len() as u64;
        if let Some(upper) = hint.upper() {
            hint.set_upper(upper.saturating_add(rest));
        }
        hint.set_lower(hint.lower().saturating_add(rest));
        hint
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use http_body::Body as _;
    use tonic::codegen::http::HeaderMap;

    use super::*;

    /// A body that gives `frames`, one per poll.
    struct Frames(VecDeque<Result<Frame<Bytes>, Status>>);

    impl http_body::Body for Frames {
        type Data = Bytes;
        type Error = Status;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
            Poll::Ready(self.0.pop_front())
        }

        fn is_end_stream(&self) -> bool {
            self.0.is_empty()
        }
    }

    async fn next(pieces: &mut InPieces) -> Option<Result<Frame<Bytes>, Status>> {
        std::future::poll_fn(|cx| Pin::new(&mut *pieces).poll_frame(cx)).await
    }

    /// The frames `InPieces` passes on for a body of `chunks` then trailers,
    /// over TLS or not.
    async fn frames_of(chunks: Vec<Bytes>, over_tls: bool) -> Vec<Frame<Bytes>> {
        let mut trailers = HeaderMap::new();
        trailers.insert("grpc-status", "0".parse().expect("a header value"));
        let frames = chunks
            .into_iter()
            .map(Frame::data)
            .chain([Frame::trailers(trailers)])
            .map(Ok)
            .collect();
        let mut pieces = InPieces::new(Body::new(Frames(frames)), over_tls);
        let mut out = Vec::new();
        while let Some(frame) = next(&mut pieces).await {
            out.push(frame.expect("no error"));
        }
        out
    }

    #[tokio::test]
    async fn it_is_not_at_its_end_while_pieces_remain_and_passes_an_error_on() {
        let chunk = Bytes::from(vec![1u8; 600]);
        let frames = [Ok(Frame::data(chunk)), Err(Status::internal("broken"))];
        let mut pieces = InPieces::new(Body::new(Frames(frames.into_iter().collect())), true);
        let mut sizes = Vec::new();
        for left in [345, 90, 0] {
            let frame = next(&mut pieces).await.expect("a piece").expect("data");
            sizes.push(frame.data_ref().map(Bytes::len));
            assert_eq!(pieces.size_hint().lower(), left);
            assert!(!pieces.is_end_stream(), "the error is still to come");
        }
        assert_eq!(sizes, [Some(255), Some(255), Some(90)]);
        let error = next(&mut pieces)
            .await
            .expect("the error")
            .expect_err("an error");
        assert_eq!(error.message(), "broken");
        assert!(next(&mut pieces).await.is_none());
        assert!(pieces.is_end_stream());
    }

    #[tokio::test]
    async fn a_small_answer_is_passed_on_in_pieces_that_add_up_to_it() {
        let answer: Bytes = (0..2000u32).map(|n| (n % 251) as u8).collect();
        // Plaintext: two pieces; under TLS: eight.
        let plaintext = vec![1023, 977];
        let tls = vec![255, 255, 255, 255, 255, 255, 255, 215];
        for (over_tls, expected_sizes) in [(false, plaintext), (true, tls)] {
            let frames = frames_of(vec![answer.clone()], over_tls).await;
            let (data, rest) = frames.split_at(frames.len() - 1);
            let lens: Vec<usize> = data
                .iter()
                .map(|frame| frame.data_ref().map_or(0, Bytes::len))
                .collect();
            assert_eq!(lens, expected_sizes, "over TLS: {over_tls}");
            let mut joined = Vec::new();
            for frame in data {
                joined.extend_from_slice(frame.data_ref().expect("data"));
            }
            assert_eq!(joined, answer);
            assert_eq!(
                rest[0]
                    .trailers_ref()
                    .map(|trailers| trailers["grpc-status"].clone()),
                Some("0".parse().expect("a header value"))
            );
        }
    }

    #[tokio::test]
    async fn a_large_answer_and_an_empty_one_are_passed_on_as_they_are() {
        let large = Bytes::from(vec![7u8; SMALL + 1]);
        let frames = frames_of(vec![Bytes::new(), large.clone()], false).await;
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0].data_ref(), Some(&Bytes::new()));
        assert_eq!(frames[1].data_ref(), Some(&large));
        assert!(frames[2].is_trailers());
    }
}
