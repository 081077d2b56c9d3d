//! The `verdict.v1.DecisionService` implementation: admission (load shedding)
//! and the decision path, each RPC inside the common envelope (`envelope.rs`:
//! request id, span, deadline, metrics).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use prost::Message as _;
use prost::bytes::Bytes;
use prost_types::Timestamp;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_stream::StreamExt as _;
use tonic::{Request, Response, Status};
use tracing::debug;
use verdict_api::codec::locate_decode_error;
use verdict_api::frames::{BatchAnswer, BatchEvaluateAnswers, EvaluateAnswer};
use verdict_api::received::ReceivedEvaluate;
use verdict_api::v1 as pb;
use verdict_api::v1::decision_service_server::DecisionService;
use verdict_core::{Decision, Evidence, Policy};
use verdict_ledger::{Appended, Draft, PolicyText};

use crate::batch_items::{Batch, Run};
use crate::body_budget::BodyBudget;
use crate::convert::outcome_to_wire;
use crate::decide::{
    DecideOptions, DecideWith, Decided, Input, Parsed, Received, Shadowed, decide_as,
};
use crate::decision_wire::{DecisionWire, RECORD_MARK_BYTES, Unmarked};
use crate::envelope::Envelope;
use crate::errors::{MAX_ID, ServiceError};
use crate::evidence::{Lookup, evidence_from_wire, gather};
use crate::ledger::{Recorder, mark_of};
use crate::limits::Limits;
use crate::metrics::{self, Tally};
use crate::overload::QueueDelay;
use crate::policy_store::{LoadedPolicy, PolicySet, PolicyStore};

/// Items below which a batch is not split across threads.
const MIN_ITEMS_PER_WORKER: usize = 64;

/// The cores a batch is split across, asked once: the standard library
/// reads the process's cgroup files to answer, about 26 µs on the load
/// test's machine (tests/load/README.md, "Tried and kept"), which every
/// `BatchEvaluate` paid before deciding its first item.
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// One batch item decided: its answer, the answer's framed size (before
/// recording), what the ledger records of it, and — when its decision would
/// read evidence the ledger may have — what to decide it again with.
struct Answered {
    id: String,
    answer: Answer,
    size: usize,
    // Boxed: they come only with a ledger, and a batch moves its items'
    // answers a few times (measured: tests/load/README.md, "Tried and
    // kept").
    draft: Option<Box<Draft>>,
    again: Option<Box<Again>>,
    /// What the shadow policies decided beside it.
    shadows: Vec<Shadowed>,
}

/// What a batch item is answered with.
enum Answer {
    /// A decision, encoded by the worker that decided it, and what the
    /// metrics will count of it.
    Decision(Encoded, Option<Tally>),
    Error(tonic_types::pb::Status),
}

/// A decision encoded by the worker that decided it.
enum Encoded {
    /// The whole `BatchResult`, id included: nothing will mark it, so it is
    /// answered as it is (in the batch's one message, or a stream item's
    /// own).
    Whole(Bytes),
    /// The decision without the mark the ledger adds once it is recorded.
    Unmarked(Unmarked),
}

/// An item to decide again once the ledger's evidence is gathered.
struct Again {
    /// Its input, parsed in the first round.
    parsed: Parsed,
    evidence: Evidence,
    /// What its latest decision wants and was not gathered yet.
    lookup: Lookup,
    /// What the first round gathered for it.
    done: Option<Lookup>,
}

/// Rounds of gathering at most: a decision made with the evidence may want
/// more than the first did (a RETRY, once a repeated face resolved to this
/// account, wants the account's retries); each kind is read once.
const GATHER_ROUNDS: usize = 2;

impl Answered {
    fn new(id: String, decided: Result<Decided<Answer>, ServiceError>) -> Self {
        let (answer, draft, shadows) = match decided {
            Ok(decided) => (decided.decision, decided.draft, decided.shadows),
            Err(error) => (Answer::Error(error.to_rpc_status()), None, Vec::new()),
        };
        let size = match &answer {
            Answer::Decision(Encoded::Whole(bytes), _) => framed(bytes.len()),
            // With a draft, always: recorded before it is answered.
            Answer::Decision(Encoded::Unmarked(wire), _) => {
                result_size(id.len(), wire.len()) + RECORD_MARK_BYTES
            }
            Answer::Error(status) => result_size(id.len(), status.encoded_len()),
        };
        Self {
            id,
            answer,
            size,
            draft: draft.map(Box::new),
            again: None,
            shadows,
        }
    }

    /// An item answered with an error status made once for many.
    fn failed(id: String, status: tonic_types::pb::Status) -> Self {
        Self {
            size: result_size(id.len(), status.encoded_len()),
            id,
            answer: Answer::Error(status),
            draft: None,
            again: None,
            shadows: Vec::new(),
        }
    }
}

/// What a batch's items are decided with: shared by the batch's workers.
#[derive(Clone)]
struct ItemDeciding {
    policy: Arc<Policy>,
    shadows: Arc<[Arc<Policy>]>,
    options: DecideOptions,
}

impl ItemDeciding {
    /// Decides the item `id`, straight into its encoded `BatchResult`; or,
    /// when the decision is recorded (`options.record`), into the decision
    /// without the mark the ledger adds.
    fn decide(
        &self,
        id: &str,
        input: Option<Input<'_>>,
        evidence: &Evidence,
    ) -> Result<Decided<Answer>, ServiceError> {
        decide_as(
            input,
            evidence,
            &self.policy,
            &self.shadows,
            self.options,
            self.render(id),
        )
    }

    /// [`Self::decide`], from an input parsed already, with `evidence`
    /// gathered for `gathered`.
    fn decide_parsed(
        &self,
        id: &str,
        parsed: &Parsed,
        evidence: &Evidence,
        gathered: Option<&Lookup>,
    ) -> Result<Decided<Answer>, ServiceError> {
        let with = DecideWith {
            evidence,
            policy: &self.policy,
            shadows: &self.shadows,
            options: self.options,
            gathered,
        };
        parsed.decide_as(&with, self.render(id))
    }

    /// How an item's decision is answered: its whole `BatchResult`, or,
    /// when the ledger will mark it, the decision unmarked.
    fn render(
        &self,
        id: &str,
    ) -> impl FnOnce(&Decision<'_>, Vec<pb::FindingExplanation>) -> Answer {
        let record = self.options.record;
        move |decision, explanations| {
            let wire = DecisionWire::new(decision, &explanations);
            let encoded = if record {
                Encoded::Unmarked(wire.unmarked())
            } else {
                Encoded::Whole(Bytes::from(wire.batch_result(id)))
            };
            Answer::Decision(encoded, Tally::of(decision))
        }
    }
}

/// How a worker's run of batch items ended.
enum RunEnd {
    Decided(Vec<Answered>),
    /// The batch was cancelled (the items left counted abandoned).
    Cancelled,
    /// An item does not decode (prost's error as text): the request is not
    /// a `BatchEvaluateRequest`, as when a whole body fails to decode.
    Undecodable(String),
    /// Another run found an item that does not decode: the call fails, so
    /// this run stopped deciding.
    Stopped,
}

/// Decodes (if encoded) and decides a run of batch items, in order.
fn decide_run(
    run: Run,
    deciding: &ItemDeciding,
    cancelled: &AtomicBool,
    broken: &AtomicBool,
) -> RunEnd {
    let total = run.len();
    let mut answers = Vec::with_capacity(total);
    let undecodable = |error: String| {
        broken.store(true, Ordering::Relaxed);
        RunEnd::Undecodable(error)
    };
    for item in run.into_items() {
        if cancelled.load(Ordering::Relaxed) {
            metrics::batch_items("abandoned", total - answers.len());
            return RunEnd::Cancelled;
        }
        if broken.load(Ordering::Relaxed) {
            return RunEnd::Stopped;
        }
        let item = match item {
            Ok(item) => item,
            Err(error) => return undecodable(error),
        };
        let evidence = match evidence_from_wire(item.evidence.as_ref()) {
            Ok(evidence) => evidence,
            Err(error) => {
                answers.push(Answered::new(item.id, Err(error)));
                continue;
            }
        };
        if !deciding.options.lookup {
            let input = item.input.as_ref().map(Input::from);
            let decided = deciding.decide(&item.id, input, &evidence);
            answers.push(Answered::new(item.id, decided));
            continue;
        }
        // The decision may want the ledger's evidence: parsed so that the
        // parse can be kept for deciding again.
        let parsed = match Parsed::parse(Received::Item(item.input), deciding.options) {
            Ok(parsed) => parsed,
            Err(error) => {
                answers.push(Answered::new(item.id, Err(error)));
                continue;
            }
        };
        let mut decided = deciding.decide_parsed(&item.id, &parsed, &evidence, None);
        let lookup = decided
            .as_mut()
            .ok()
            .and_then(|decided| decided.lookup.take());
        let mut answered = Answered::new(item.id, decided);
        answered.again = lookup.map(|lookup| {
            Box::new(Again {
                parsed,
                evidence,
                lookup,
                done: None,
            })
        });
        answers.push(answered);
    }
    RunEnd::Decided(answers)
}

/// An answer of this server's own encoding that does not decode: not
/// expected, so INTERNAL.
fn undecodable(error: &prost::DecodeError) -> Status {
    Status::internal(format!("an answer that does not decode: {error}"))
}

/// Room kept below `max_message_bytes` for what wraps the answer.
const RESPONSE_HEADROOM: usize = 1024;

/// The size of a batch result's `id` field, `id` bytes long.
fn id_len(id: usize) -> usize {
    if id == 0 {
        0
    } else {
        1 + prost::encoding::encoded_len_varint(id as u64) + id
    }
}

/// The size of `len` bytes of a batch result with its tag and length.
fn framed(len: usize) -> usize {
    1 + prost::encoding::encoded_len_varint(len as u64) + len
}

/// The framed size of a batch result with an id `id` bytes long and a
/// `result` (a decision or an error status) of `result` bytes.
fn result_size(id: usize, result: usize) -> usize {
    framed(id_len(id) + framed(result))
}

/// How a batch's answers reach the caller: together in one message
/// (`BatchEvaluate`), or each in a message of its own (a group of a
/// `StreamEvaluate`), so that each only has to fit alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    OneMessage,
    PerItem,
}

/// How much of one message a batch answer may fill, and what an item that
/// does not fit is answered with instead.
struct AnswerRoom {
    budget: usize,
    too_large: tonic_types::pb::Status,
    /// The framed size of each item answered with `too_large`, in item order.
    fallbacks: Vec<usize>,
    /// Room kept for every item to be answered with `too_large` (one
    /// message only: an answer of its own needs none).
    reserve: usize,
}

impl AnswerRoom {
    /// `id_lens`: the length of each item's id, in item order.
    fn new(
        max_message_bytes: usize,
        id_lens: &[usize],
        delivery: Delivery,
    ) -> Result<Self, ServiceError> {
        let error = ServiceError::ResponseTooLarge {
            max: max_message_bytes,
        };
        let too_large = error.to_rpc_status();
        let status = too_large.encoded_len();
        let fallbacks: Vec<usize> = id_lens.iter().map(|&id| result_size(id, status)).collect();
        let reserve = match delivery {
            Delivery::OneMessage => fallbacks.iter().sum(),
            Delivery::PerItem => 0,
        };
        let budget = max_message_bytes.saturating_sub(RESPONSE_HEADROOM);
        // Not even every item as an error fits: the batch is too large.
        if reserve > budget {
            return Err(error);
        }
        Ok(Self {
            budget,
            too_large,
            fallbacks,
            reserve,
        })
    }
}

/// The shadow policies of one request, as loaded.
struct Shadows(Vec<Arc<LoadedPolicy>>);

impl Shadows {
    /// The policies to decide with beside the live one.
    fn policies(&self) -> Arc<[Arc<Policy>]> {
        self.0
            .iter()
            .map(|loaded| Arc::clone(&loaded.policy))
            .collect()
    }

    /// The texts the ledger keeps (by digest) with a decision by `live`.
    fn with_live(&self, live: &Arc<PolicyText>) -> Vec<Arc<PolicyText>> {
        std::iter::once(Arc::clone(live))
            .chain(self.0.iter().map(|loaded| Arc::clone(&loaded.ledger_text)))
            .collect()
    }
}

/// Serves decisions from a set of policies.
#[derive(Debug, Clone)]
pub struct DecisionApi {
    policies: Arc<PolicyStore>,
    limits: Limits,
    /// One permit per decision in flight: a single Evaluate takes one, a batch
    /// one per item, so a few big batches cannot starve everyone else.
    in_flight: Arc<Semaphore>,
    /// How late the runtime runs tasks (see `overload.rs`).
    queue_delay: Arc<QueueDelay>,
    /// Where decisions are recorded before they are answered.
    ledger: Option<Recorder>,
    /// Ids of the policies that decide beside every live decision.
    shadow_ids: Arc<[String]>,
    /// Request bytes held at once, server-wide (`body_budget.rs`): stream
    /// groups hold theirs while they are decided.
    budget: Arc<BodyBudget>,
}

impl DecisionApi {
    /// Call inside the runtime that serves it: it measures that runtime.
    pub fn new(
        policies: Arc<PolicyStore>,
        limits: Limits,
        ledger: Option<Recorder>,
        shadow_ids: Vec<String>,
        budget: Arc<BodyBudget>,
    ) -> Self {
        Self {
            policies,
            ledger,
            shadow_ids: shadow_ids.into(),
            budget,
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight)),
            queue_delay: QueueDelay::start(),
            limits,
        }
    }

    /// Takes `decisions` permits at once, or sheds the request: queueing
    /// under overload only moves the failure to the client's deadline. Also
    /// sheds while the runtime runs tasks later than `max_queue_delay`: then
    /// requests are waiting before they are even counted.
    fn admit(&self, rpc: &'static str, decisions: usize) -> Result<Admitted, ServiceError> {
        let delay = self.queue_delay.current();
        if !self.limits.max_queue_delay.is_zero() && delay > self.limits.max_queue_delay {
            metrics::shed(rpc);
            return Err(ServiceError::Queued {
                delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                max_ms: u64::try_from(self.limits.max_queue_delay.as_millis()).unwrap_or(u64::MAX),
            });
        }
        let wanted = u32::try_from(decisions).unwrap_or(u32::MAX);
        match Arc::clone(&self.in_flight).try_acquire_many_owned(wanted) {
            Ok(permit) => {
                metrics::in_flight(self.limits.max_in_flight - self.in_flight.available_permits());
                Ok(Admitted {
                    _permit: permit,
                    semaphore: Arc::clone(&self.in_flight),
                    max: self.limits.max_in_flight,
                })
            }
            Err(_) => {
                metrics::shed(rpc);
                Err(ServiceError::Overloaded {
                    max_in_flight: self.limits.max_in_flight,
                    wanted: decisions,
                })
            }
        }
    }

    /// The shadow policies to decide beside `live`, as loaded in `set` now
    /// (so reloaded like any policy): not `live` itself, nor one that is not
    /// loaded (counted, so that a shadow that stopped loading is seen).
    fn shadows(&self, set: &PolicySet, live: &Policy) -> Shadows {
        Shadows(
            self.shadow_ids
                .iter()
                .filter(|id| **id != live.reference().id)
                .filter_map(|id| match set.get(id) {
                    Ok(loaded) => Some(Arc::clone(loaded)),
                    Err(_) => {
                        metrics::shadow_missing(id);
                        None
                    }
                })
                .collect(),
        )
    }

    pub(crate) fn budget(&self) -> &Arc<BodyBudget> {
        &self.budget
    }

    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    fn recorder(&self) -> Result<&Recorder, ServiceError> {
        self.ledger.as_ref().ok_or(ServiceError::LedgerDisabled)
    }

    fn options(&self, explain: bool) -> DecideOptions {
        DecideOptions {
            explain,
            max_json_depth: self.limits.max_json_depth,
            record: self.ledger.is_some(),
            lookup: self.ledger.is_some(),
        }
    }
}

/// An Evaluate request's input with what decides it.
struct Deciding<'r> {
    request: &'r Arc<ReceivedEvaluate>,
    policy: &'r Arc<Policy>,
    shadows: &'r Arc<[Arc<Policy>]>,
}

impl Deciding<'_> {
    /// Whether the input is decided off the async workers.
    fn heavy(&self) -> bool {
        self.request
            .input
            .as_ref()
            .is_some_and(|input| Input::from(input).is_heavy())
    }

    /// [`decide_as`], off the async workers when the input is heavy.
    async fn decide<D: Send + 'static>(
        &self,
        evidence: Arc<Evidence>,
        options: DecideOptions,
        render: impl FnOnce(&Decision<'_>, Vec<pb::FindingExplanation>) -> D + Send + 'static,
    ) -> Result<Decided<D>, ServiceError> {
        let (request, policy, shadows) = (
            Arc::clone(self.request),
            Arc::clone(self.policy),
            Arc::clone(self.shadows),
        );
        off_workers_if(self.heavy(), move || {
            decide_as(
                request.input.as_ref().map(Input::from),
                &evidence,
                &policy,
                &shadows,
                options,
                render,
            )
        })
        .await?
    }

    /// [`Self::decide`] from `parsed` (given back with the decision), with
    /// `evidence` gathered for `gathered`; without `parsed`, from the
    /// request's input parsed here, in the same trip to the blocking pool
    /// when the input is heavy.
    async fn decide_parsed<D: Send + 'static>(
        &self,
        parsed: Option<Parsed>,
        evidence: Arc<Evidence>,
        gathered: Option<Lookup>,
        options: DecideOptions,
        render: impl FnOnce(&Decision<'_>, Vec<pb::FindingExplanation>) -> D + Send + 'static,
    ) -> Result<(Parsed, Decided<D>), ServiceError> {
        let (request, policy, shadows) = (
            Arc::clone(self.request),
            Arc::clone(self.policy),
            Arc::clone(self.shadows),
        );
        off_workers_if(self.heavy(), move || {
            let parsed = match parsed {
                Some(parsed) => parsed,
                None => Parsed::parse(Received::Request(request), options)?,
            };
            let with = DecideWith {
                evidence: &evidence,
                policy: &policy,
                shadows: &shadows,
                options,
                gathered: gathered.as_ref(),
            };
            let decided = parsed.decide_as(&with, render)?;
            Ok((parsed, decided))
        })
        .await?
    }
}

/// Evaluate with a ledger: decided with what the ledger knows, recorded,
/// then marked.
async fn recorded(
    recorder: &Recorder,
    deciding: &Deciding<'_>,
    evidence: Arc<Evidence>,
    options: DecideOptions,
    max: usize,
    shadowing: &Shadows,
    loaded: &LoadedPolicy,
) -> Result<EvaluateAnswer, ServiceError> {
    let policy = &loaded.policy;
    let render = |decision: &Decision<'_>, explanations: Vec<pb::FindingExplanation>| {
        unmarked_answer(decision, &explanations)
    };
    // Parsed once: a decision that reads what the ledger knows is decided
    // again from the same parse.
    let (mut parsed, mut decided) = deciding
        .decide_parsed(None, Arc::clone(&evidence), None, options, render)
        .await?;
    // The decision reads what the ledger may know (earlier workflows, the
    // account's retries): gathered, then decided again with it. Most
    // decisions read nothing and are made once.
    let mut gathered = Evidence::clone(&evidence);
    let mut done: Option<Lookup> = None;
    for round in 1..=GATHER_ROUNDS {
        let Some(lookup) = decided.lookup.take() else {
            break;
        };
        gather(recorder, &mut [(&lookup, &mut gathered)]).await?;
        done.get_or_insert(lookup);
        let options = DecideOptions {
            lookup: round < GATHER_ROUNDS,
            ..options
        };
        (parsed, decided) = deciding
            .decide_parsed(
                Some(parsed),
                Arc::new(gathered.clone()),
                done.clone(),
                options,
                render,
            )
            .await?;
    }
    // Not read past the last round: its draft holds what is recorded of it.
    drop(parsed);
    let answer = decided.decision;
    fits_one_answer(answer.wire.len(), max)?;
    // Recorded before it is answered: an answer is durable.
    let appended = match decided.draft {
        Some(draft) => recorder
            .record(shadowing.with_live(&loaded.ledger_text), vec![draft])
            .await?
            .into_iter()
            .next()
            .flatten(),
        None => None,
    };
    let mark = mark_of(appended.as_ref());
    let live = &policy.reference().id;
    if let Some(tally) = answer.tally {
        tally.count(live);
    }
    metrics::shadows(live, &decided.shadows);
    log_decision(
        &answer.workflow_id,
        mark.decision_id,
        answer.outcome,
        &answer.result_code,
    );
    Ok(EvaluateAnswer::Encoded(
        answer.wire.evaluate_response(&mark),
    ))
}

/// A decision encoded before the ledger records it, and what is logged and
/// counted of it once answered.
struct UnmarkedAnswer {
    wire: Unmarked,
    tally: Option<Tally>,
    workflow_id: String,
    outcome: pb::Outcome,
    result_code: String,
}

/// [`decide_as`]'s rendering for a decision the ledger will mark: encoded
/// where it is made, as one nothing marks is ([`encoded_answer`]).
fn unmarked_answer(
    decision: &Decision<'_>,
    explanations: &[pb::FindingExplanation],
) -> UnmarkedAnswer {
    UnmarkedAnswer {
        wire: DecisionWire::new(decision, explanations).unmarked(),
        tally: Tally::of(decision),
        workflow_id: decision.workflow_id.unwrap_or_default().to_owned(),
        outcome: outcome_to_wire(decision.outcome),
        result_code: decision.result_code.to_owned(),
    }
}

/// Runs `work` on the blocking pool when it is `heavy` (a large body is
/// milliseconds of parsing: off the async workers, so health checks and
/// small requests go on), else in place.
async fn off_workers_if<T: Send + 'static>(
    heavy: bool,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ServiceError> {
    if heavy {
        // In the request's span, as work done in place is.
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(work))
            .await
            .map_err(|_| ServiceError::Interrupted)
    } else {
        Ok(work())
    }
}

/// Decisions admitted; released (and the gauge updated) on drop.
struct Admitted {
    _permit: OwnedSemaphorePermit,
    semaphore: Arc<Semaphore>,
    max: usize,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        // The permit is released after this body runs; count it as released.
        let held = self.max - self.semaphore.available_permits();
        metrics::in_flight(held.saturating_sub(self._permit.num_permits()));
    }
}

/// Sets its flag when dropped: the handler's future is dropped when the
/// caller disconnects or its deadline passes, and the batch worker stops.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Logs a decision: ids, outcome and codes only, never the personal data a
/// workflow result carries.
fn log_decision(workflow_id: &str, decision_id: &str, outcome: pb::Outcome, result_code: &str) {
    debug!(
        workflow_id = %workflow_id,
        decision_id = %decision_id,
        outcome = outcome.as_str_name(),
        result_code = %result_code,
        "decided"
    );
}

/// Refuses a decision of `len` bytes that would not fit in one answer of at
/// most `max` bytes once recorded (the same bound with or without a ledger).
fn fits_one_answer(len: usize, max: usize) -> Result<(), ServiceError> {
    if len + RECORD_MARK_BYTES > max.saturating_sub(RESPONSE_HEADROOM) {
        return Err(ServiceError::ResponseTooLarge { max });
    }
    Ok(())
}

/// An `EvaluateResponse`, encoded where its decision was made, and what the
/// metrics will count of it.
struct EncodedAnswer {
    bytes: Bytes,
    tally: Option<Tally>,
}

/// `decision` encoded straight into an `EvaluateResponse` that fits in
/// `max` bytes, and logged as decided.
fn encoded_answer(
    decision: &Decision<'_>,
    explanations: &[pb::FindingExplanation],
    max: usize,
) -> Result<EncodedAnswer, ServiceError> {
    let wire = DecisionWire::new(decision, explanations);
    fits_one_answer(wire.len(), max)?;
    let bytes = wire.evaluate_response();
    log_decision(
        decision.workflow_id.unwrap_or_default(),
        "",
        outcome_to_wire(decision.outcome),
        decision.result_code,
    );
    Ok(EncodedAnswer {
        bytes: Bytes::from(bytes),
        tally: Tally::of(decision),
    })
}

#[tonic::async_trait]
impl DecisionService for DecisionApi {
    /// The generated server's `Evaluate`, for in-process callers of this
    /// trait: over the wire, [`crate::routes`] serves the method with
    /// [`Self::evaluate_answer`] (the same decisions and errors).
    async fn evaluate(
        &self,
        request: Request<pb::EvaluateRequest>,
    ) -> Result<Response<pb::EvaluateResponse>, Status> {
        let answer = self.evaluate_answer(request).await?;
        let (metadata, answer, extensions) = answer.into_parts();
        let message = answer.into_message().map_err(|error| undecodable(&error))?;
        Ok(Response::from_parts(metadata, message, extensions))
    }

    type StreamEvaluateStream = crate::stream::Messages;

    /// The generated server's `StreamEvaluate`, for in-process callers of
    /// this trait: over the wire, [`crate::routes`] serves the method with
    /// [`Self::stream`]'s answers as they are (the same answers and errors).
    async fn stream_evaluate(
        &self,
        request: Request<tonic::Streaming<pb::StreamEvaluateRequest>>,
    ) -> Result<Response<Self::StreamEvaluateStream>, Status> {
        Ok(self.stream(request).map(|answers| {
            Box::pin(
                answers.map(|answer| answer?.into_message().map_err(|error| undecodable(&error))),
            ) as crate::stream::Messages
        }))
    }

    /// The generated server's `BatchEvaluate`, for in-process callers of
    /// this trait: over the wire, [`crate::routes`] serves the method
    /// with [`Self::batch_answers`] of its items still encoded (the same
    /// decisions and errors).
    async fn batch_evaluate(
        &self,
        request: Request<pb::BatchEvaluateRequest>,
    ) -> Result<Response<pb::BatchEvaluateResponse>, Status> {
        let (metadata, answers, extensions) = self.batch_answers(request).await?.into_parts();
        let results = answers
            .results
            .into_iter()
            .map(BatchAnswer::into_message)
            .collect::<Result<_, _>>()
            .map_err(|error| undecodable(&error))?;
        let response = pb::BatchEvaluateResponse { results };
        Ok(Response::from_parts(metadata, response, extensions))
    }

    async fn list_policies(
        &self,
        request: Request<pb::ListPoliciesRequest>,
    ) -> Result<Response<pb::ListPoliciesResponse>, Status> {
        Envelope::open("ListPolicies", &request, self.limits.rpc_timeout)
            .run(async {
                let set = self.policies.current();
                let policies = set.iter().map(|policy| policy_info(&set, policy)).collect();
                let failures = set
                    .failed()
                    .map(|failed| pb::PolicyLoadFailure {
                        source: failed.source.clone(),
                        id: failed.id.clone().unwrap_or_default(),
                        reason: failed.reason.clone(),
                    })
                    .collect();
                Ok(pb::ListPoliciesResponse { policies, failures })
            })
            .await
    }

    async fn get_policy(
        &self,
        request: Request<pb::GetPolicyRequest>,
    ) -> Result<Response<pb::GetPolicyResponse>, Status> {
        Envelope::open("GetPolicy", &request, self.limits.rpc_timeout)
            .run(async {
                let set = self.policies.current();
                let request = request.get_ref();
                let digest = &request.digest;
                let loaded = if digest.is_empty() {
                    Some(set.get(&request.id)?)
                } else {
                    set.iter()
                        .find(|loaded| &loaded.policy.reference().digest == digest)
                };
                if let Some(policy) = loaded {
                    return Ok(pb::GetPolicyResponse {
                        policy: Some(policy_info(&set, policy)),
                        content: policy.content.clone(),
                    });
                }
                // A version no longer loaded: from the ledger, which keeps
                // the text of every policy that decided.
                let unknown =
                    || ServiceError::UnknownDigest(verdict_core::truncated(digest, MAX_ID));
                let Some(recorder) = &self.ledger else {
                    return Err(unknown());
                };
                let text = recorder.policy(digest).await?.ok_or_else(unknown)?;
                Ok(pb::GetPolicyResponse {
                    policy: Some(pb::PolicyInfo {
                        id: text.key.id,
                        version: text.key.version,
                        digest: text.key.digest,
                        source: "ledger".to_owned(),
                        ..pb::PolicyInfo::default()
                    }),
                    content: text.content,
                })
            })
            .await
    }

    async fn get_decision(
        &self,
        request: Request<pb::GetDecisionRequest>,
    ) -> Result<Response<pb::GetDecisionResponse>, Status> {
        Envelope::open("GetDecision", &request, self.limits.rpc_timeout)
            .run(async { self.recorder()?.get(request.get_ref()).await })
            .await
    }

    async fn list_decisions(
        &self,
        request: Request<pb::ListDecisionsRequest>,
    ) -> Result<Response<pb::ListDecisionsResponse>, Status> {
        Envelope::open("ListDecisions", &request, self.limits.rpc_timeout)
            .run(async { self.recorder()?.list(request.get_ref()).await })
            .await
    }

    async fn record_feedback(
        &self,
        request: Request<pb::RecordFeedbackRequest>,
    ) -> Result<Response<pb::RecordFeedbackResponse>, Status> {
        Envelope::open("RecordFeedback", &request, self.limits.rpc_timeout)
            .run(async { self.recorder()?.record_feedback(request.get_ref()).await })
            .await
    }
}

impl DecisionApi {
    /// `Evaluate` as served ([`crate::routes`]): the decision is encoded
    /// straight into the answer where it is made ([`decision_wire`]); with a
    /// ledger, without its mark, added once it is recorded.
    pub(crate) async fn evaluate_answer(
        &self,
        request: Request<impl Into<ReceivedEvaluate>>,
    ) -> Result<Response<EvaluateAnswer>, Status> {
        let envelope = Envelope::open("Evaluate", &request, self.limits.rpc_timeout);
        // Shared with the decision (on the blocking pool when heavy), and
        // held by the handler's future as a pointer rather than inline.
        let request: Arc<ReceivedEvaluate> = Arc::new(request.into_inner().into());
        envelope
            .run(async {
                let _admitted = self.admit("Evaluate", 1)?;
                // This set, and so this policy version, serves the whole
                // request even if a reload swaps in another meanwhile.
                let set = self.policies.current();
                let loaded = set.get(&request.policy_id)?;
                let policy = Arc::clone(&loaded.policy);
                let shadowing = self.shadows(&set, &policy);
                let shadows = shadowing.policies();
                let options = self.options(request.explain);
                let evidence = Arc::new(evidence_from_wire(request.evidence.as_ref())?);
                let max = self.limits.max_message_bytes;
                let deciding = Deciding {
                    request: &request,
                    policy: &policy,
                    shadows: &shadows,
                };
                // Nothing to record and mark: encoded where it is decided.
                let Some(recorder) = &self.ledger else {
                    let decided = deciding
                        .decide(evidence, options, move |decision, explanations| {
                            encoded_answer(decision, &explanations, max)
                        })
                        .await?;
                    let encoded = decided.decision?;
                    let live = &policy.reference().id;
                    if let Some(tally) = encoded.tally {
                        tally.count(live);
                    }
                    metrics::shadows(live, &decided.shadows);
                    return Ok(EvaluateAnswer::Encoded(encoded.bytes));
                };
                // Boxed: the ledger's reads and writes are most of this
                // future's size (5.6 KB with them inline), which every call
                // without a ledger would otherwise allocate and move.
                Box::pin(recorded(
                    recorder, &deciding, evidence, options, max, &shadowing, loaded,
                ))
                .await
            })
            .await
    }
}

impl DecisionApi {
    /// `BatchEvaluate`: as served ([`crate::routes`]) its items still
    /// encoded ([`ReceivedBatch`](verdict_api::codec::ReceivedBatch)), decoded by
    /// the workers that decide them.
    pub(crate) async fn batch_answers(
        &self,
        request: Request<impl Into<Batch>>,
    ) -> Result<Response<BatchEvaluateAnswers>, Status> {
        Envelope::open("BatchEvaluate", &request, self.limits.rpc_timeout)
            .run(async {
                let answers = self
                    .batch(request.into_inner().into(), Delivery::OneMessage)
                    .await?;
                Ok(BatchEvaluateAnswers { results: answers })
            })
            .await
    }

    /// Decides a batch's items on the blocking pool, split into contiguous
    /// runs decided in parallel (one per core), then puts the answers back in
    /// item order. When the envelope's deadline passes or the caller leaves,
    /// this future is dropped and every worker stops between items.
    pub(crate) async fn batch(
        &self,
        batch: Batch,
        delivery: Delivery,
    ) -> Result<Vec<BatchAnswer>, ServiceError> {
        let started = Instant::now();
        let Batch {
            policy_id,
            explain,
            items: all,
        } = batch;
        let items = all.len();
        if items > self.limits.max_batch_size {
            return Err(ServiceError::BatchTooLarge {
                items,
                max: self.limits.max_batch_size,
            });
        }
        // The permits are held until the last worker is done, so work still
        // running after a deadline stays counted.
        let admitted = Arc::new(self.admit("BatchEvaluate", items.max(1))?);
        let set = self.policies.current();
        let loaded = set.get(&policy_id)?;
        let policy = Arc::clone(&loaded.policy);
        let shadowing = self.shadows(&set, &policy);
        let shadows = shadowing.policies();
        let options = self.options(explain);
        let AnswerRoom {
            budget,
            too_large,
            fallbacks,
            mut reserve,
        } = AnswerRoom::new(self.limits.max_message_bytes, &all.id_lens(), delivery)?;
        let cancelled = Arc::new(AtomicBool::new(false));
        let _cancel_when_dropped = CancelOnDrop(Arc::clone(&cancelled));
        // Set by the first run that finds an item that does not decode.
        let broken = Arc::new(AtomicBool::new(false));
        // A batch no heavier than one JSON input decided in place
        // (`Items::is_light`: a few items of the usual size) is decided in
        // place too: handing it to the blocking pool and back cost more than
        // deciding it (tests/load/README.md, "Tried and kept"). A large batch
        // is milliseconds of CPU: off the async workers, and on every core.
        // Small batches stay on one thread (splitting costs more than it saves).
        let in_place = all.is_light();
        let workers = if in_place {
            1
        } else {
            cores().min(items.div_ceil(MIN_ITEMS_PER_WORKER)).max(1)
        };
        let (runs, body) = all.into_runs(items.div_ceil(workers));
        // Each decision is encoded into its answer where it is decided, on
        // every core (without the ledger's mark when it is recorded first).
        let deciding = ItemDeciding {
            policy: Arc::clone(&policy),
            shadows,
            options,
        };
        let mut decided = Vec::with_capacity(items);
        let mut undecodable = None;
        let mut take = |end: RunEnd| match end {
            RunEnd::Decided(run) => {
                decided.extend(run);
                Ok(())
            }
            RunEnd::Undecodable(error) => {
                undecodable.get_or_insert(error);
                Ok(())
            }
            // Only after another run found an undecodable item: the call
            // fails with that.
            RunEnd::Stopped => Ok(()),
            // Only this future's drop cancels the workers, and then nobody
            // awaits them; should it happen anyway, the batch did not finish.
            RunEnd::Cancelled => Err(ServiceError::Interrupted),
        };
        if in_place {
            for run in runs {
                take(decide_run(run, &deciding, &cancelled, &broken))?;
            }
        } else {
            let handles: Vec<_> = runs
                .into_iter()
                .map(|run| {
                    let (admitted, deciding, cancelled, broken) = (
                        Arc::clone(&admitted),
                        deciding.clone(),
                        Arc::clone(&cancelled),
                        Arc::clone(&broken),
                    );
                    tokio::task::spawn_blocking(move || {
                        let _admitted = admitted;
                        decide_run(run, &deciding, &cancelled, &broken)
                    })
                })
                .collect();
            for handle in handles {
                take(handle.await.map_err(|_| ServiceError::Interrupted)?)?;
            }
        }
        if let Some(found) = undecodable {
            // The error a whole decode would have given, for the first item
            // that does not decode: one more pass, only for a broken request.
            let body = body.unwrap_or_default();
            let error = tokio::task::spawn_blocking(move || {
                locate_decode_error::<pb::BatchEvaluateRequest>(&body.whole(), found)
            })
            .await
            .map_err(|_| ServiceError::Interrupted)?;
            return Err(ServiceError::InvalidProtobuf(error));
        }
        // Only the error above needed the whole body; decided items that
        // will be decided again keep their own slices of it.
        drop(body);
        if let Some(recorder) = &self.ledger {
            decide_again(recorder, &mut decided, &deciding, &admitted, &cancelled).await?;
        }
        // The answer must fit in one message, with room left for the items
        // still to come to fit at least as errors: an item that would
        // overflow it gets an error of its own, the others stay.
        let mut size = 0usize;
        let mut results = Vec::with_capacity(items);
        // Decisions that will be answered, with their index: recorded first.
        let mut drafts = Vec::new();
        let mut shadowed = Vec::with_capacity(items);
        for (answered, fallback) in decided.into_iter().zip(fallbacks) {
            let Answered {
                id,
                mut answer,
                size: answer_size,
                draft,
                shadows,
                ..
            } = answered;
            shadowed.push(shadows);
            let fits = match delivery {
                Delivery::OneMessage => {
                    reserve -= fallback;
                    size + answer_size + reserve <= budget
                }
                Delivery::PerItem => answer_size <= budget,
            };
            if !fits {
                answer = Answer::Error(too_large.clone());
                size += fallback;
            } else {
                size += answer_size;
                if let Some(draft) = draft {
                    drafts.push((results.len(), *draft));
                }
            }
            results.push((id, answer));
        }
        // How each item was recorded, in item order.
        let mut appended: Vec<Option<Appended>> = Vec::new();
        if let Some(recorder) = &self.ledger {
            appended.resize_with(results.len(), || None);
            let (indices, drafts): (Vec<usize>, Vec<_>) = drafts.into_iter().unzip();
            let texts = shadowing.with_live(&loaded.ledger_text);
            match recorder.record(texts, drafts).await {
                Ok(recorded) => {
                    for (index, recorded) in indices.into_iter().zip(recorded) {
                        appended[index] = recorded;
                    }
                }
                // Unrecorded decisions are not answered: each becomes the
                // error a single Evaluate would have had.
                Err(error) => {
                    let status = error.to_rpc_status();
                    for index in indices {
                        results[index].1 = Answer::Error(status.clone());
                    }
                }
            }
        }
        let live = &policy.reference().id;
        let mut answers = Vec::with_capacity(items);
        for (index, ((id, answer), shadows)) in results.into_iter().zip(&shadowed).enumerate() {
            // `None` for an item not recorded (no ledger, no draft, or the
            // ledger failed open): its decision is marked unrecorded.
            let recorded = appended.get(index).and_then(Option::as_ref);
            answers.push(match answer {
                Answer::Decision(encoded, tally) => {
                    if let Some(tally) = tally {
                        tally.count(live);
                    }
                    metrics::shadows(live, shadows);
                    BatchAnswer::Encoded(match encoded {
                        Encoded::Whole(bytes) => bytes,
                        Encoded::Unmarked(wire) => {
                            Bytes::from(wire.batch_result(&id, &mark_of(recorded)))
                        }
                    })
                }
                Answer::Error(status) => BatchAnswer::Message(pb::BatchResult {
                    id,
                    result: Some(pb::batch_result::Result::Error(status)),
                }),
            });
        }
        let results = answers;
        let failed = results.iter().filter(|answer| answer.is_error()).count();
        metrics::batch_items("decided", results.len() - failed);
        metrics::batch_items("failed", failed);
        debug!(
            items = results.len(),
            failed,
            micros = started.elapsed().as_micros(),
            "decided batch"
        );
        Ok(results)
    }
}

/// Decides again, with what the ledger knows, the items whose decision
/// would read it: the evidence of all of them is gathered at once (a few
/// reads, however many items), then they are decided on the blocking pool;
/// a second round for those that then want more. When the ledger cannot be
/// read (`ledger_failure = "closed"`), those items get that error; the
/// others stay.
async fn decide_again(
    recorder: &Recorder,
    decided: &mut [Answered],
    deciding: &ItemDeciding,
    admitted: &Arc<Admitted>,
    cancelled: &Arc<AtomicBool>,
) -> Result<(), ServiceError> {
    for round in 1..=GATHER_ROUNDS {
        // Each with its item's id, needed to render its answer, and put back
        // with the answer.
        let mut pending: Vec<(usize, String, Again)> = Vec::new();
        for (index, answered) in decided.iter_mut().enumerate() {
            if let Some(again) = answered.again.take() {
                let id = std::mem::take(&mut answered.id);
                pending.push((index, id, *again));
            }
        }
        if pending.is_empty() {
            break;
        }
        let mut items: Vec<(&Lookup, &mut Evidence)> = pending
            .iter_mut()
            .map(|(_, _, again)| (&again.lookup, &mut again.evidence))
            .collect();
        if let Err(error) = gather(recorder, &mut items).await {
            let status = error.to_rpc_status();
            for (index, id, _) in pending {
                decided[index] = Answered::failed(id, status.clone());
            }
            return Ok(());
        }
        for (_, _, again) in &mut pending {
            again.done.get_or_insert_with(|| again.lookup.clone());
        }
        let deciding = ItemDeciding {
            options: DecideOptions {
                lookup: round < GATHER_ROUNDS,
                ..deciding.options
            },
            ..deciding.clone()
        };
        let (admitted, cancelled) = (Arc::clone(admitted), Arc::clone(cancelled));
        let redone = tokio::task::spawn_blocking(move || {
            let _admitted = admitted;
            let mut redone = Vec::with_capacity(pending.len());
            for (index, id, again) in pending {
                if cancelled.load(Ordering::Relaxed) {
                    return None;
                }
                let decided = deciding.decide_parsed(
                    &id,
                    &again.parsed,
                    &again.evidence,
                    again.done.as_ref(),
                );
                redone.push((index, id, again, decided));
            }
            Some(redone)
        })
        .await
        .ok()
        .flatten()
        .ok_or(ServiceError::Interrupted)?;
        for (index, id, mut again, mut result) in redone {
            let lookup = result
                .as_mut()
                .ok()
                .and_then(|decided| decided.lookup.take());
            let answered = &mut decided[index];
            *answered = Answered::new(id, result);
            if let Some(lookup) = lookup {
                again.lookup = lookup;
                answered.again = Some(Box::new(again));
            }
        }
    }
    Ok(())
}

fn policy_info(set: &PolicySet, loaded: &LoadedPolicy) -> pb::PolicyInfo {
    let reference = loaded.policy.reference();
    pb::PolicyInfo {
        id: reference.id.clone(),
        version: reference.version.clone(),
        digest: reference.digest.clone(),
        description: loaded.policy.spec().description.clone(),
        source: loaded.source.clone(),
        loaded_at: Some(Timestamp::from(loaded.loaded_at)),
        is_default: reference.id == set.default_id(),
        rule_count: u32::try_from(loaded.policy.rules().len()).unwrap_or(u32::MAX),
        golden_cases: u32::try_from(loaded.golden_cases).unwrap_or(u32::MAX),
        load_error: set
            .failure_of(&loaded.source)
            .map(|failed| failed.reason.clone())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use verdict_core::Policy;

    use super::*;
    use crate::decide::decide;

    fn fixture(name: &str) -> String {
        let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(path).expect("the fixture")
    }

    /// The generated service's `Evaluate` and `BatchEvaluate`, called in
    /// process (no route, no codec): each decision is the message `decide`
    /// builds, read back from the encoding the workers made; a broken item
    /// keeps its own error.
    #[tokio::test]
    async fn in_process_calls_answer_the_messages_decide_builds() {
        let api = DecisionApi::new(
            Arc::new(PolicyStore::embedded_only()),
            Limits::default(),
            None,
            Vec::new(),
            BodyBudget::new(64 * 1024 * 1024),
        );
        let punched = fixture("04-imagechecks-rejected-punched.json");
        let expected = decide(
            Some(Input::Json(&punched)),
            &Evidence::default(),
            &Policy::embedded_default(),
            &[],
            api.options(false),
        )
        .expect("decides")
        .decision;
        assert_eq!(expected.result_code, "DOCUMENT_PUNCHED");

        let request = pb::EvaluateRequest {
            input: Some(pb::evaluate_request::Input::WorkflowJson(punched.clone())),
            ..Default::default()
        };
        let answer = api
            .evaluate(Request::new(request))
            .await
            .expect("evaluates")
            .into_inner();
        assert_eq!(answer.decision.as_ref(), Some(&expected));

        let item = |id: &str, json: &str| pb::BatchItem {
            id: id.to_owned(),
            input: Some(pb::batch_item::Input::WorkflowJson(json.to_owned())),
            evidence: None,
        };
        let request = pb::BatchEvaluateRequest {
            items: vec![item("punched", &punched), item("broken", "{")],
            ..Default::default()
        };
        let results = api
            .batch_evaluate(Request::new(request))
            .await
            .expect("a batch")
            .into_inner()
            .results;
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].id, "punched");
        assert_eq!(
            results[0].result,
            Some(pb::batch_result::Result::Decision(expected))
        );
        assert_eq!(results[1].id, "broken");
        match &results[1].result {
            Some(pb::batch_result::Result::Error(status)) => {
                assert_eq!(status.code, tonic::Code::InvalidArgument as i32);
            }
            other => panic!("broken: {other:?}"),
        }
    }
}
