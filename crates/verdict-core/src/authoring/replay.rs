//! `verdict replay`: what a candidate policy would have decided, over
//! recorded facts (a backtest) or over retrieval bodies decided under a
//! baseline policy.
//!
//! A [`Report`] is an accumulator of bounded size, whatever the number of
//! decisions: counts per transition, per result-code change and per rule,
//! and a few sample ids for each — the ones first in replay order, so that
//! reports built in parallel over parts of the input and then
//! [merged](Report::merge) are the same as one built in order.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

use crate::evidence::{Evidence, Feedback};
use crate::facts;
use crate::json::parse_workflow_json;
use crate::model::Outcome;
use crate::policy::Policy;
use crate::{Decision, evaluate_with};

/// Sample ids kept per transition, code change, rule and failure.
pub const SAMPLES: usize = 5;

/// The rule id shown for a decision with no reason (approved).
pub const NO_RULE: &str = "(none)";

/// What was decided before: as the ledger recorded it, or under the
/// baseline policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Before<'a> {
    /// As the ledger spells outcomes (`APPROVE`…); any other recorded text
    /// is kept as it is.
    pub outcome: &'a str,
    pub result_code: &'a str,
}

/// What the candidate decided, in brief: the part of a decision a replay
/// compares, and the rule responsible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict<'a> {
    pub outcome: Outcome,
    pub result_code: &'a str,
    /// The rule of the first reason: the one the result code is from.
    pub rule_id: &'a str,
}

impl<'a> Verdict<'a> {
    pub fn of(decision: &Decision<'a>) -> Self {
        Self {
            outcome: decision.outcome,
            result_code: decision.result_code,
            rule_id: decision
                .reasons
                .first()
                .map_or(NO_RULE, |reason| reason.rule_id),
        }
    }
}

/// One decision to replay: its place in the input, its id (a decision id,
/// a file name or `FILE:LINE`), and what was decided before.
#[derive(Debug, Clone, Copy)]
pub struct Case<'a> {
    /// Orders the samples: the ledger's sequence number, or the body's
    /// position in the input.
    pub order: u64,
    pub id: &'a str,
    /// The latest feedback on the workflow.
    pub feedback: Option<Feedback>,
}

/// Why an input was not re-decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Undecidable {
    /// A ledger record whose facts this build cannot read.
    UnreadableFacts,
    /// A body that is not a retrieval-API result.
    InvalidBody,
    /// A body file that could not be read (or is not UTF-8).
    UnreadableBody,
    /// A workflow that is not final (still INITIATED or ACQUIRED).
    NotFinal,
}

/// A count and the first few ids it counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    /// (order, id), ascending, at most [`SAMPLES`].
    samples: Vec<(u64, String)>,
}

impl Tally {
    fn note(&mut self, order: u64, id: &str) {
        self.count += 1;
        if self.samples.len() == SAMPLES {
            match self.samples.last() {
                Some(&(last, _)) if order < last => {
                    self.samples.pop();
                }
                _ => return,
            }
        }
        let at = self.samples.partition_point(|(kept, _)| *kept < order);
        self.samples.insert(at, (order, id.to_owned()));
    }

    fn merge(&mut self, other: Tally) {
        self.count += other.count;
        self.samples.extend(other.samples);
        self.samples.sort_unstable();
        self.samples.truncate(SAMPLES);
    }

    /// The sample ids, first in replay order first.
    pub fn samples(&self) -> impl Iterator<Item = &str> {
        self.samples.iter().map(|(_, id)| id.as_str())
    }
}

/// What a candidate policy changes over a set of decisions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// from outcome → to outcome, every re-decided input (unchanged ones on
    /// the diagonal).
    transitions: BTreeMap<String, BTreeMap<&'static str, Tally>>,
    /// from code → to code, where the result code changed.
    codes: BTreeMap<String, BTreeMap<String, Tally>>,
    /// The candidate's deciding rule, for decisions whose outcome or code
    /// changed.
    rules: BTreeMap<String, Tally>,
    /// Decisions of workflows with FRAUD_CONFIRMED feedback that the
    /// candidate approves.
    fraud_approved: Tally,
    undecidable: BTreeMap<Undecidable, Tally>,
}

impl Report {
    /// Counts one re-decision: `before` as decided, `after` under the candidate.
    pub fn add(&mut self, case: &Case<'_>, before: &Before<'_>, after: &Verdict<'_>) {
        let to = after.outcome.name();
        entry(&mut self.transitions, before.outcome)
            .entry(to)
            .or_default()
            .note(case.order, case.id);
        if before.result_code != after.result_code {
            let from = entry(&mut self.codes, before.result_code);
            entry(from, after.result_code).note(case.order, case.id);
        }
        if before.outcome != to || before.result_code != after.result_code {
            entry(&mut self.rules, after.rule_id).note(case.order, case.id);
        }
        if case.feedback == Some(Feedback::FraudConfirmed) && after.outcome == Outcome::Approve {
            self.fraud_approved.note(case.order, case.id);
        }
    }

    /// Counts an input that could not be re-decided.
    pub fn fail(&mut self, case: &Case<'_>, why: Undecidable) {
        self.undecidable
            .entry(why)
            .or_default()
            .note(case.order, case.id);
    }

    /// Adds another part's counts: merging the parts of an input gives the
    /// report of the whole, in any order.
    pub fn merge(&mut self, other: Report) {
        for (from, row) in other.transitions {
            let mine = self.transitions.entry(from).or_default();
            for (to, tally) in row {
                mine.entry(to).or_default().merge(tally);
            }
        }
        for (from, row) in other.codes {
            let mine = self.codes.entry(from).or_default();
            for (to, tally) in row {
                mine.entry(to).or_default().merge(tally);
            }
        }
        for (rule, tally) in other.rules {
            self.rules.entry(rule).or_default().merge(tally);
        }
        self.fraud_approved.merge(other.fraud_approved);
        for (why, tally) in other.undecidable {
            self.undecidable.entry(why).or_default().merge(tally);
        }
    }

    /// Inputs re-decided.
    pub fn replayed(&self) -> u64 {
        self.transitions
            .values()
            .flat_map(BTreeMap::values)
            .map(|tally| tally.count)
            .sum()
    }

    /// Inputs whose outcome or result code changed.
    pub fn changed(&self) -> u64 {
        self.rules.values().map(|tally| tally.count).sum()
    }

    /// The report as tools read it, with shares of the inputs re-decided.
    pub fn summary(&self) -> Summary<'_> {
        let replayed = self.replayed();
        let share = |count: u64| {
            #[expect(
                clippy::cast_precision_loss,
                reason = "a share for people: 2^53 decisions are not replayed"
            )]
            let share = if replayed == 0 {
                0.0
            } else {
                count as f64 / replayed as f64
            };
            (share * 1e6).round() / 1e6
        };
        Summary {
            replayed,
            changed: self.changed(),
            transitions: self
                .transitions
                .iter()
                .flat_map(|(from, row)| {
                    row.iter()
                        .map(move |(to, tally)| (from.as_str(), *to, tally))
                })
                .map(|(from, to, tally)| Transition {
                    from,
                    to,
                    count: tally.count,
                    share: share(tally.count),
                    samples: tally.samples().collect(),
                })
                .collect(),
            result_codes: self
                .codes
                .iter()
                .flat_map(|(from, row)| {
                    row.iter()
                        .map(move |(to, tally)| (from.as_str(), to.as_str(), tally))
                })
                .map(|(from, to, tally)| CodeChange {
                    from,
                    to,
                    count: tally.count,
                    samples: tally.samples().collect(),
                })
                .collect(),
            rules: self
                .rules
                .iter()
                .map(|(rule_id, tally)| RuleCount {
                    rule_id,
                    count: tally.count,
                    samples: tally.samples().collect(),
                })
                .collect(),
            fraud_approved: Counted {
                count: self.fraud_approved.count,
                samples: self.fraud_approved.samples().collect(),
            },
            undecidable: self
                .undecidable
                .iter()
                .map(|(why, tally)| Failure {
                    why: *why,
                    count: tally.count,
                    samples: tally.samples().collect(),
                })
                .collect(),
        }
    }
}

/// The value at `key`, made when missing: the key is copied only then (most
/// re-decisions land on rows that exist).
fn entry<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_owned(), V::default());
    }
    #[expect(
        clippy::expect_used,
        reason = "the key was inserted just above when it was missing"
    )]
    map.get_mut(key).expect("present")
}

/// [`Report::summary`]: sorted lists, for JSON and tables.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary<'r> {
    pub replayed: u64,
    pub changed: u64,
    pub transitions: Vec<Transition<'r>>,
    pub result_codes: Vec<CodeChange<'r>>,
    pub rules: Vec<RuleCount<'r>>,
    pub fraud_approved: Counted<'r>,
    pub undecidable: Vec<Failure<'r>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition<'r> {
    pub from: &'r str,
    pub to: &'r str,
    pub count: u64,
    /// Of the inputs re-decided.
    pub share: f64,
    pub samples: Vec<&'r str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeChange<'r> {
    pub from: &'r str,
    pub to: &'r str,
    pub count: u64,
    pub samples: Vec<&'r str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount<'r> {
    /// The candidate's rule that now decides ([`NO_RULE`]: approved).
    pub rule_id: &'r str,
    pub count: u64,
    pub samples: Vec<&'r str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counted<'r> {
    pub count: u64,
    pub samples: Vec<&'r str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure<'r> {
    pub why: Undecidable,
    pub count: u64,
    pub samples: Vec<&'r str>,
}

/// Re-decides a recorded decision from its facts (and the evidence recorded
/// with them) under `candidate`.
pub fn replay_facts(
    report: &mut Report,
    case: &Case<'_>,
    before: &Before<'_>,
    facts_json: &str,
    candidate: &Policy,
) {
    let Ok((workflow, evidence)) = facts::from_json(facts_json) else {
        return report.fail(case, Undecidable::UnreadableFacts);
    };
    match evaluate_with(&workflow, candidate, &evidence) {
        Ok(decision) => report.add(case, before, &Verdict::of(&decision)),
        Err(_) => report.fail(case, Undecidable::NotFinal),
    }
}

/// Decides a retrieval body under `baseline` and `candidate`, with the same
/// evidence for both; with `account`, only a body of that account (a body
/// that is not a result is counted as such either way).
pub fn replay_body(
    report: &mut Report,
    case: &Case<'_>,
    body: &str,
    account: Option<&str>,
    evidence: &Evidence,
    baseline: &Policy,
    candidate: &Policy,
) {
    let Ok(workflow) = parse_workflow_json(body) else {
        return report.fail(case, Undecidable::InvalidBody);
    };
    if account.is_some_and(|account| workflow.account_id.as_deref() != Some(account)) {
        return;
    }
    match (
        evaluate_with(&workflow, baseline, evidence),
        evaluate_with(&workflow, candidate, evidence),
    ) {
        (Ok(before), Ok(after)) => {
            let before = Before {
                outcome: before.outcome.name(),
                result_code: before.result_code,
            };
            report.add(case, &before, &Verdict::of(&after));
        }
        _ => report.fail(case, Undecidable::NotFinal),
    }
}

/// Decides what `feed` hands out on `workers` threads, each into its own
/// report, and returns the merged report with the number of items decided.
///
/// `feed` runs on the calling thread and hands chunks of work to a queue of
/// a few chunks: reading waits for deciding, so memory holds a few chunks
/// whatever the input's length. `send` returns false once nobody decides
/// any more (a worker panicked: the queue is closed, the feed should stop,
/// and the panic is raised again here). `progress` is called after each
/// chunk handed over, with the items decided so far.
pub fn in_parallel<T: Send, E>(
    workers: usize,
    decide: impl Fn(&mut Report, &T) + Sync,
    feed: impl FnOnce(&mut dyn FnMut(Vec<T>) -> bool) -> Result<(), E>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(Report, u64), E> {
    let workers = workers.max(1);
    let done = AtomicU64::new(0);
    let (sender, receiver) = sync_channel::<Vec<T>>(workers * 2);
    // Taken (so dropped, closing the queue) by a worker that panics.
    let receiver = Mutex::new(Some(receiver));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let _closes = CloseOnPanic(&receiver);
                    let mut report = Report::default();
                    loop {
                        let next = receiver
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .as_ref()
                            .map(std::sync::mpsc::Receiver::recv);
                        let Some(Ok(chunk)) = next else { return report };
                        for item in &chunk {
                            decide(&mut report, item);
                        }
                        done.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        let fed = feed(&mut |chunk: Vec<T>| {
            let sent = sender.send(chunk).is_ok();
            progress(done.load(Ordering::Relaxed));
            sent
        });
        drop(sender);
        let mut merged = Report::default();
        for handle in handles {
            // A worker only panics on a bug; the caller sees it as such.
            merged.merge(
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        fed.map(|()| (merged, done.load(Ordering::Relaxed)))
    })
}

/// Drops the shared receiver when its worker unwinds, so that the feed's
/// next send fails instead of waiting for workers that are gone.
struct CloseOnPanic<'r, T>(&'r Mutex<Option<std::sync::mpsc::Receiver<T>>>);

impl<T> Drop for CloseOnPanic<'_, T> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            drop(self.0.lock().unwrap_or_else(PoisonError::into_inner).take());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn before<'a>(outcome: &'a str, code: &'a str) -> Before<'a> {
        Before {
            outcome,
            result_code: code,
        }
    }

    fn verdict<'a>(outcome: Outcome, code: &'a str, rule: &'a str) -> Verdict<'a> {
        Verdict {
            outcome,
            result_code: code,
            rule_id: rule,
        }
    }

    fn case(order: u64, id: &str) -> Case<'_> {
        Case {
            order,
            id,
            feedback: None,
        }
    }

    #[test]
    fn samples_are_the_first_in_replay_order_however_the_input_is_split() {
        let ids: Vec<String> = (0..40).map(|n| format!("d-{n:02}")).collect();
        let before = before("APPROVE", "APPROVED");
        let after = verdict(Outcome::Review, "DOCUMENT_PUNCHED", "image-punched");
        let mut whole = Report::default();
        for (n, id) in ids.iter().enumerate() {
            whole.add(&case(n as u64, id), &before, &after);
        }
        // Two workers, each with every other input, merged late part first.
        let (mut even, mut odd) = (Report::default(), Report::default());
        for (n, id) in ids.iter().enumerate().rev() {
            let part = if n % 2 == 0 { &mut even } else { &mut odd };
            part.add(&case(n as u64, id), &before, &after);
        }
        odd.merge(even);
        assert_eq!(odd, whole);
        let summary = whole.summary();
        assert_eq!(summary.replayed, 40);
        assert_eq!(summary.changed, 40);
        assert_eq!(
            summary.transitions[0].samples,
            ["d-00", "d-01", "d-02", "d-03", "d-04"]
        );
        assert_eq!(summary.rules[0].rule_id, "image-punched");
    }

    #[test]
    fn unchanged_decisions_stay_on_the_diagonal_and_change_nothing_else() {
        let mut report = Report::default();
        let same = verdict(Outcome::Retry, "IMAGE_QUALITY_BLURRED", "usability-blurred");
        report.add(
            &case(1, "d-1"),
            &before("RETRY", "IMAGE_QUALITY_BLURRED"),
            &same,
        );
        let summary = report.summary();
        assert_eq!(summary.replayed, 1);
        assert_eq!(summary.changed, 0);
        assert_eq!(
            (summary.transitions[0].from, summary.transitions[0].to),
            ("RETRY", "RETRY")
        );
        assert_eq!(summary.transitions[0].share, 1.0);
        assert!(summary.result_codes.is_empty() && summary.rules.is_empty());
    }

    #[test]
    fn a_code_change_within_one_outcome_is_a_change() {
        let mut report = Report::default();
        report.add(
            &case(1, "d-1"),
            &before("REVIEW", "DOCUMENT_PUNCHED"),
            &verdict(Outcome::Review, "DOCUMENT_DAMAGED", "b"),
        );
        let summary = report.summary();
        assert_eq!(summary.changed, 1);
        assert_eq!(
            (summary.result_codes[0].from, summary.result_codes[0].to),
            ("DOCUMENT_PUNCHED", "DOCUMENT_DAMAGED")
        );
        assert_eq!(summary.rules[0].rule_id, "b");
    }

    #[test]
    fn a_worker_that_panics_stops_the_feed_and_its_panic_is_raised() {
        let fed = std::sync::atomic::AtomicUsize::new(0);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            in_parallel(
                1,
                |_: &mut Report, _: &u32| panic!("a bug in deciding"),
                |send| {
                    // Far more chunks than the queue holds: without the
                    // queue closing, this would wait for ever.
                    for chunk in 0..1_000 {
                        if !send(vec![chunk]) {
                            break;
                        }
                        fed.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok::<(), ()>(())
                },
                &|_| {},
            )
        }));
        assert!(outcome.is_err(), "the worker's panic is raised again");
        assert!(fed.load(Ordering::Relaxed) < 10, "the feed stopped");
    }

    #[test]
    fn fraud_feedback_counts_only_when_the_candidate_approves() {
        let mut report = Report::default();
        let declined_before = before("DECLINE", "REPEATED_FACE_FRAUD");
        let declined = verdict(Outcome::Decline, "REPEATED_FACE_FRAUD", "face-fraud");
        let approved = verdict(Outcome::Approve, "APPROVED", NO_RULE);
        let fraud = |order, id| Case {
            order,
            id,
            feedback: Some(Feedback::FraudConfirmed),
        };
        report.add(&fraud(1, "d-1"), &declined_before, &approved);
        report.add(&fraud(2, "d-2"), &declined_before, &declined);
        let legit = Case {
            feedback: Some(Feedback::Legitimate),
            ..case(3, "d-3")
        };
        report.add(&legit, &declined_before, &approved);
        let summary = report.summary();
        assert_eq!(summary.fraud_approved.count, 1);
        assert_eq!(summary.fraud_approved.samples, ["d-1"]);
    }
}
