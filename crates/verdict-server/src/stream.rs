//! `StreamEvaluate`: items decided as they arrive, answered in order, with
//! the per-item semantics of `BatchEvaluate` (each group of items read
//! together is decided as a batch is).
//!
//! Memory does not grow with the stream: an item is read only with one of
//! the stream's `max_stream_in_flight` permits, and its permit is given back
//! when tonic takes its answer off the response stream. A caller that stops
//! reading answers therefore stops the server reading items, and HTTP/2 flow
//! control stops the caller sending them. When the caller leaves, the
//! response stream is dropped: the task sees its channel closed and stops,
//! dropping (and so cancelling) the group being decided. A caller's
//! RST_STREAM(CANCEL) may also reach the task first as the end of its items
//! (hyper ends a request body on CANCEL as on END_STREAM): the task then
//! reads no more and ends, having decided at most the group in progress.

use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use prost::Message as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt as _};
use tonic::{Request, Response, Status, Streaming};
use tracing::{Instrument as _, debug, debug_span};
use verdict_api::frames::{BatchAnswer, StreamEvaluateAnswer};
use verdict_api::received::ReceivedItem;
use verdict_api::v1 as pb;

use crate::batch_items::{Batch, Items};
use crate::errors::ServiceError;
use crate::metrics;
use crate::request_id::{REQUEST_ID_HEADER, request_id};
use crate::service::{DecisionApi, Delivery};

/// The response stream: answers, then the end (or the status that ended
/// it). Each decision comes encoded where it was made (as a
/// `BatchEvaluate`'s do); [`crate::routes`] serves the stream with a codec
/// that writes it as it is.
pub type Answers = Pin<Box<dyn Stream<Item = Result<StreamEvaluateAnswer, Status>> + Send>>;

/// The same answers as messages, for in-process callers of the generated
/// service's trait.
pub type Messages = Pin<Box<dyn Stream<Item = Result<pb::StreamEvaluateResponse, Status>> + Send>>;

/// An answer on its way to the caller, holding its item's permit until
/// tonic takes it.
type Outgoing = (
    Result<StreamEvaluateAnswer, Status>,
    Option<OwnedSemaphorePermit>,
);

/// An item read, with its permit.
type Read = (pb::StreamEvaluateRequest, OwnedSemaphorePermit);

/// How a stream ended, for the request counter.
enum Ended {
    /// The caller closed its side and every item was answered.
    Done,
    /// The caller left (cancelled, or its connection closed).
    Left,
    /// A message could not be read: the stream ended with its status.
    Failed(tonic::Code),
}

impl DecisionApi {
    /// Starts deciding the stream on a task of its own; answers flow back
    /// through a channel as they are made.
    pub(crate) fn stream(
        &self,
        request: Request<Streaming<pb::StreamEvaluateRequest>>,
    ) -> Response<Answers> {
        let id = request_id(request.metadata());
        let span = debug_span!("rpc", rpc = "StreamEvaluate", request_id = %id.to_str().unwrap_or_default());
        let max = self.limits().max_stream_in_flight;
        // One more slot than permits: the status that ends a failed stream.
        let (sender, receiver) = mpsc::channel::<Outgoing>(max + 1);
        let api = self.clone();
        let inbound = request.into_inner();
        tokio::spawn(
            async move {
                let started = Instant::now();
                let ended = serve(&api, inbound, &sender, max).await;
                let code = match ended {
                    Ended::Done => tonic::Code::Ok,
                    Ended::Left => tonic::Code::Cancelled,
                    Ended::Failed(code) => code,
                };
                metrics::request("StreamEvaluate", code, started.elapsed());
                debug!(code = ?code, micros = started.elapsed().as_micros(), "stream ended");
            }
            .instrument(span),
        );
        // The permit is dropped here, as tonic takes the answer to send it.
        let answers = ReceiverStream::new(receiver).map(|(answer, _permit)| answer);
        let mut response = Response::new(Box::pin(answers) as Answers);
        response.metadata_mut().insert(REQUEST_ID_HEADER, id);
        response
    }
}

/// Reads, decides and answers until the caller closes its side, leaves, or
/// sends what cannot be read.
async fn serve(
    api: &DecisionApi,
    mut inbound: Streaming<pb::StreamEvaluateRequest>,
    answers: &mpsc::Sender<Outgoing>,
    max_in_flight: usize,
) -> Ended {
    let permits = Arc::new(Semaphore::new(max_in_flight));
    // An item read that could not join the group before it (another policy,
    // or no more room in the group).
    let mut carried: Option<Read> = None;
    loop {
        let first = match carried.take() {
            Some(read) => read,
            None => {
                // Room first, then the caller's next item: with no room the
                // stream is not read, which is the back-pressure.
                let permit = tokio::select! {
                    permit = Arc::clone(&permits).acquire_owned() => permit,
                    () = answers.closed() => return Ended::Left,
                };
                let Ok(permit) = permit else {
                    return Ended::Left;
                };
                let next = tokio::select! {
                    next = inbound.message() => next,
                    () = answers.closed() => return Ended::Left,
                };
                match next {
                    Ok(Some(item)) => (item, permit),
                    Ok(None) if answers.is_closed() => return Ended::Left,
                    Ok(None) => return Ended::Done,
                    Err(status) => return fail(answers, status).await,
                }
            }
        };
        let limits = api.limits();
        // A group is admitted as a batch is: at most `max_in_flight` items,
        // at most a message's bytes of input (at least its first item).
        let max_items = limits.max_batch_size.min(limits.max_in_flight).max(1);
        let mut bytes = first.0.encoded_len();
        let mut group = vec![first];
        let mut after: Option<Result<(), Status>> = None;
        // What has arrived already joins the group, while there is room and
        // it asks for the same policy and explanation.
        while group.len() < max_items {
            let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                break;
            };
            match ready_now(&mut inbound).await {
                None => break,
                Some(Ok(Some(item))) => {
                    let head = &group[0].0;
                    let size = item.encoded_len();
                    if item.policy_id == head.policy_id
                        && item.explain == head.explain
                        && bytes + size <= limits.max_message_bytes
                    {
                        bytes += size;
                        group.push((item, permit));
                    } else {
                        carried = Some((item, permit));
                        break;
                    }
                }
                Some(Ok(None)) => {
                    after = Some(Ok(()));
                    break;
                }
                Some(Err(status)) => {
                    after = Some(Err(status));
                    break;
                }
            }
        }
        let decided = tokio::select! {
            decided = decide(api, &mut group, bytes) => decided,
            // The group's future is dropped: its batch workers stop.
            () = answers.closed() => return Ended::Left,
        };
        for (result, (_, permit)) in decided.into_iter().zip(group) {
            let answer = StreamEvaluateAnswer { result };
            if answers.send((Ok(answer), Some(permit))).await.is_err() {
                return Ended::Left;
            }
        }
        match after {
            None => {}
            Some(Ok(())) => return Ended::Done,
            Some(Err(status)) => return fail(answers, status).await,
        }
    }
}

/// The next message if one has arrived already, without waiting: `None`
/// when none has.
async fn ready_now(
    inbound: &mut Streaming<pb::StreamEvaluateRequest>,
) -> Option<Result<Option<pb::StreamEvaluateRequest>, Status>> {
    std::future::poll_fn(|cx| {
        Poll::Ready(match Pin::new(&mut *inbound).poll_next(cx) {
            Poll::Ready(next) => Some(next.transpose()),
            Poll::Pending => None,
        })
    })
    .await
}

/// Ends the stream with `status` (a message that could not be read) — or,
/// when the caller cancelled or is gone, says so: the read failed because
/// the caller left, and nobody is there to tell.
async fn fail(answers: &mpsc::Sender<Outgoing>, status: Status) -> Ended {
    let code = status.code();
    if code == tonic::Code::Cancelled || answers.is_closed() {
        return Ended::Left;
    }
    match answers.send((Err(status), None)).await {
        Ok(()) => Ended::Failed(code),
        Err(_) => Ended::Left,
    }
}

/// Decides a group as a batch, holding its `bytes` of the server's request
/// budget meanwhile; an error of the whole batch (an unknown policy,
/// shedding, the budget, the deadline) is each item's error.
async fn decide(api: &DecisionApi, group: &mut [Read], bytes: usize) -> Vec<BatchAnswer> {
    let head = &group[0].0;
    let (policy_id, explain) = (head.policy_id.clone(), head.explain);
    let mut ids = Vec::with_capacity(group.len());
    let items = group
        .iter_mut()
        .map(|(request, _)| {
            let item = request.item.take().unwrap_or_default();
            ids.push(item.id.clone());
            ReceivedItem::from(item)
        })
        .collect();
    let request = Batch {
        policy_id,
        explain,
        items: Items::Decoded(items),
    };
    let deadline = api.limits().rpc_timeout;
    let error = match api.budget().hold(bytes) {
        Err(refused) => refused,
        // Held until the group is decided (or dropped with this future).
        Ok(_held) => {
            match tokio::time::timeout(deadline, api.batch(request, Delivery::PerItem)).await {
                Ok(Ok(answers)) => return answers,
                Ok(Err(error)) => error,
                Err(_) => ServiceError::DeadlineExceeded {
                    timeout_ms: u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX),
                },
            }
        }
    };
    let status = error.to_rpc_status();
    ids.into_iter()
        .map(|id| {
            BatchAnswer::Message(pb::BatchResult {
                id,
                result: Some(pb::batch_result::Result::Error(status.clone())),
            })
        })
        .collect()
}
