//! Account-aware judgement from the evidence: how the workflows a face
//! search found relate to this account (the `face_search` condition), and
//! how many times this account was already asked to retry (the retry budget
//! and the channel escalation). Pure: the evidence is an input, the window
//! is measured between `completedAt`s.

use time::{Duration, OffsetDateTime};

use super::decision::Decision;
use crate::evidence::{Evidence, FaceRelation, Feedback, KnownWorkflow};
use crate::model::{Outcome, WorkflowResult};
use crate::policy::Policy;

/// What a face search found, resolved through the evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceSearchResolution<'a> {
    /// `faceSearchFindings.status` as spelled.
    pub status: &'a str,
    /// The value of the `face_search` condition.
    pub relation: FaceRelation,
    /// Each found workflow (but this one), in the order Jumio lists them.
    pub matches: Vec<FaceMatch<'a>>,
    /// How many distinct other accounts the found workflows belong to.
    pub other_accounts: usize,
}

/// One found workflow and what the evidence says of it.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceMatch<'a> {
    pub workflow_id: &'a str,
    /// `SameAccount`, `OtherAccount`, `Fraud` or `Unresolved`.
    pub relation: FaceRelation,
    /// What is known of it; `None` when unresolved.
    pub known: Option<&'a KnownWorkflow>,
}

/// The face search of `workflow` (the first imageChecks entry that carries
/// one), resolved through `evidence`. `None` without a search, or when it is
/// DONE and found no other workflow: nothing to resolve.
///
/// A found workflow is `fraud` when its feedback is FRAUD_CONFIRMED, or when
/// its latest decision is a DECLINE with one of `fraud_codes` and no
/// LEGITIMATE feedback overrules it; otherwise `same_account` or
/// `other_account` by its account, `unresolved` when unknown (or when its
/// account or this workflow's is not known). The search is
/// `fraud` if any found workflow is, else `other_account` if any is, else
/// `unresolved` if any is, else `same_account`.
pub fn resolve_face_search<'a>(
    workflow: &'a WorkflowResult<'_>,
    evidence: &'a Evidence,
    fraud_codes: &[String],
) -> Option<FaceSearchResolution<'a>> {
    let search = workflow
        .capabilities
        .iter()
        .filter(|capability| capability.name == "imageChecks")
        .flat_map(|capability| &capability.entries)
        .find_map(|entry| entry.data.face_search.as_ref())?;
    let own_id = workflow.workflow_id.as_deref();
    let own_account = workflow.account_id.as_deref().filter(|id| !id.is_empty());
    let status = search.status.as_ref();
    let matches: Vec<FaceMatch<'a>> = search
        .findings
        .iter()
        .map(|id| id.as_ref())
        .filter(|id| Some(*id) != own_id)
        .map(|id| {
            let known = evidence.workflow(id);
            let relation = match known {
                None => FaceRelation::Unresolved,
                Some(known) if is_fraud(known, fraud_codes) => FaceRelation::Fraud,
                // Whose it is cannot be told without both accounts.
                Some(known) if known.account_id.is_empty() || own_account.is_none() => {
                    FaceRelation::Unresolved
                }
                Some(known) if own_account == Some(known.account_id.as_str()) => {
                    FaceRelation::SameAccount
                }
                Some(_) => FaceRelation::OtherAccount,
            };
            FaceMatch {
                workflow_id: id,
                relation,
                known,
            }
        })
        .collect();
    let relation = match status {
        "PENDING" => FaceRelation::Pending,
        "DONE" => {
            let any = |relation| matches.iter().any(|found| found.relation == relation);
            if matches.is_empty() {
                return None;
            } else if any(FaceRelation::Fraud) {
                FaceRelation::Fraud
            } else if any(FaceRelation::OtherAccount) {
                FaceRelation::OtherAccount
            } else if any(FaceRelation::Unresolved) {
                FaceRelation::Unresolved
            } else {
                FaceRelation::SameAccount
            }
        }
        // ERROR, or a status verdict does not know: the search cannot be
        // relied on either way.
        _ => FaceRelation::Error,
    };
    let mut others: Vec<&str> = matches
        .iter()
        .filter(|found| found.relation != FaceRelation::SameAccount)
        .filter_map(|found| found.known)
        .map(|known| known.account_id.as_str())
        .filter(|account| !account.is_empty() && Some(*account) != own_account)
        .collect();
    others.sort_unstable();
    others.dedup();
    Some(FaceSearchResolution {
        status,
        relation,
        matches,
        other_accounts: others.len(),
    })
}

fn is_fraud(known: &KnownWorkflow, fraud_codes: &[String]) -> bool {
    match known.feedback {
        Some(Feedback::FraudConfirmed) => true,
        Some(Feedback::Legitimate) => false,
        Some(Feedback::Inconclusive) | None => {
            known.outcome == Some(Outcome::Decline)
                && known
                    .result_code
                    .as_ref()
                    .is_some_and(|code| fraud_codes.contains(code))
        }
    }
}

/// What a RETRY became, given the account's earlier retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalation {
    /// The first retry in the window: the rule's own message.
    None,
    /// An earlier retry in the window: suggest another channel.
    OtherChannel,
    /// The budget is spent: the budget rule's outcome.
    BudgetSpent,
}

/// The account's earlier retries as the policy counted them.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryHistory<'a> {
    /// The earlier RETRY decisions counted: other workflows of this account,
    /// completed within the window before this one.
    pub counted: Vec<&'a str>,
    /// The budget's attempts and window (0 when the policy has no budget).
    pub attempts: u32,
    pub window_days: u32,
    /// The channel this workflow ran through, when known.
    pub channel: Option<&'a str>,
    pub escalation: Escalation,
}

/// Counts the earlier retries in the window before `workflow`'s completion:
/// a retry whose completion, or this workflow's, is not known counts (the
/// gatherer already bounded what it found). A workflow counts once.
pub fn count_retries<'a>(
    workflow: &WorkflowResult<'_>,
    evidence: &'a Evidence,
    window_days: u32,
) -> Vec<&'a str> {
    let own_id = workflow.workflow_id.as_deref();
    let completed = workflow.completed_at;
    let mut counted: Vec<&str> = evidence
        .retries
        .iter()
        .filter(|retry| Some(retry.workflow_id.as_str()) != own_id)
        .filter(|retry| retry_in_window(retry.completed_at, completed, window_days))
        .map(|retry| retry.workflow_id.as_str())
        .collect();
    counted.sort_unstable();
    counted.dedup();
    counted
}

/// Whether a retry completed at `earlier` counts for a workflow completed
/// at `now`: within `window_days` before it (or either is not known). A
/// gatherer keeps only such retries, so that the evidence recorded is the
/// evidence used.
pub fn retry_in_window(
    earlier: Option<OffsetDateTime>,
    now: Option<OffsetDateTime>,
    window_days: u32,
) -> bool {
    match (earlier, now) {
        (Some(earlier), Some(now)) => {
            earlier <= now && now - earlier <= Duration::days(i64::from(window_days))
        }
        _ => true,
    }
}

/// The evidence that could change a decision and that it was made without:
/// what a gatherer (the server, with its ledger) should look up before
/// deciding again.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Wanted<'a> {
    /// The workflows the face search found (only when a rule of the policy
    /// reads `face_search`).
    pub workflows: Vec<&'a str>,
    /// The account whose earlier RETRY decisions count, when the decision is
    /// a RETRY under a policy that counts them.
    pub retries_of: Option<&'a str>,
    /// The earliest completion that counts (the window before this
    /// workflow's `completedAt`), when known.
    pub retries_since: Option<OffsetDateTime>,
    /// This workflow's `completedAt` and the window's length: which earlier
    /// retries count ([`retry_in_window`]).
    pub completed_at: Option<OffsetDateTime>,
    pub window_days: u32,
    /// How many earlier retries can change the decision (the budget's
    /// attempts, or one for the channel escalation): a gatherer need not
    /// find more, and records no more than it found.
    pub retries_needed: u32,
}

impl Wanted<'_> {
    pub fn is_empty(&self) -> bool {
        self.workflows.is_empty() && self.retries_of.is_none()
    }
}

/// What evidence `decision` (of `workflow`, by `policy`) read or could
/// read: every workflow its face search found (a gatherer with records of
/// its own completes what the evidence says of them, known or not), and the
/// account whose retries count when it is a RETRY.
pub fn wanted<'a>(
    decision: &Decision<'a>,
    workflow: &WorkflowResult<'_>,
    policy: &Policy,
) -> Wanted<'a> {
    let workflows = match &decision.face_search {
        Some(resolved) if policy.reads_face_search() => resolved
            .matches
            .iter()
            .map(|found| found.workflow_id)
            .collect(),
        _ => Vec::new(),
    };
    let retries_of = decision
        .retries
        .as_ref()
        .and(decision.account_id)
        .filter(|account| !account.is_empty());
    let retries_since = match (&decision.retries, workflow.completed_at) {
        (Some(history), Some(completed)) if retries_of.is_some() => {
            completed.checked_sub(Duration::days(i64::from(history.window_days)))
        }
        _ => None,
    };
    Wanted {
        workflows,
        retries_of,
        retries_since,
        completed_at: workflow.completed_at,
        window_days: decision
            .retries
            .as_ref()
            .map_or(0, |history| history.window_days),
        // The budget spent at `attempts`, another channel from one: more
        // would change nothing.
        retries_needed: decision
            .retries
            .as_ref()
            .map_or(0, |history| history.attempts.max(1)),
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use time::macros::datetime;

    use super::*;
    use crate::evidence::PriorRetry;
    use crate::model::{Capability, CapabilityData, CapabilityEntry, FaceSearch};

    fn workflow(status: &'static str, findings: &[&'static str]) -> WorkflowResult<'static> {
        WorkflowResult {
            workflow_id: Some(Cow::Borrowed("w-now")),
            status: Cow::Borrowed("PROCESSED"),
            account_id: Some(Cow::Borrowed("acct-1")),
            completed_at: Some(datetime!(2026-03-10 12:00 UTC)),
            capabilities: vec![Capability {
                name: Cow::Borrowed("imageChecks"),
                entries: vec![CapabilityEntry {
                    raw_decision_type: Cow::Borrowed("WARNING"),
                    label: Cow::Borrowed("REPEATED_FACE"),
                    data: CapabilityData {
                        face_search: Some(FaceSearch {
                            status: Cow::Borrowed(status),
                            findings: findings.iter().map(|id| Cow::Borrowed(*id)).collect(),
                        }),
                        ..CapabilityData::default()
                    },
                    ..CapabilityEntry::default()
                }],
            }],
            ..WorkflowResult::default()
        }
    }

    fn known(id: &str, account: &str) -> KnownWorkflow {
        KnownWorkflow {
            workflow_id: id.into(),
            account_id: account.into(),
            outcome: Some(Outcome::Approve),
            result_code: Some("APPROVED".into()),
            feedback: None,
        }
    }

    fn relation(workflow: &WorkflowResult<'_>, evidence: &Evidence) -> Option<FaceRelation> {
        let codes = ["DOCUMENT_FRAUD_FAKE".to_owned()];
        resolve_face_search(workflow, evidence, &codes).map(|resolved| resolved.relation)
    }

    #[test]
    fn found_workflows_resolve_by_account_feedback_and_fraud_codes() {
        let found = workflow("DONE", &["w-1", "w-2", "w-now"]);
        let mut evidence = Evidence {
            workflows: vec![known("w-1", "acct-1"), known("w-2", "acct-1")],
            ..Evidence::default()
        };
        // Jumio listing this very workflow is no finding.
        assert_eq!(relation(&found, &evidence), Some(FaceRelation::SameAccount));
        evidence.workflows[1].account_id = "acct-2".into();
        let resolved = resolve_face_search(&found, &evidence, &[]).expect("a search");
        assert_eq!(resolved.relation, FaceRelation::OtherAccount);
        assert_eq!(resolved.other_accounts, 1);
        assert_eq!(resolved.matches.len(), 2);
        // Declined for a fraud code: fraud, even on the same account...
        evidence.workflows[0].outcome = Some(Outcome::Decline);
        evidence.workflows[0].result_code = Some("DOCUMENT_FRAUD_FAKE".into());
        assert_eq!(relation(&found, &evidence), Some(FaceRelation::Fraud));
        // ...unless the business judged it legitimate since.
        evidence.workflows[0].feedback = Some(Feedback::Legitimate);
        assert_eq!(
            relation(&found, &evidence),
            Some(FaceRelation::OtherAccount)
        );
        evidence.workflows[1].feedback = Some(Feedback::FraudConfirmed);
        assert_eq!(relation(&found, &evidence), Some(FaceRelation::Fraud));
        // Unknown ids are unresolved; other accounts still weigh more.
        let unknown = workflow("DONE", &["w-1", "w-9"]);
        let same = Evidence {
            workflows: vec![known("w-1", "acct-1")],
            ..Evidence::default()
        };
        assert_eq!(relation(&unknown, &same), Some(FaceRelation::Unresolved));
        // A workflow known without its account cannot be told apart: not
        // another account (which would count none), unresolved.
        let accountless = Evidence {
            workflows: vec![known("w-1", ""), known("w-2", "acct-1")],
            ..Evidence::default()
        };
        let resolved = resolve_face_search(&found, &accountless, &[]).expect("a search");
        assert_eq!(resolved.relation, FaceRelation::Unresolved);
        assert_eq!(resolved.matches[0].relation, FaceRelation::Unresolved);
        assert_eq!(resolved.other_accounts, 0);
        // Neither can a workflow whose own account is not known.
        let mut anonymous = workflow("DONE", &["w-2"]);
        anonymous.account_id = None;
        assert_eq!(
            relation(&anonymous, &accountless),
            Some(FaceRelation::Unresolved)
        );
    }

    #[test]
    fn the_search_status_decides_before_the_findings() {
        let evidence = Evidence::default();
        assert_eq!(
            relation(&workflow("PENDING", &[]), &evidence),
            Some(FaceRelation::Pending)
        );
        assert_eq!(
            relation(&workflow("ERROR", &["w-1"]), &evidence),
            Some(FaceRelation::Error)
        );
        assert_eq!(
            relation(&workflow("SOMETHING_NEW", &[]), &evidence),
            Some(FaceRelation::Error)
        );
        // Done, and nothing (but itself) found: nothing to resolve.
        assert_eq!(relation(&workflow("DONE", &["w-now"]), &evidence), None);
        assert_eq!(relation(&WorkflowResult::default(), &evidence), None);
    }

    #[test]
    fn a_decision_wants_every_found_workflow_and_a_retrys_account() {
        let policy = Policy::embedded_default();
        let face = workflow("DONE", &["w-1", "w-2", "w-now"]);
        let evidence = Evidence {
            workflows: vec![known("w-1", "acct-1")],
            ..Evidence::default()
        };
        let decision = super::super::evaluate_with(&face, &policy, &evidence).expect("final");
        let asked = wanted(&decision, &face, &policy);
        // Known or not: a gatherer completes what the evidence says.
        assert_eq!(asked.workflows, ["w-1", "w-2"]);
        assert_eq!((asked.retries_of, asked.retries_needed), (None, 0));

        // Blurred as well, and resolved to this account: a RETRY, which
        // wants the account's retries in the window before its completion.
        let mut retry = face.clone();
        retry.capabilities.push(Capability {
            name: Cow::Borrowed("usability"),
            entries: vec![CapabilityEntry {
                raw_decision_type: Cow::Borrowed("REJECTED"),
                label: Cow::Borrowed("BLURRED"),
                ..CapabilityEntry::default()
            }],
        });
        let evidence = Evidence {
            workflows: vec![known("w-1", "acct-1"), known("w-2", "acct-1")],
            ..Evidence::default()
        };
        let decision = super::super::evaluate_with(&retry, &policy, &evidence).expect("final");
        assert_eq!(decision.outcome, Outcome::Retry, "{decision:?}");
        let asked = wanted(&decision, &retry, &policy);
        assert_eq!(asked.retries_of, Some("acct-1"));
        assert_eq!(asked.retries_needed, 3, "the default budget's attempts");
        assert_eq!(asked.window_days, 7);
        assert_eq!(asked.retries_since, Some(datetime!(2026-03-03 12:00 UTC)));
        assert_eq!(asked.completed_at, Some(datetime!(2026-03-10 12:00 UTC)));
    }

    #[test]
    fn retries_count_once_per_other_workflow_within_the_window() {
        let now = workflow("DONE", &[]);
        let retry = |id: &str, at| PriorRetry {
            workflow_id: id.into(),
            completed_at: at,
        };
        let evidence = Evidence {
            retries: vec![
                retry("w-a", Some(datetime!(2026-03-03 12:00 UTC))),
                retry("w-b", Some(datetime!(2026-03-03 11:59 UTC))),
                retry("w-c", None),
                retry("w-c", Some(datetime!(2026-03-09 00:00 UTC))),
                retry("w-now", Some(datetime!(2026-03-10 11:00 UTC))),
                retry("w-later", Some(datetime!(2026-03-11 00:00 UTC))),
            ],
            ..Evidence::default()
        };
        // Exactly 7 days before counts; a minute more does not; this
        // workflow and later completions do not.
        assert_eq!(count_retries(&now, &evidence, 7), vec!["w-a", "w-c"]);
        assert_eq!(count_retries(&now, &evidence, 1), vec!["w-c"]);
    }
}
