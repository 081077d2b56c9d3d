//! Evidence on the wire and from the ledger: the request's `Evidence`
//! validated into verdict-core's, what a decision's reasons cite, and what
//! the ledger adds (earlier workflows by id, the account's earlier retries)
//! before a decision that wants it is made again.

use std::collections::HashMap;

use time::OffsetDateTime;
use verdict_api::v1 as pb;
use verdict_core::evidence::{CHANNELS, MAX_KNOWN_WORKFLOWS, MAX_PRIOR_RETRIES};
use verdict_core::model::stored;
use verdict_core::{
    Cites, Decision, Evidence, FaceRelation, Feedback, KnownWorkflow, Outcome, PriorRetry, Wanted,
    retry_in_window,
};

use crate::convert::{instant_from_wire, instant_to_wire, outcome_to_wire};
use crate::errors::ServiceError;
use crate::ledger::{self, LedgerFailure, Recorder};
use crate::metrics;

/// Longest workflow or account id evidence (or feedback) may carry.
pub const MAX_EVIDENCE_ID: usize = 128;
/// Longest result code evidence may carry.
const MAX_CODE: usize = 64;

fn invalid(field: String, description: &str) -> ServiceError {
    ServiceError::InvalidEvidence {
        field,
        description: description.to_owned(),
    }
}

/// Whether `code` is a result code as policies write them, of at most 64
/// characters.
pub fn is_code(code: &str) -> bool {
    code.len() <= MAX_CODE && verdict_core::is_code(code)
}

fn id(value: &str, field: String) -> Result<String, ServiceError> {
    if value.is_empty() {
        return Err(invalid(field, "required"));
    }
    if value.len() > MAX_EVIDENCE_ID {
        return Err(invalid(field, "longer than 128 characters"));
    }
    Ok(value.to_owned())
}

pub fn feedback_from_wire(verdict: pb::FeedbackVerdict) -> Option<Feedback> {
    match verdict {
        pb::FeedbackVerdict::Unspecified => None,
        pb::FeedbackVerdict::FraudConfirmed => Some(Feedback::FraudConfirmed),
        pb::FeedbackVerdict::Legitimate => Some(Feedback::Legitimate),
        pb::FeedbackVerdict::Inconclusive => Some(Feedback::Inconclusive),
    }
}

pub fn feedback_to_wire(feedback: Option<Feedback>) -> pb::FeedbackVerdict {
    match feedback {
        None => pb::FeedbackVerdict::Unspecified,
        Some(Feedback::FraudConfirmed) => pb::FeedbackVerdict::FraudConfirmed,
        Some(Feedback::Legitimate) => pb::FeedbackVerdict::Legitimate,
        Some(Feedback::Inconclusive) => pb::FeedbackVerdict::Inconclusive,
    }
}

fn outcome_from_wire(value: i32) -> Option<Outcome> {
    Outcome::ALL
        .into_iter()
        .find(|outcome| outcome_to_wire(*outcome) as i32 == value)
}

/// The request's evidence, validated and normalized; none is empty. Errors
/// name the field (`evidence.workflows[2].workflow_id`), never its value.
pub fn evidence_from_wire(evidence: Option<&pb::Evidence>) -> Result<Evidence, ServiceError> {
    let Some(evidence) = evidence else {
        return Ok(Evidence::default());
    };
    if evidence.workflows.len() > MAX_KNOWN_WORKFLOWS {
        return Err(invalid(
            "evidence.workflows".to_owned(),
            "more than 100 workflows in the evidence",
        ));
    }
    if evidence.retries.len() > MAX_PRIOR_RETRIES {
        return Err(invalid(
            "evidence.retries".to_owned(),
            "more than 100 retries in the evidence",
        ));
    }
    let mut workflows = Vec::with_capacity(evidence.workflows.len());
    for (index, known) in evidence.workflows.iter().enumerate() {
        let at = |field: &str| format!("evidence.workflows[{index}].{field}");
        if known.account_id.len() > MAX_EVIDENCE_ID {
            return Err(invalid(at("account_id"), "longer than 128 characters"));
        }
        let outcome = match known.outcome {
            0 => None,
            value => Some(
                outcome_from_wire(value)
                    .ok_or_else(|| invalid(at("outcome"), "not an Outcome value"))?,
            ),
        };
        if !known.result_code.is_empty() && !is_code(&known.result_code) {
            return Err(invalid(
                at("result_code"),
                "not a SCREAMING_SNAKE code of at most 64 characters",
            ));
        }
        let feedback = pb::FeedbackVerdict::try_from(known.feedback)
            .map_err(|_| invalid(at("feedback"), "not a FeedbackVerdict value"))?;
        workflows.push(KnownWorkflow {
            workflow_id: id(&known.workflow_id, at("workflow_id"))?,
            account_id: known.account_id.clone(),
            outcome,
            result_code: (!known.result_code.is_empty()).then(|| known.result_code.clone()),
            feedback: feedback_from_wire(feedback),
        });
    }
    let mut retries = Vec::with_capacity(evidence.retries.len());
    for (index, retry) in evidence.retries.iter().enumerate() {
        let at = |field: &str| format!("evidence.retries[{index}].{field}");
        let completed_at = match &retry.completed_at {
            None => None,
            Some(timestamp) => Some(
                instant_from_wire(timestamp)
                    .ok_or_else(|| invalid(at("completed_at"), "not a valid timestamp"))?,
            ),
        };
        retries.push(PriorRetry {
            workflow_id: id(&retry.workflow_id, at("workflow_id"))?,
            completed_at,
        });
    }
    let channel = match evidence.channel.as_str() {
        "" => None,
        channel if CHANNELS.contains(&channel) => Some(channel.to_owned()),
        _ => {
            return Err(invalid(
                "evidence.channel".to_owned(),
                "not one of WEB, SDK, API",
            ));
        }
    };
    let mut evidence = Evidence {
        workflows,
        retries,
        channel,
    };
    evidence.normalize();
    Ok(evidence)
}

/// Evidence in its wire form (a recorded decision's).
pub fn evidence_to_wire(evidence: &Evidence) -> pb::Evidence {
    pb::Evidence {
        workflows: evidence
            .workflows
            .iter()
            .map(|known| pb::KnownWorkflow {
                workflow_id: known.workflow_id.clone(),
                account_id: known.account_id.clone(),
                outcome: known
                    .outcome
                    .map_or(pb::Outcome::Unspecified, outcome_to_wire)
                    as i32,
                result_code: known.result_code.clone().unwrap_or_default(),
                feedback: feedback_to_wire(known.feedback) as i32,
            })
            .collect(),
        retries: evidence
            .retries
            .iter()
            .map(|retry| pb::PriorRetry {
                workflow_id: retry.workflow_id.clone(),
                completed_at: retry.completed_at.map(instant_to_wire),
            })
            .collect(),
        channel: evidence.channel.clone().unwrap_or_default(),
    }
}

fn relation_to_wire(relation: FaceRelation) -> pb::FaceSearchRelation {
    match relation {
        FaceRelation::SameAccount => pb::FaceSearchRelation::SameAccount,
        FaceRelation::OtherAccount => pb::FaceSearchRelation::OtherAccount,
        FaceRelation::Fraud => pb::FaceSearchRelation::Fraud,
        FaceRelation::Unresolved => pb::FaceSearchRelation::Unresolved,
        FaceRelation::Pending => pb::FaceSearchRelation::Pending,
        FaceRelation::Error => pb::FaceSearchRelation::Error,
    }
}

fn count(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// The evidence a reason citing `cites` rests on, from its decision.
pub fn reason_evidence(decision: &Decision<'_>, cites: Cites) -> Option<pb::ReasonEvidence> {
    let face_search = decision
        .face_search
        .as_ref()
        .filter(|_| cites.face_search)
        .map(|resolved| pb::FaceSearchEvidence {
            status: resolved.status.to_owned(),
            relation: relation_to_wire(resolved.relation) as i32,
            matches: resolved
                .matches
                .iter()
                .map(|found| pb::FaceMatch {
                    workflow_id: found.workflow_id.to_owned(),
                    relation: relation_to_wire(found.relation) as i32,
                    account_id: found
                        .known
                        .map(|known| known.account_id.clone())
                        .unwrap_or_default(),
                    outcome: found
                        .known
                        .and_then(|known| known.outcome)
                        .map_or(pb::Outcome::Unspecified, outcome_to_wire)
                        as i32,
                    result_code: found
                        .known
                        .and_then(|known| known.result_code.clone())
                        .unwrap_or_default(),
                    feedback: feedback_to_wire(found.known.and_then(|known| known.feedback)) as i32,
                })
                .collect(),
            other_accounts: count(resolved.other_accounts),
        });
    let retries = decision
        .retries
        .as_ref()
        .filter(|_| cites.retries)
        .map(|history| pb::RetryEvidence {
            prior_retries: count(history.counted.len()),
            workflow_ids: history.counted.iter().map(|id| (*id).to_owned()).collect(),
            budget_attempts: history.attempts,
            window_days: history.window_days,
            channel: history.channel.unwrap_or_default().to_owned(),
        });
    (face_search.is_some() || retries.is_some()).then_some(pb::ReasonEvidence {
        face_search,
        retries,
    })
}

/// What the ledger should be asked before deciding a workflow again, owned
/// (the decision it came from borrows the request).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lookup {
    /// This workflow: never evidence about itself.
    pub workflow_id: String,
    pub workflows: Vec<String>,
    pub retries_of: Option<String>,
    pub retries_since: Option<OffsetDateTime>,
    /// This workflow's `completedAt` and the policy's window: which of the
    /// account's retries count.
    pub completed_at: Option<OffsetDateTime>,
    pub window_days: u32,
    /// Earlier retries that can change the decision: no more are gathered.
    pub retries_needed: u32,
}

impl Lookup {
    pub fn of(wanted: &Wanted<'_>, workflow_id: Option<&str>) -> Option<Self> {
        (!wanted.is_empty()).then(|| Self {
            workflow_id: workflow_id.unwrap_or_default().to_owned(),
            workflows: wanted.workflows.iter().map(|id| (*id).to_owned()).collect(),
            retries_of: wanted.retries_of.map(str::to_owned),
            retries_since: wanted.retries_since,
            completed_at: wanted.completed_at,
            window_days: wanted.window_days,
            retries_needed: wanted.retries_needed,
        })
    }

    /// What is left to gather once `done` was: the found workflows come
    /// from the body and are the same for every decision of it, so only the
    /// account's retries can be new — wanted by a decision that became a
    /// RETRY once its repeated face resolved to this account. `None` when
    /// nothing is.
    pub fn left_after(self, done: &Self) -> Option<Self> {
        (self.retries_of.is_some() && done.retries_of.is_none()).then(|| Self {
            workflows: Vec::new(),
            ..self
        })
    }

    /// Whether a retry of `workflow_id` completed at `completed_at` is one
    /// the policy counts for this workflow: another workflow's, in the window.
    fn counts(&self, workflow_id: &str, completed_at: Option<OffsetDateTime>) -> bool {
        !workflow_id.is_empty()
            && workflow_id != self.workflow_id
            && retry_in_window(completed_at, self.completed_at, self.window_days)
    }

    /// The first recording time the account's retries are read from: a
    /// day before the window, as records are found by when they were
    /// recorded, which follows their workflow's completion (and clocks
    /// disagree). The window itself is applied to `completedAt`s.
    fn retries_from_ms(&self) -> i64 {
        self.retries_since.map_or(0, |since| {
            i64::try_from(since.unix_timestamp_nanos() / 1_000_000)
                .unwrap_or(0)
                .saturating_sub(RECORDED_SLACK_MS)
                .max(0)
        })
    }
}

/// A day ([`Lookup::retries_from_ms`]).
const RECORDED_SLACK_MS: i64 = 86_400_000;

/// Rows read per account for each retry needed: enough distinct workflows
/// even when some were decided more than once.
const ROWS_PER_RETRY: i64 = 4;

/// Completes each item's evidence with what the ledger knows of its
/// lookup, for all the items at once: one read of the found workflows (and
/// their latest feedback) and one of the accounts' retries, however many
/// items. Where the request and the ledger both know a workflow, the ledger
/// wins for what it records (account, latest decision, latest feedback) and
/// the request fills in the rest. A ledger that cannot be read fails with
/// `ledger_failure = "closed"`; with `"open"` the decisions are made with
/// the evidence at hand (and counted).
pub async fn gather(
    recorder: &Recorder,
    items: &mut [(&Lookup, &mut Evidence)],
) -> Result<(), ServiceError> {
    if let Err(error) = read(recorder, items).await {
        match recorder.failure {
            LedgerFailure::Closed => return Err(error),
            LedgerFailure::Open => metrics::evidence_unread(),
        }
    }
    for (_, evidence) in items.iter_mut() {
        evidence.normalize();
    }
    Ok(())
}

async fn read(
    recorder: &Recorder,
    items: &mut [(&Lookup, &mut Evidence)],
) -> Result<(), ServiceError> {
    // The workflows and the retries: one connection.
    let mut reads = recorder.reads();
    let mut ids: Vec<&str> = items
        .iter()
        .flat_map(|(lookup, _)| {
            lookup
                .workflows
                .iter()
                .map(String::as_str)
                .filter(|id| !id.is_empty() && *id != lookup.workflow_id)
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let known: HashMap<String, KnownWorkflow> = if ids.is_empty() {
        HashMap::new()
    } else {
        ledger::known_workflows(&mut reads, &ids)
            .await?
            .into_iter()
            .map(|known| (known.workflow_id.clone(), known))
            .collect()
    };
    let accounts: Vec<&str> = items
        .iter()
        .filter_map(|(lookup, _)| lookup.retries_of.as_deref())
        .collect();
    let retries = if accounts.is_empty() {
        Vec::new()
    } else {
        let from_ms = items
            .iter()
            .filter(|(lookup, _)| lookup.retries_of.is_some())
            .map(|(lookup, _)| lookup.retries_from_ms())
            .min()
            .unwrap_or(0);
        let needed = items
            .iter()
            .map(|(lookup, _)| lookup.retries_needed)
            .max()
            .unwrap_or(1);
        reads
            .retries_of(
                &accounts,
                from_ms,
                ROWS_PER_RETRY * i64::from(needed.max(1)),
            )
            .await
            .map_err(ledger::unavailable)?
    };
    for (lookup, evidence) in items.iter_mut() {
        for id in &lookup.workflows {
            if let Some(recorded) = known.get(id).filter(|_| *id != lookup.workflow_id) {
                merge(evidence, recorded);
            }
        }
        let Some(account) = &lookup.retries_of else {
            continue;
        };
        // Newest first: past what can change the decision, the older ones
        // are left out (and not recorded).
        let needed = usize::try_from(lookup.retries_needed)
            .unwrap_or(MAX_PRIOR_RETRIES)
            .min(MAX_PRIOR_RETRIES);
        // Those the request gave count only if the policy would count them.
        let mut counted = evidence
            .retries
            .iter()
            .filter(|given| lookup.counts(&given.workflow_id, given.completed_at))
            .count();
        for retry in retries.iter().filter(|retry| &retry.account_id == account) {
            if counted >= needed {
                break;
            }
            let completed_at = stored::parse_timestamp_text(&retry.completed_at);
            if !lookup.counts(&retry.workflow_id, completed_at)
                || evidence
                    .retries
                    .iter()
                    .any(|known| known.workflow_id == retry.workflow_id)
            {
                continue;
            }
            evidence.retries.push(PriorRetry {
                workflow_id: retry.workflow_id.clone(),
                completed_at,
            });
            counted += 1;
        }
    }
    Ok(())
}

/// `recorded` (the ledger's) into `evidence`: what the ledger records wins,
/// what it does not know the request keeps.
fn merge(evidence: &mut Evidence, recorded: &KnownWorkflow) {
    let Some(given) = evidence
        .workflows
        .iter_mut()
        .find(|known| known.workflow_id == recorded.workflow_id)
    else {
        if evidence.workflows.len() < MAX_KNOWN_WORKFLOWS {
            evidence.workflows.push(recorded.clone());
        }
        return;
    };
    if !recorded.account_id.is_empty() {
        given.account_id.clone_from(&recorded.account_id);
    }
    if recorded.outcome.is_some() {
        given.outcome = recorded.outcome;
        given.result_code.clone_from(&recorded.result_code);
    }
    if recorded.feedback.is_some() {
        given.feedback = recorded.feedback;
    }
}
