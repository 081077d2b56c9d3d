//! Evaluation: a pure, deterministic function of (workflow result, policy,
//! evidence).
//!
//! No clock, no I/O, no randomness: dates are judged as of the workflow's own
//! `completedAt`, and reasons are ordered by content, never by hash order.

use self::account::{
    Escalation, FaceSearchResolution, RetryHistory, count_retries, resolve_face_search,
};
use self::cascade::Cascades;
use self::decision::{APPROVED, Cites, Decision, Reason};
use crate::catalogue;
use crate::error::NotFinal;
use crate::evidence::{self, Evidence};
use crate::model::{CapabilityEntry, DecisionType, Outcome, WorkflowResult, WorkflowStatus};
use crate::policy::{CompiledRule, Fact, Facts, Policy, TransactionRule};

/// Decides `workflow` with `policy`, knowing nothing beyond it.
///
/// PROCESSED workflows are decided on their findings; SESSION_EXPIRED and
/// TOKEN_EXPIRED ones were abandoned by the user; any other status is not final.
pub fn evaluate<'a>(
    workflow: &'a WorkflowResult<'_>,
    policy: &'a Policy,
) -> Result<Decision<'a>, NotFinal> {
    evaluate_with(workflow, policy, &evidence::NONE)
}

/// The workflow's facts, with the face search resolved through `evidence`.
pub(crate) fn workflow_facts<'a>(
    workflow: &'a WorkflowResult<'_>,
    policy: &Policy,
    evidence: &'a Evidence,
) -> (Facts<'a>, Option<FaceSearchResolution<'a>>) {
    let face_search = resolve_face_search(workflow, evidence, policy.fraud_codes());
    let facts = Facts {
        face_search: face_search.as_ref().map(|resolved| resolved.relation),
        ..Facts::of(workflow)
    };
    (facts, face_search)
}

/// Decides `workflow` with `policy` and what `evidence` tells of earlier
/// workflows and retries ([`account`]).
pub fn evaluate_with<'a>(
    workflow: &'a WorkflowResult<'_>,
    policy: &'a Policy,
    evidence: &'a Evidence,
) -> Result<Decision<'a>, NotFinal> {
    let rules = policy.transaction_rules();
    let abandoned = match workflow.workflow_status() {
        WorkflowStatus::Processed => None,
        WorkflowStatus::SessionExpired => Some(rules.get(TransactionRule::SessionExpired)),
        WorkflowStatus::TokenExpired => Some(rules.get(TransactionRule::TokenExpired)),
        WorkflowStatus::Initiated | WorkflowStatus::Acquired | WorkflowStatus::Other => {
            return Err(NotFinal::new(&workflow.status));
        }
    };
    let (top_type, top_raw_type, top_label) = match &workflow.decision {
        Some(decision) => (
            decision.decision_type(),
            decision.raw_decision_type.as_ref(),
            decision.label.as_ref(),
        ),
        None => (DecisionType::Other, "", ""),
    };

    let (facts, face_search) = workflow_facts(workflow, policy, evidence);
    let mut reasons = Vec::new();
    if let Some(rule) = abandoned {
        reasons.push(reason_from_rule(
            "workflow",
            top_type,
            top_raw_type,
            &workflow.status,
            rule,
        ));
    }
    // After an abandoned session every finding is a consequence of it.
    let findings_are_causes = abandoned.is_none();
    let cascades = Cascades::new(workflow, policy.cascade());
    // Findings of Jumio's top-level type, and how many of them the evidence
    // decided (their rule reads `face_search`).
    let (mut of_top_type, mut resolved_by_evidence) = (0_usize, 0_usize);
    for capability in &workflow.capabilities {
        for entry in &capability.entries {
            if let Some(mut reason) = finding_reason(
                &capability.name,
                entry,
                &facts,
                &cascades,
                findings_are_causes,
                policy,
            ) {
                reason.root_cause &= findings_are_causes;
                if reason.decision_type == top_type {
                    of_top_type += 1;
                    resolved_by_evidence += usize::from(reason.cites.face_search);
                }
                reasons.push(reason);
            }
        }
    }
    let nothing_ran = workflow
        .capabilities
        .iter()
        .all(|capability| capability.entries.is_empty());
    if findings_are_causes && nothing_ran {
        // With no capability results, a top-level WARNING or REJECTED (say,
        // of a standalone database check) is the only evidence: the reason
        // cites it. Otherwise nothing about the person was verified.
        let only_evidence = match (&workflow.decision, top_type) {
            (Some(_), DecisionType::Warning) => Some(TransactionRule::TopLevelWarning),
            (Some(_), DecisionType::Rejected) => Some(TransactionRule::TopLevelRejected),
            _ => None,
        };
        reasons.push(match only_evidence {
            Some(rule) => reason_from_rule(
                "decision",
                top_type,
                top_raw_type,
                top_label,
                rules.get(rule),
            ),
            None => reason_from_rule(
                "workflow",
                top_type,
                top_raw_type,
                &workflow.status,
                rules.get(TransactionRule::NothingVerified),
            ),
        });
    }
    if findings_are_causes {
        for (area, label, rule) in checks::fired(&facts, policy) {
            reasons.push(reason_from_rule(area, top_type, top_raw_type, label, rule));
        }
    }

    // A missing top-level decision sets no floor. Nor does one whose every
    // finding of its type the evidence decided: Jumio rated the workflow by
    // what it could not resolve (a repeated face of the account's own earlier
    // attempts), and the evidence resolved exactly that.
    let explained = of_top_type > 0 && resolved_by_evidence == of_top_type;
    let floor = workflow
        .decision
        .as_ref()
        .filter(|_| !explained)
        .and_then(|_| top_level_floor(policy, top_type))
        .map(|rule| reason_from_rule("decision", top_type, top_raw_type, top_label, rule));
    let outcome = combine(policy, &mut reasons, floor);
    let outcome = spare_fraud_warnings(policy, &mut reasons, outcome);
    let (outcome, retries) = escalate_retry(policy, workflow, evidence, &mut reasons, outcome);

    Ok(Decision {
        outcome,
        result_code: reasons.first().map_or(APPROVED, |reason| reason.code),
        reasons,
        policy: policy.reference(),
        workflow_id: workflow.workflow_id.as_deref(),
        account_id: workflow.account_id.as_deref(),
        face_search,
        retries,
    })
}

/// A RETRY of an account already asked to retry: past the policy's budget
/// (`[retry.budget]`) it becomes that rule's outcome; after an earlier retry
/// in the window it suggests another channel (`[retry.other_channel]`, with
/// the message for the channel used). The rule's reason leads, on the
/// finding that made the RETRY, and cites the retries counted. The history
/// is returned whenever the policy counts retries and the outcome was RETRY.
fn escalate_retry<'a>(
    policy: &'a Policy,
    workflow: &WorkflowResult<'_>,
    evidence: &'a Evidence,
    reasons: &mut Vec<Reason<'a>>,
    outcome: Outcome,
) -> (Outcome, Option<RetryHistory<'a>>) {
    let checks = policy.checks();
    let Some(window_days) = policy.retry_window_days() else {
        return (outcome, None);
    };
    if outcome != Outcome::Retry {
        return (outcome, None);
    }
    let counted = count_retries(workflow, evidence, window_days);
    let channel = evidence.channel.as_deref();
    let budget = checks
        .retry_budget
        .as_ref()
        .filter(|((attempts, _), _)| counted.len() >= *attempts as usize);
    let (escalation, rule, user_message) = match (budget, &checks.other_channel) {
        (Some((_, rule)), _) => (
            Escalation::BudgetSpent,
            Some(rule),
            rule.action.user_message.as_deref(),
        ),
        (None, Some((suggest, rule))) if !counted.is_empty() => (
            Escalation::OtherChannel,
            Some(rule),
            channel
                .and_then(|channel| suggest.get(channel))
                .or(rule.action.user_message.as_ref())
                .map(String::as_str),
        ),
        _ => (Escalation::None, None, None),
    };
    let mut outcome = outcome;
    if let (Some(rule), Some(leading)) = (rule, reasons.first().cloned()) {
        outcome = rule.action.outcome;
        reasons.insert(
            0,
            Reason {
                catalogued: leading.catalogued,
                entry_id: leading.entry_id,
                credential_categories: leading.credential_categories,
                user_message,
                cites: Cites {
                    retries: true,
                    ..Cites::default()
                },
                ..reason_from_rule(
                    leading.capability,
                    leading.decision_type,
                    leading.raw_decision_type,
                    leading.label,
                    rule,
                )
            },
        );
    }
    let attempts = checks
        .retry_budget
        .as_ref()
        .map_or(0, |((attempts, _), _)| *attempts);
    let history = RetryHistory {
        counted,
        attempts,
        window_days,
        channel,
        escalation,
    };
    (outcome, Some(history))
}

/// The least outcome Jumio's top-level decision type allows, as a rule.
fn top_level_floor(policy: &Policy, top_type: DecisionType) -> Option<&CompiledRule> {
    let rule = match top_type {
        DecisionType::Passed => return None,
        DecisionType::Warning => TransactionRule::TopLevelWarning,
        DecisionType::Rejected => TransactionRule::TopLevelRejected,
        DecisionType::NotExecuted => TransactionRule::TopLevelNotExecuted,
        DecisionType::Other => TransactionRule::TopLevelUnrecognised,
    };
    Some(policy.transaction_rules().get(rule))
}

/// The combination rule, in one place: order the reasons (root causes first,
/// then worst outcome first, then the finding Jumio rated worse, then by
/// capability name, then input order), take the first one's outcome, and
/// raise it to the top-level floor, whose reason then leads. No reasons means
/// APPROVE.
fn combine<'a>(
    policy: &Policy,
    reasons: &mut Vec<Reason<'a>>,
    floor: Option<Reason<'a>>,
) -> Outcome {
    // A stable sort keeps input order among equals, so the order depends only
    // on the content.
    reasons.sort_by(|a, b| {
        b.root_cause
            .cmp(&a.root_cause)
            .then(policy.severity(b.outcome).cmp(&policy.severity(a.outcome)))
            .then(b.decision_type.severity().cmp(&a.decision_type.severity()))
            .then(a.capability.cmp(b.capability))
    });
    let outcome = reasons
        .first()
        .map_or(Outcome::Approve, |reason| reason.outcome);
    match floor {
        Some(floor) if policy.severity(floor.outcome) > policy.severity(outcome) => {
            let raised = floor.outcome;
            reasons.insert(0, floor);
            raised
        }
        _ => outcome,
    }
}

/// A RETRY whose root causes include a fraud-type warning (a code of the
/// policy's `retry.fraud_warning`) becomes that rule's outcome, a policy
/// choice rather than an accident of the outcome order: asking a possible
/// duplicate account to try again would hide the warning. The rule's reason
/// leads and names the warning (its capability, label and entry).
fn spare_fraud_warnings<'a>(
    policy: &'a Policy,
    reasons: &mut Vec<Reason<'a>>,
    outcome: Outcome,
) -> Outcome {
    let Some((codes, rule)) = &policy.checks().fraud_warning else {
        return outcome;
    };
    if outcome != Outcome::Retry || rule.action.outcome == Outcome::Retry {
        return outcome;
    }
    let Some(warning) = reasons
        .iter()
        .find(|reason| reason.root_cause && codes.iter().any(|code| code == reason.code))
        .cloned()
    else {
        return outcome;
    };
    reasons.insert(
        0,
        Reason {
            catalogued: warning.catalogued,
            entry_id: warning.entry_id,
            credential_categories: warning.credential_categories,
            ..reason_from_rule(
                warning.capability,
                warning.decision_type,
                warning.raw_decision_type,
                warning.label,
                rule,
            )
        },
    );
    rule.action.outcome
}

/// The reason a non-PASSED finding (or a PASSED one with a transaction-level
/// concern) gives, if any.
fn finding_reason<'a>(
    capability: &'a str,
    entry: &'a CapabilityEntry<'_>,
    facts: &Facts<'_>,
    cascades: &Cascades<'_, '_, '_>,
    findings_are_causes: bool,
    policy: &'a Policy,
) -> Option<Reason<'a>> {
    let decision_type = entry.decision_type();
    let rule = match decision_type {
        DecisionType::Passed => passed_concern(capability, entry, policy).or_else(|| {
            uncatalogued_pass(capability, entry).then_some(&policy.checks().passed_uncatalogued)
        })?,
        _ => policy.rule_for_finding(
            capability,
            decision_type,
            &entry.label,
            &Cascades::finding_facts(facts, entry),
            || cascades.dependents_ran(capability, entry),
        )?,
    };
    // A check that did not run for lack of input is a consequence when a
    // failure upstream explains it, and a root cause otherwise. After an
    // abandoned session every finding is a consequence: no need to look.
    let consequence = findings_are_causes && cascades.cause(capability, entry).is_some();
    Some(Reason {
        root_cause: !consequence,
        cites: Cites {
            face_search: rule.when.reads(Fact::FaceSearch),
            ..Cites::default()
        },
        catalogued: catalogue::lookup(capability, decision_type, &entry.label).is_some(),
        entry_id: entry.id.as_deref(),
        credential_categories: &entry.credential_categories,
        ..reason_from_rule(
            capability,
            decision_type,
            &entry.raw_decision_type,
            &entry.label,
            rule,
        )
    })
}

/// A PASSED finding of a catalogued capability whose label is none Jumio
/// passes a check with (`OK`, `MATCH`, `LOW_RISK`): a label Jumio added, or
/// one that contradicts the pass (liveness PASSED with
/// `LIVENESS_UNDETERMINED`). It is flagged (`catalogued: false`) and decided
/// by its type, by `passed.uncatalogued`. An empty label says nothing, and a
/// capability verdict does not know has no known pass labels to compare with.
pub(crate) fn uncatalogued_pass(capability: &str, entry: &CapabilityEntry<'_>) -> bool {
    !entry.label.is_empty() && catalogue::is_pass_label(capability, &entry.label) == Some(false)
}

/// Concerns Jumio passes but the business does not: an expired document (Jumio
/// does not flag expiry by default) and watchlist hits under a PASSED screening.
fn passed_concern<'a>(
    capability: &str,
    entry: &CapabilityEntry<'_>,
    policy: &'a Policy,
) -> Option<&'a CompiledRule> {
    let rules = policy.transaction_rules();
    let data = &entry.data;
    match capability {
        "extraction" => {
            // Expired before the day of completion; the day itself is valid.
            let expired = data.days_to_expiry.is_some_and(|left| left < 0);
            expired.then_some(rules.get(TransactionRule::DocumentExpired))
        }
        "watchlistScreening" => data
            .search_results
            .is_some_and(|hits| hits > 0)
            .then_some(rules.get(TransactionRule::WatchlistHits)),
        _ => None,
    }
}

/// The reason `rule` gives, as a root cause not tied to one capability entry;
/// findings fill in their entry's fields on top.
fn reason_from_rule<'a>(
    capability: &'a str,
    decision_type: DecisionType,
    raw_decision_type: &'a str,
    label: &'a str,
    rule: &'a CompiledRule,
) -> Reason<'a> {
    Reason {
        capability,
        decision_type,
        raw_decision_type,
        label,
        outcome: rule.action.outcome,
        code: &rule.action.code,
        message: &rule.action.message,
        user_message: rule.action.user_message.as_deref(),
        root_cause: true,
        rule_id: &rule.id,
        catalogued: true,
        entry_id: None,
        credential_categories: &[],
        cites: Cites::default(),
    }
}

pub mod account;
pub mod cascade;
mod checks;
pub mod decision;
pub mod explain;

#[cfg(test)]
mod tests;
