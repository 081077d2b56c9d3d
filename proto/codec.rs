//! The codec of verdict's services: prost's, except that a message that does
//! not decode (a bad varint, a truncated field, a string that is not UTF-8) is
//! INVALID_ARGUMENT with an `ErrorInfo` — the sender's fault, which retry
//! policies must not retry and which must not page anyone as INTERNAL would.
//! prost's error names the message and field, never their content.

use std::collections::HashMap;
use std::marker::PhantomData;

use prost::Message;
use prost::bytes::Bytes;
use tonic::Status;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic_prost::ProstCodec;
use tonic_types::{ErrorDetails, StatusExt};

use crate::frames::BatchEvaluateFrames;
use crate::received::ReceivedEvaluate;

/// The `ErrorInfo.domain` of every verdict error.
pub const ERROR_DOMAIN: &str = "verdict.v1";

/// `ErrorInfo.reason` of a message that does not decode.
pub const INVALID_PROTOBUF: &str = "INVALID_PROTOBUF";

/// [`ProstCodec`] with decode errors as INVALID_ARGUMENT.
#[derive(Debug, Clone, Copy)]
pub struct VerdictCodec<T, U> {
    types: PhantomData<(T, U)>,
    /// The decoder's buffer: tonic's default unless
    /// [`VerdictCodec::with_buffer_bytes`] says otherwise.
    buffer: BufferSettings,
}

impl<T, U> Default for VerdictCodec<T, U> {
    fn default() -> Self {
        Self {
            types: PhantomData,
            buffer: BufferSettings::default(),
        }
    }
}

impl<T, U> VerdictCodec<T, U> {
    /// Decodes from a buffer of `bytes` to start with. Once a message's
    /// header is in, tonic reserves the message's length beyond what its
    /// buffer (8 KiB) holds, growing it by a copy when it is short: a first
    /// size of twice the usual message saves that copy.
    pub fn with_buffer_bytes(bytes: usize) -> Self {
        Self {
            types: PhantomData,
            buffer: decode_buffer(bytes),
        }
    }
}

/// A decoder's buffer of `bytes` to start with.
fn decode_buffer(bytes: usize) -> BufferSettings {
    // The yield threshold is tonic's default: only encoders read it.
    BufferSettings::new(bytes, 32 * 1024)
}

impl<T, U> Codec for VerdictCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + WireCheck + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = <ProstCodec<T, U> as Codec>::Encoder;
    type Decoder = CheckedDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstCodec::<T, U>::default().encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        CheckedDecoder {
            types: PhantomData,
            buffer: self.buffer,
        }
    }
}

/// prost's decoder, but: checks capability results on the wire first
/// ([`WireCheck`]), decodes from one slice, and turns decode errors into
/// INVALID_ARGUMENT.
#[derive(Debug, Clone)]
pub struct CheckedDecoder<U> {
    types: PhantomData<U>,
    buffer: BufferSettings,
}

impl<U: Message + Default + WireCheck> Decoder for CheckedDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        use prost::bytes::Buf as _;
        // A `DecodeBuf` is the message's window on tonic's `BytesMut`, which
        // holds all of it: its chunk is the whole message, checked and
        // decoded as one slice. Decoded from that slice, prost moves the
        // slice's start for every field it reads, where through `DecodeBuf`
        // each read advances the `BytesMut` (about 8k instructions of a typed
        // Evaluate's request; tests/load/README.md, "Instructions per call").
        // No field of verdict's messages is `bytes::Bytes`, which a slice
        // would make prost copy.
        let message = buf.chunk();
        let len = message.len();
        // Were tonic ever to hand over a message in pieces, the slice would
        // decode as a truncated message: every test's decode would stop here.
        debug_assert_eq!(len, buf.remaining(), "tonic hands over a message whole");
        check_entries::<U>(message)?;
        let decoded = U::decode(message);
        buf.advance(len);
        // prost's `DecodeError` as text, as tonic's prost codec puts it in
        // the status message; the text is kept, tonic's INTERNAL is not.
        decoded
            .map(Some)
            .map_err(|error| invalid_protobuf(&error.to_string()))
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.buffer
    }
}

/// Counts the capability results of an encoded `U` against the limits, if
/// they are set ([`limit_entries`]).
fn check_entries<U: WireCheck>(bytes: &[u8]) -> Result<(), Status> {
    let Some(limits) = ENTRY_LIMITS.get() else {
        return Ok(());
    };
    U::check(bytes, limits).map_err(|violation| {
        let mut details = ErrorDetails::new();
        details.add_bad_request_violation(violation.field.clone(), violation.description.clone());
        Status::with_error_details(
            tonic::Code::InvalidArgument,
            format!("{}: {}", violation.field, violation.description),
            details,
        )
    })
}

/// The status of a message that does not decode; `error` is prost's
/// `DecodeError` as text (it names messages and fields, never content).
fn invalid_protobuf(error: &str) -> Status {
    let mut details = ErrorDetails::new();
    details.set_error_info(INVALID_PROTOBUF, ERROR_DOMAIN, HashMap::new());
    Status::with_error_details(
        tonic::Code::InvalidArgument,
        format!("not a valid protobuf message: {error}"),
        details,
    )
}

/// Why `body`, an encoded `M` found not to decode by a looser reading
/// (frames, [`crate::frames`]), does not decode: it is decoded again as `M`,
/// so the caller reads prost's own error for it, with its path, as if it
/// had been decoded whole. Should `M` decode after all, `found` is the
/// answer.
pub fn locate_decode_error<M: Message + Default>(body: &[u8], found: String) -> String {
    M::decode(body).map_or_else(|error| error.to_string(), |_| found)
}

/// A `BatchEvaluateRequest` as received: the whole body, and the request
/// read from it with each item still encoded, a slice of `body`.
#[derive(Debug, Clone, Default)]
pub struct ReceivedBatch {
    pub body: ReceivedBody,
    pub request: BatchEvaluateFrames,
}

/// A request body as received: one buffer, or the HTTP/2 frames it arrived
/// in, kept as they came ([`read_batch_pieces`]).
#[derive(Debug, Clone, Default)]
pub struct ReceivedBody(Vec<Bytes>);

impl ReceivedBody {
    /// The body's pieces, in order.
    pub fn pieces(&self) -> &[Bytes] {
        &self.0
    }

    /// The body in one buffer: copied when it is in pieces (only done to
    /// report an error with prost's own words).
    pub fn whole(&self) -> Bytes {
        match self.0.as_slice() {
            [one] => one.clone(),
            pieces => pieces.concat().into(),
        }
    }
}

/// Reads a `BatchEvaluateRequest` from its whole body: the wire check of
/// capability results, then the items as slices of the body; a body that
/// does not decode is decoded again as the generated message for prost's
/// own error.
pub fn read_batch(body: Bytes) -> Result<ReceivedBatch, Status> {
    check_entries::<crate::v1::BatchEvaluateRequest>(&body)?;
    match BatchEvaluateFrames::decode(body.clone()) {
        Ok(request) => Ok(ReceivedBatch {
            body: ReceivedBody(vec![body]),
            request,
        }),
        Err(error) => Err(invalid_protobuf(&locate_decode_error::<
            crate::v1::BatchEvaluateRequest,
        >(&body, error.to_string()))),
    }
}

/// [`read_batch`] of a body that arrived in `pieces` (its HTTP/2 frames),
/// without first copying them into one buffer: items within a piece stay
/// slices of it, an item across two is copied. This is taken only when it
/// must give what [`read_batch`] gives: the body decodes, is exactly the
/// encoding of what it decodes to (so its fields are the request's own,
/// once each, and the wire check walks the very items decoded), and its
/// items pass the wire check. Anything else is read by [`read_batch`] from
/// the pieces copied into one buffer, for its own answer and error.
pub fn read_batch_pieces(mut pieces: Vec<Bytes>) -> Result<ReceivedBatch, Status> {
    pieces.retain(|piece| !piece.is_empty());
    let len: usize = pieces.iter().map(Bytes::len).sum();
    if pieces.len() > 1
        && let Ok(request) = BatchEvaluateFrames::decode(Pieces::new(pieces.clone()))
        && request.encoded_len() == len
        && ENTRY_LIMITS.get().is_none_or(|limits| {
            check_items(request.items.iter().map(Bytes::as_ref), limits).is_ok()
        })
    {
        return Ok(ReceivedBatch {
            body: ReceivedBody(pieces),
            request,
        });
    }
    // The pieces go before the whole body is read: one copy held, not two.
    let whole = ReceivedBody(pieces).whole();
    read_batch(whole)
}

/// A body in pieces, read as one [`Buf`](prost::bytes::Buf): what prost
/// takes as bytes is a slice of a piece when it lies within one.
#[derive(Debug, Clone)]
pub struct Pieces {
    pieces: std::collections::VecDeque<Bytes>,
    remaining: usize,
}

impl Pieces {
    pub fn new(pieces: Vec<Bytes>) -> Self {
        let pieces: std::collections::VecDeque<Bytes> = pieces
            .into_iter()
            .filter(|piece| !piece.is_empty())
            .collect();
        let remaining = pieces.iter().map(Bytes::len).sum();
        Self { pieces, remaining }
    }
}

impl From<Pieces> for Vec<Bytes> {
    /// What is left to read, as pieces.
    fn from(pieces: Pieces) -> Self {
        pieces.pieces.into()
    }
}

impl prost::bytes::Buf for Pieces {
    fn remaining(&self) -> usize {
        self.remaining
    }

    fn chunk(&self) -> &[u8] {
        self.pieces.front().map_or(&[], Bytes::as_ref)
    }

    fn advance(&mut self, mut count: usize) {
        assert!(count <= self.remaining, "advance past the end of the body");
        self.remaining -= count;
        while count > 0 {
            let Some(front) = self.pieces.front_mut() else {
                break;
            };
            if count < front.len() {
                front.advance(count);
                break;
            }
            count -= front.len();
            self.pieces.pop_front();
        }
    }

    fn copy_to_bytes(&mut self, len: usize) -> Bytes {
        use prost::bytes::BufMut as _;
        if let Some(front) = self.pieces.front_mut()
            && len <= front.len()
        {
            let taken = front.split_to(len);
            if front.is_empty() {
                self.pieces.pop_front();
            }
            self.remaining -= len;
            return taken;
        }
        let mut copied = prost::bytes::BytesMut::with_capacity(len);
        copied.put(self.take(len));
        copied.freeze()
    }
}

/// A request the server reads from its message as received, with
/// [`ReceivedCodec`]: [`VerdictCodec`]'s checks and errors, without copying
/// the message's JSON out of the buffer it arrived in.
pub trait Received: Sized + Send + 'static {
    /// Reads the message `buf` holds, all of it; `Err` is the status to
    /// answer with.
    fn read(buf: &mut DecodeBuf<'_>) -> Result<Self, Status>;
}

impl Received for ReceivedBatch {
    fn read(buf: &mut DecodeBuf<'_>) -> Result<Self, Status> {
        use prost::bytes::Buf as _;
        // The buffer holds exactly this message: taking it all is a split,
        // not a copy.
        read_batch(buf.copy_to_bytes(buf.remaining()))
    }
}

impl Received for ReceivedEvaluate {
    fn read(buf: &mut DecodeBuf<'_>) -> Result<Self, Status> {
        use prost::bytes::Buf as _;
        check_entries::<crate::v1::EvaluateRequest>(buf.chunk())?;
        Self::read(buf).map_err(|error| invalid_protobuf(&error.to_string()))
    }
}

/// The server's codec of `Evaluate` and `BatchEvaluate`: requests read as
/// [`Received`], answers `T` (written from decisions already encoded).
#[derive(Debug, Clone, Copy)]
pub struct ReceivedCodec<T, R> {
    types: PhantomData<(T, R)>,
    /// The decoder's buffer, as [`VerdictCodec`]'s.
    buffer: BufferSettings,
}

impl<T, R> Default for ReceivedCodec<T, R> {
    fn default() -> Self {
        Self {
            types: PhantomData,
            buffer: BufferSettings::default(),
        }
    }
}

impl<T, R> ReceivedCodec<T, R> {
    /// Decodes from a buffer of `bytes` to start with
    /// ([`VerdictCodec::with_buffer_bytes`]).
    pub fn with_buffer_bytes(bytes: usize) -> Self {
        Self {
            types: PhantomData,
            buffer: decode_buffer(bytes),
        }
    }
}

impl<T, R> Codec for ReceivedCodec<T, R>
where
    T: Message + Send + 'static,
    R: Received,
{
    type Encode = T;
    type Decode = R;
    type Encoder = <ProstCodec<T, ()> as Codec>::Encoder;
    type Decoder = ReceivedDecoder<R>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstCodec::<T, ()>::default().encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        ReceivedDecoder {
            types: PhantomData,
            buffer: self.buffer,
        }
    }
}

/// Reads an `R` (see [`ReceivedCodec`]).
#[derive(Debug, Clone, Copy)]
pub struct ReceivedDecoder<R> {
    types: PhantomData<R>,
    buffer: BufferSettings,
}

impl<R: Received> Decoder for ReceivedDecoder<R> {
    type Item = R;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<R>, Status> {
        R::read(buf).map(Some)
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.buffer
    }
}

/// Limits on capability results checked on the wire, before a request is
/// decoded: decoding allocates about a hundred times the bytes of an empty
/// entry, so a 4 MB message of a million entries would cost hundreds of MB
/// before any handler could refuse it. Set once by the server
/// ([`limit_entries`]); unset, nothing is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryLimits {
    /// Results one capability may carry.
    pub per_capability: usize,
    /// Results one workflow may carry.
    pub per_workflow: usize,
    /// Results one message may carry in all (a batch of workflows).
    pub per_message: usize,
}

static ENTRY_LIMITS: std::sync::OnceLock<EntryLimits> = std::sync::OnceLock::new();

/// Turns the wire check of capability results on (the first call wins).
pub fn limit_entries(limits: EntryLimits) {
    let _ = ENTRY_LIMITS.set(limits);
}

/// A message whose capability results can be counted on the wire.
pub trait WireCheck {
    /// Checks the encoded message; `Err` names the field and the limit.
    fn check(_bytes: &[u8], _limits: &EntryLimits) -> Result<(), Violation> {
        Ok(())
    }
}

/// Where a wire check failed and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub description: String,
}

/// Fields of one encoded message: (field number, LEN payload or None). The
/// walk stops at the first key or length prost could not read. Also used by
/// the load client (tests/load/loadgen.rs) to read answers undecoded.
pub fn fields(bytes: &[u8]) -> Fields<'_> {
    Fields {
        bytes,
        stopped: false,
    }
}

/// The walk of [`fields`].
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    bytes: &'a [u8],
    stopped: bool,
}

impl Fields<'_> {
    /// Whether the walk went over every byte: not if it stopped at a key or
    /// length prost could not read, or at a group (which prost skips).
    pub fn walked_all(&self) -> bool {
        !self.stopped && self.bytes.is_empty()
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = (u32, Option<&'a [u8]>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.stopped || self.bytes.is_empty() {
            return None;
        }
        let field = self.step();
        self.stopped = field.is_none();
        field
    }
}

impl<'a> Fields<'a> {
    fn step(&mut self) -> Option<(u32, Option<&'a [u8]>)> {
        use prost::encoding::{WireType, decode_key, decode_varint};
        let bytes = &mut self.bytes;
        // A key or length prost cannot read ends the walk: prost's decode
        // reports it.
        let (field, wire_type) = decode_key(bytes).ok()?;
        let payload = match wire_type {
            WireType::Varint => {
                decode_varint(bytes).ok()?;
                None
            }
            WireType::SixtyFourBit => {
                *bytes = bytes.get(8..)?;
                None
            }
            WireType::LengthDelimited => {
                let len = usize::try_from(decode_varint(bytes).ok()?).ok()?;
                let (payload, rest) = (bytes.get(..len)?, bytes.get(len..)?);
                *bytes = rest;
                Some(payload)
            }
            WireType::ThirtyTwoBit => {
                *bytes = bytes.get(4..)?;
                None
            }
            // Groups: verdict's messages have none; the walk stops.
            WireType::StartGroup | WireType::EndGroup => return None,
        };
        Some((field, payload))
    }
}

/// Counts a `WorkflowResult`'s entries (field 5 capabilities, each field 2
/// entries) against the limits; `at` makes its field path (only for an
/// error: a batch's items are checked one after another, on one thread).
fn check_workflow(
    bytes: &[u8],
    at: &dyn Fn() -> String,
    limits: &EntryLimits,
    in_message: &mut usize,
) -> Result<(), Violation> {
    let mut in_workflow = 0usize;
    let capabilities = fields(bytes).filter(|(field, _)| *field == 5);
    for (index, (_, capability)) in capabilities.enumerate() {
        let entries = fields(capability.unwrap_or_default())
            .filter(|(field, payload)| *field == 2 && payload.is_some())
            .count();
        in_workflow += entries;
        *in_message += entries;
        let description = if entries > limits.per_capability {
            format!(
                "more than {} results in one capability",
                limits.per_capability
            )
        } else if in_workflow > limits.per_workflow {
            format!(
                "more than {} capability results in all",
                limits.per_workflow
            )
        } else if *in_message > limits.per_message {
            format!(
                "more than {} capability results in one message",
                limits.per_message
            )
        } else {
            continue;
        };
        return Err(Violation {
            field: format!("{}.capabilities[{index}].entries", at()),
            description,
        });
    }
    Ok(())
}

/// Most earlier workflows, and most earlier retries, one request's evidence
/// may list (verdict-core's `MAX_KNOWN_WORKFLOWS` and `MAX_PRIOR_RETRIES`;
/// the server checks them again when it converts the evidence).
pub const MAX_EVIDENCE_ITEMS: usize = 100;

/// Counts an `Evidence`'s workflows (field 1) and retries (field 2); `at`
/// makes its field path.
fn check_evidence(bytes: &[u8], at: &dyn Fn() -> String) -> Result<(), Violation> {
    for (number, name) in [(1, "workflows"), (2, "retries")] {
        let count = fields(bytes)
            .filter(|(field, payload)| *field == number && payload.is_some())
            .count();
        if count > MAX_EVIDENCE_ITEMS {
            return Err(Violation {
                field: format!("{}.{name}", at()),
                description: format!("more than {MAX_EVIDENCE_ITEMS} {name} in the evidence"),
            });
        }
    }
    Ok(())
}

impl WireCheck for crate::v1::EvaluateRequest {
    fn check(bytes: &[u8], limits: &EntryLimits) -> Result<(), Violation> {
        let mut in_message = 0;
        for (field, payload) in fields(bytes) {
            match field {
                3 => check_workflow(
                    payload.unwrap_or_default(),
                    &|| "workflow".to_owned(),
                    limits,
                    &mut in_message,
                )?,
                5 => check_evidence(payload.unwrap_or_default(), &|| "evidence".to_owned())?,
                _ => {}
            }
        }
        Ok(())
    }
}

/// Checks one encoded `BatchItem`, its fields named under the path `at` makes.
fn check_item(
    item: &[u8],
    at: &dyn Fn() -> String,
    limits: &EntryLimits,
    in_message: &mut usize,
) -> Result<(), Violation> {
    for (field, payload) in fields(item) {
        let payload = payload.unwrap_or_default();
        match field {
            3 => check_workflow(
                payload,
                &|| format!("{}.workflow", at()),
                limits,
                in_message,
            )?,
            4 => check_evidence(payload, &|| format!("{}.evidence", at()))?,
            _ => {}
        }
    }
    Ok(())
}

impl WireCheck for crate::v1::BatchEvaluateRequest {
    fn check(bytes: &[u8], limits: &EntryLimits) -> Result<(), Violation> {
        let items = fields(bytes).filter(|(field, _)| *field == 2);
        check_items(items.map(|(_, item)| item.unwrap_or_default()), limits)
    }
}

/// Checks a batch's encoded items, in order, as `items[i]`.
fn check_items<'a>(
    items: impl Iterator<Item = &'a [u8]>,
    limits: &EntryLimits,
) -> Result<(), Violation> {
    let mut in_message = 0;
    for (index, item) in items.enumerate() {
        let at = || format!("items[{index}]");
        check_item(item, &at, limits, &mut in_message)?;
    }
    Ok(())
}

impl WireCheck for crate::v1::StreamEvaluateRequest {
    fn check(bytes: &[u8], limits: &EntryLimits) -> Result<(), Violation> {
        let mut in_message = 0;
        for (_, item) in fields(bytes).filter(|(field, _)| *field == 1) {
            check_item(
                item.unwrap_or_default(),
                &|| "item".to_owned(),
                limits,
                &mut in_message,
            )?;
        }
        Ok(())
    }
}

/// Messages without workflow results: nothing to count.
macro_rules! no_wire_check {
    ($($message:ty),* $(,)?) => { $(impl WireCheck for $message {})* };
}

no_wire_check!(
    crate::v1::EvaluateResponse,
    crate::v1::BatchEvaluateResponse,
    crate::v1::StreamEvaluateResponse,
    crate::v1::ListPoliciesRequest,
    crate::v1::ListPoliciesResponse,
    crate::v1::GetPolicyRequest,
    crate::v1::GetPolicyResponse,
    crate::v1::GetDecisionRequest,
    crate::v1::GetDecisionResponse,
    crate::v1::ListDecisionsRequest,
    crate::v1::ListDecisionsResponse,
    crate::v1::RecordFeedbackRequest,
    crate::v1::RecordFeedbackResponse,
    crate::loadtest::v1::NoopRequest,
    crate::loadtest::v1::NoopResponse,
);

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::*;
    use crate::v1 as pb;

    const LIMITS: EntryLimits = EntryLimits {
        per_capability: 100,
        per_workflow: 1000,
        per_message: 5000,
    };

    fn workflow(capabilities: &[usize]) -> pb::WorkflowResult {
        pb::WorkflowResult {
            capabilities: capabilities
                .iter()
                .map(|&entries| pb::Capability {
                    name: "imageChecks".to_owned(),
                    entries: vec![pb::CapabilityEntry::default(); entries],
                })
                .collect(),
            ..Default::default()
        }
    }

    fn evaluate(capabilities: &[usize]) -> Vec<u8> {
        pb::EvaluateRequest {
            input: Some(pb::evaluate_request::Input::Workflow(workflow(
                capabilities,
            ))),
            ..Default::default()
        }
        .encode_to_vec()
    }

    #[test]
    fn entries_are_counted_on_the_wire_per_capability_workflow_and_message() {
        let check = |bytes: Vec<u8>| pb::EvaluateRequest::check(&bytes, &LIMITS);
        assert_eq!(check(evaluate(&[100, 100])), Ok(()));
        let error = check(evaluate(&[3, 101])).expect_err("too many in one");
        assert_eq!(error.field, "workflow.capabilities[1].entries");
        assert_eq!(error.description, "more than 100 results in one capability");
        let error = check(evaluate(&[100; 11])).expect_err("too many in all");
        assert_eq!(error.field, "workflow.capabilities[10].entries");
        let batch = pb::BatchEvaluateRequest {
            items: (0..6)
                .map(|index| pb::BatchItem {
                    evidence: None,
                    id: index.to_string(),
                    input: Some(pb::batch_item::Input::Workflow(workflow(&[100; 10]))),
                })
                .collect(),
            ..Default::default()
        }
        .encode_to_vec();
        let error = pb::BatchEvaluateRequest::check(&batch, &LIMITS).expect_err("message");
        assert_eq!(error.field, "items[5].workflow.capabilities[0].entries");
        assert_eq!(
            error.description,
            "more than 5000 capability results in one message"
        );
        // JSON input is not counted here (the JSON parser has the same limits).
        let json = pb::EvaluateRequest {
            input: Some(pb::evaluate_request::Input::WorkflowJson("{}".to_owned())),
            ..Default::default()
        }
        .encode_to_vec();
        assert_eq!(pb::EvaluateRequest::check(&json, &LIMITS), Ok(()));
    }

    /// `body` cut into pieces of `size` bytes, each a slice of it.
    fn cut(body: &Bytes, size: usize) -> Vec<Bytes> {
        (0..body.len())
            .step_by(size)
            .map(|at| body.slice(at..body.len().min(at + size)))
            .collect()
    }

    #[test]
    fn a_body_in_pieces_is_read_as_the_whole_body_is() {
        let json = |n: usize| pb::batch_item::Input::WorkflowJson(format!("{{\"n\":{n}}}"));
        let request = pb::BatchEvaluateRequest {
            policy_id: "strict".to_owned(),
            items: (0..40)
                .map(|n| pb::BatchItem {
                    id: format!("item-{n}"),
                    input: Some(if n % 7 == 3 {
                        pb::batch_item::Input::Workflow(workflow(&[2, 1]))
                    } else {
                        json(n)
                    }),
                    evidence: None,
                })
                .collect(),
            explain: true,
        };
        let body = Bytes::from(request.encode_to_vec());
        let whole = read_batch(body.clone()).expect("whole").request;
        assert_eq!(whole.items.len(), 40);
        for size in [1, 2, 3, 5, 17, 64, 500, body.len() - 1] {
            let read = read_batch_pieces(cut(&body, size)).expect("pieces").request;
            assert_eq!(read, whole, "pieces of {size} bytes");
        }
        // Cut in two: the items wholly in a piece are slices of it, not copies.
        let halves = read_batch_pieces(cut(&body, body.len() / 2 + 1)).expect("halves");
        let within = halves
            .request
            .items
            .iter()
            .filter(|item| body.as_ptr_range().contains(&item.as_ptr()))
            .count();
        assert!(within >= 38, "{within} of 40 items are slices of the body");
        assert_eq!(halves.body.whole(), body);

        // Not exactly the encoding of what it decodes to (an unknown field
        // after the items; `explain` sent twice): read whole, same answer.
        for extra in [&[0x48, 0x01][..], &[0x18, 0x01]] {
            let mut longer = body.to_vec();
            longer.extend_from_slice(extra);
            let longer = Bytes::from(longer);
            let read = read_batch_pieces(cut(&longer, 64)).expect("pieces").request;
            assert_eq!(read, read_batch(longer).expect("whole").request);
        }
    }

    #[test]
    fn pieces_advanced_across_pieces_leave_the_rest_as_pieces() {
        use prost::bytes::Buf as _;
        let mut pieces = Pieces::new(vec![
            Bytes::from_static(&[0, 0]),
            Bytes::new(),
            Bytes::from_static(&[0, 0, 3, 7]),
            Bytes::from_static(&[8, 9]),
        ]);
        pieces.advance(5);
        assert_eq!(pieces.remaining(), 3);
        let rest: Vec<Bytes> = pieces.into();
        assert_eq!(
            rest,
            [Bytes::from_static(&[7]), Bytes::from_static(&[8, 9])]
        );
    }

    #[test]
    fn a_broken_body_in_pieces_gets_the_whole_body_s_error() {
        let mut body = pb::BatchEvaluateRequest {
            items: vec![pb::BatchItem {
                id: "a".to_owned(),
                input: Some(pb::batch_item::Input::WorkflowJson("{}".to_owned())),
                evidence: None,
            }],
            ..Default::default()
        }
        .encode_to_vec();
        body.truncate(body.len() - 1);
        let body = Bytes::from(body);
        let whole = read_batch(body.clone()).expect_err("truncated");
        let pieces = read_batch_pieces(cut(&body, 3)).expect_err("truncated");
        assert_eq!(pieces.code(), whole.code());
        assert_eq!(pieces.message(), whole.message());
        assert!(
            whole
                .message()
                .starts_with("not a valid protobuf message: ")
        );
    }

    #[test]
    fn truncated_or_garbage_bytes_are_left_to_prost() {
        let mut bytes = evaluate(&[5]);
        bytes.truncate(bytes.len() - 3);
        assert_eq!(pb::EvaluateRequest::check(&bytes, &LIMITS), Ok(()));
        assert_eq!(pb::EvaluateRequest::check(&[0xff; 11], &LIMITS), Ok(()));
    }
}
