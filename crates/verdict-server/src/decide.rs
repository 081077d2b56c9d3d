//! One workflow result in, one wire decision (or error) out: the path shared by
//! `Evaluate`, every `BatchEvaluate` item and `verdict eval`.

use std::sync::Arc;

use prost::Message as _;
use verdict_api::received::{ReceivedEvaluate, ReceivedInput};
use verdict_api::v1 as pb;
use verdict_core::model::stored;
use verdict_core::{
    Decision, Evidence, Policy, WorkflowResult, evaluate_with, explain_with, parse_workflow_json,
    sha256_digest, too_deep, wanted,
};
use verdict_ledger::{Draft, PolicyKey, ReasonRecord, ShadowRecord};

use crate::convert::{decision_to_wire, explanations_to_wire, workflow_from_wire};
use crate::errors::ServiceError;
use crate::evidence::Lookup;

/// Most bytes of JSON an input may hold and still be decided in place
/// ([`Input::is_heavy`]); a batch's items in all, too
/// ([`crate::batch_items::Items::is_light`]).
pub const HEAVY_JSON_BYTES: usize = 64 * 1024;

/// The input of a request or batch item, whichever message carried it.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    Json(&'a str),
    Typed(&'a pb::WorkflowResult),
}

impl<'a> From<&'a ReceivedInput> for Input<'a> {
    fn from(input: &'a ReceivedInput) -> Self {
        match input {
            ReceivedInput::Json(json) => Self::Json(json),
            ReceivedInput::Workflow(workflow) => Self::Typed(workflow),
        }
    }
}

impl Input<'_> {
    /// Whether deciding it may take long enough (a large body to parse, many
    /// entries to decide) to hold up an async worker thread: such inputs are
    /// decided on the blocking pool. Typical inputs (a few KB, a few dozen
    /// entries) take microseconds and are decided in place.
    pub fn is_heavy(self) -> bool {
        const HEAVY_ENTRIES: usize = 64;
        match self {
            Self::Json(json) => json.len() > HEAVY_JSON_BYTES,
            Self::Typed(workflow) => {
                workflow
                    .capabilities
                    .iter()
                    .map(|capability| capability.entries.len())
                    .sum::<usize>()
                    > HEAVY_ENTRIES
            }
        }
    }
}

/// How to decide, besides the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecideOptions {
    /// Trace the rules considered for each finding.
    pub explain: bool,
    /// Refuse `workflow_json` nested deeper than this; 0 = no limit. The
    /// parser needs none (what verdict reads nests five levels deep, and it
    /// skips everything else without recursing), so the limit is hygiene and
    /// costs one pass over the body (crates/verdict-core/benches/README.md).
    pub max_json_depth: usize,
    /// Also return what the ledger records of the decision, once it is
    /// final ([`Decided::draft`]).
    pub record: bool,
    /// Also return what the ledger should be asked before deciding again
    /// (earlier workflows, the account's retries).
    pub lookup: bool,
}

/// A decision, what the ledger records of it, and what the ledger could
/// add to it — each when asked.
#[derive(Debug)]
pub struct Decided<D = pb::Decision> {
    /// The decision as the caller asked for it: the wire message, unless
    /// [`decide_as`] rendered it otherwise.
    pub decision: D,
    /// When asked (`record`), and the decision is final: none while
    /// `lookup` is `Some`, as only the decision made with the evidence is
    /// recorded.
    pub draft: Option<Draft>,
    /// Evidence the decision would read and was not gathered yet: decide
    /// again once it has been.
    pub lookup: Option<Lookup>,
    /// What each shadow policy decided beside it (the disagreements are in
    /// the draft too).
    pub shadows: Vec<Shadowed>,
}

/// What a shadow policy decided, beside the live decision.
#[derive(Debug, Clone)]
pub struct Shadowed {
    pub record: ShadowRecord,
    /// The live decision's outcome.
    pub live_outcome: &'static str,
    /// Same outcome and result code as the live decision.
    pub agrees: bool,
}

impl Shadowed {
    fn of(live: &Decision<'_>, shadow: &Decision<'_>) -> Self {
        let policy = shadow.policy;
        Self {
            record: ShadowRecord {
                policy: PolicyKey {
                    id: policy.id.clone(),
                    version: policy.version.clone(),
                    digest: policy.digest.clone(),
                },
                outcome: shadow.outcome.name().to_owned(),
                result_code: shadow.result_code.to_owned(),
                rule_id: shadow
                    .reasons
                    .first()
                    .map(|reason| reason.rule_id.to_owned())
                    .unwrap_or_default(),
            },
            live_outcome: live.outcome.name(),
            agrees: live.outcome == shadow.outcome && live.result_code == shadow.result_code,
        }
    }
}

impl<D> Decided<D> {
    /// The same, with the decision rendered by `render`.
    pub fn map<E>(self, render: impl FnOnce(D) -> E) -> Decided<E> {
        Decided {
            decision: render(self.decision),
            draft: self.draft,
            lookup: self.lookup,
            shadows: self.shadows,
        }
    }
}

/// Decides `input` with `policy` and what `evidence` tells of earlier
/// workflows and retries; and with each of `shadows` beside it, from the
/// same parsed input and evidence (the caller is answered with `policy`'s).
pub fn decide(
    input: Option<Input<'_>>,
    evidence: &Evidence,
    policy: &Policy,
    shadows: &[Arc<Policy>],
    options: DecideOptions,
) -> Result<Decided, ServiceError> {
    decide_as(input, evidence, policy, shadows, options, wire_decision)
}

/// A decision and its explanations as the wire message: [`decide`]'s
/// rendering.
pub fn wire_decision(
    decision: &Decision<'_>,
    explanations: Vec<pb::FindingExplanation>,
) -> pb::Decision {
    pb::Decision {
        explanations,
        ..decision_to_wire(decision)
    }
}

/// [`decide`], with the decision rendered by `render` from verdict-core's
/// decision (which borrows from the input, parsed here) and, when
/// `options.explain`, its explanations (else none): e.g. encoded straight
/// into an answer. Nothing is gathered yet: a decision made again with what
/// the ledger gathered is made from its first parse ([`Parsed`]).
pub fn decide_as<D>(
    input: Option<Input<'_>>,
    evidence: &Evidence,
    policy: &Policy,
    shadows: &[Arc<Policy>],
    options: DecideOptions,
    render: impl FnOnce(&Decision<'_>, Vec<pb::FindingExplanation>) -> D,
) -> Result<Decided<D>, ServiceError> {
    ParsedInput::of(input, options)?.decide_as(
        &DecideWith {
            evidence,
            policy,
            shadows,
            options,
            gathered: None,
        },
        render,
    )
}

/// The workflow result `input` holds: parsed, or converted from the typed
/// message.
fn parse(input: Input<'_>, options: DecideOptions) -> Result<WorkflowResult<'_>, ServiceError> {
    match input {
        Input::Json(json) => {
            if options.max_json_depth > 0
                && let Some((line, column)) = too_deep(json, options.max_json_depth)
            {
                return Err(ServiceError::TooDeep {
                    max: options.max_json_depth,
                    line,
                    column,
                });
            }
            Ok(parse_workflow_json(json)?)
        }
        Input::Typed(workflow) => Ok(workflow_from_wire(workflow, "workflow")?),
    }
}

/// What a parsed input is decided with: [`decide_as`]'s arguments but the
/// input, and what `evidence` was gathered for (`gathered`), so that it is
/// not wanted again.
#[derive(Debug, Clone, Copy)]
pub struct DecideWith<'d> {
    pub evidence: &'d Evidence,
    pub policy: &'d Policy,
    pub shadows: &'d [Arc<Policy>],
    pub options: DecideOptions,
    pub gathered: Option<&'d Lookup>,
}

/// An input and the workflow result it holds, borrowed from what it was
/// received in.
#[derive(Debug)]
pub struct ParsedInput<'a> {
    input: Input<'a>,
    workflow: WorkflowResult<'a>,
}

impl<'a> ParsedInput<'a> {
    /// Parses (or converts) `input`: a missing input first, then what
    /// [`parse`] finds.
    fn of(input: Option<Input<'a>>, options: DecideOptions) -> Result<Self, ServiceError> {
        let input = input.ok_or(ServiceError::MissingInput)?;
        Ok(Self {
            input,
            workflow: parse(input, options)?,
        })
    }

    /// [`decide_as`], from this parse.
    fn decide_as<D>(
        &self,
        with: &DecideWith<'_>,
        render: impl FnOnce(&Decision<'_>, Vec<pb::FindingExplanation>) -> D,
    ) -> Result<Decided<D>, ServiceError> {
        let Self { input, workflow } = self;
        let DecideWith {
            evidence,
            policy,
            shadows,
            options,
            gathered,
        } = *with;
        let decision = evaluate_with(workflow, policy, evidence)?;
        // A shadow decides the same workflow, so it is final for it too.
        let shadows: Vec<Shadowed> = shadows
            .iter()
            .filter_map(|shadow| evaluate_with(workflow, shadow, evidence).ok())
            .map(|shadowed| Shadowed::of(&decision, &shadowed))
            .collect();
        let lookup = if options.lookup {
            Lookup::of(&wanted(&decision, workflow, policy), decision.workflow_id)
                .and_then(|wanted| still_wanted(wanted, gathered))
        } else {
            None
        };
        // A decision that wants more is made again (and only that one answered):
        // its explanations, its hash of the input and its facts would be made
        // twice (tests/load/README.md, "Tried and kept").
        let explanations = if options.explain && lookup.is_none() {
            explanations_to_wire(&explain_with(workflow, policy, evidence))
        } else {
            Vec::new()
        };
        let draft = (options.record && lookup.is_none()).then(|| {
            let mut draft = draft(workflow, &decision, evidence, *input);
            draft.shadows = shadows
                .iter()
                .filter(|shadow| !shadow.agrees)
                .map(|shadow| shadow.record.clone())
                .collect();
            draft
        });
        Ok(Decided {
            decision: render(&decision, explanations),
            draft,
            lookup,
            shadows,
        })
    }
}

/// What a [`Parsed`] input was received in.
#[derive(Debug)]
pub enum Received {
    /// An `Evaluate` request, shared with the handler.
    Request(Arc<ReceivedEvaluate>),
    /// A batch or stream item's input.
    Item(Option<ReceivedInput>),
}

impl Received {
    fn input(&self) -> Option<Input<'_>> {
        match self {
            Self::Request(request) => request.input.as_ref(),
            Self::Item(input) => input.as_ref(),
        }
        .map(Input::from)
    }
}

self_cell::self_cell!(
    /// An input and the workflow result parsed from it, kept together while
    /// the ledger is read for the evidence the decision wants: it is decided
    /// again from the same parse (owned, so that it can move to the
    /// blocking pool and back, as a decision may).
    pub struct Parsed {
        owner: Received,
        #[covariant]
        dependent: ParsedInput,
    }
    impl {Debug}
);

impl Parsed {
    /// Parses (or converts) the input `received` holds: the same errors, in
    /// the same order, as [`decide_as`].
    pub fn parse(received: Received, options: DecideOptions) -> Result<Self, ServiceError> {
        Self::try_new(received, |received| {
            ParsedInput::of(received.input(), options)
        })
    }

    /// [`decide_as`], from this parse.
    pub fn decide_as<D>(
        &self,
        with: &DecideWith<'_>,
        render: impl FnOnce(&Decision<'_>, Vec<pb::FindingExplanation>) -> D,
    ) -> Result<Decided<D>, ServiceError> {
        self.borrow_dependent().decide_as(with, render)
    }
}

/// What `wanted` asks that was not `gathered` already.
fn still_wanted(wanted: Lookup, gathered: Option<&Lookup>) -> Option<Lookup> {
    match gathered {
        None => Some(wanted),
        Some(gathered) => wanted.left_after(gathered),
    }
}

/// What the ledger keeps of `decision`: ids, outcome, codes, the policy, the
/// input's SHA-256 and the facts — no free text, no personal data.
fn draft(
    workflow: &WorkflowResult<'_>,
    decision: &Decision<'_>,
    evidence: &Evidence,
    input: Input<'_>,
) -> Draft {
    // Typed input is hashed as its encoding: the codec has decoded the
    // request bytes by now, and prost encodes a message the same way each time.
    let input_sha256 = match input {
        Input::Json(json) => sha256_digest(json.as_bytes()),
        Input::Typed(workflow) => sha256_digest(&workflow.encode_to_vec()),
    };
    let policy = decision.policy;
    Draft {
        workflow_id: decision.workflow_id.unwrap_or_default().to_owned(),
        account_id: decision.account_id.unwrap_or_default().to_owned(),
        completed_at: workflow
            .completed_at
            .and_then(|at| stored::timestamp_text(at).ok())
            .unwrap_or_default(),
        outcome: decision.outcome.name().to_owned(),
        result_code: decision.result_code.to_owned(),
        reasons: decision
            .reasons
            .iter()
            .map(|reason| ReasonRecord {
                capability: reason.capability.to_owned(),
                decision_type: reason.raw_decision_type.to_owned(),
                label: reason.label.to_owned(),
                outcome: reason.outcome.name().to_owned(),
                rule_id: reason.rule_id.to_owned(),
                code: reason.code.to_owned(),
                root_cause: reason.root_cause,
                entry_id: reason.entry_id.unwrap_or_default().to_owned(),
            })
            .collect(),
        policy: PolicyKey {
            id: policy.id.clone(),
            version: policy.version.clone(),
            digest: policy.digest.clone(),
        },
        input_sha256,
        // With the evidence the decision read, so that it replays exactly.
        facts: verdict_core::facts::to_json(workflow, evidence),
        shadows: Vec::new(),
    }
}
