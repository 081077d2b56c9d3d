//! `explain`: for each non-PASSED finding (and each pass with an uncatalogued
//! label), every rule that could have decided it, in precedence order, and
//! why it did or did not. Computed only when a
//! caller asks, so [`super::evaluate`] pays nothing for it.

use super::cascade::{Cascades, Upstream};
use crate::evidence::{self, Evidence};
use crate::model::{DecisionType, WorkflowResult};
use crate::policy::{Facts, Policy};

/// The rules considered for one finding.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingTrace<'a> {
    pub capability: &'a str,
    pub decision_type: DecisionType,
    pub label: &'a str,
    pub entry_id: Option<&'a str>,
    /// Most specific first; exactly one is [`RuleVerdict::Chosen`].
    pub considered: Vec<RuleTrace<'a>>,
    /// For a consequence (a check that did not run for lack of input): the
    /// upstream finding it is attributed to. `None` for a root cause.
    pub caused_by: Option<Upstream<'a>>,
}

/// One rule's part in a finding's decision.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleTrace<'a> {
    pub rule_id: &'a str,
    pub verdict: RuleVerdict,
    pub why: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleVerdict {
    /// The most specific rule whose conditions hold: it decided the finding.
    Chosen,
    /// Its conditions hold, but a more specific rule decided.
    Outranked,
    /// One of its conditions does not hold.
    NotMatched,
}

/// Traces every non-PASSED finding of `workflow` through `policy`.
pub fn explain<'a>(workflow: &'a WorkflowResult<'_>, policy: &'a Policy) -> Vec<FindingTrace<'a>> {
    explain_with(workflow, policy, &evidence::NONE)
}

/// [`explain`], with the face search resolved through `evidence` as
/// evaluation resolves it: a `face_search` condition shows its value.
pub fn explain_with<'a>(
    workflow: &'a WorkflowResult<'_>,
    policy: &'a Policy,
    evidence: &'a Evidence,
) -> Vec<FindingTrace<'a>> {
    let (facts, _) = super::workflow_facts(workflow, policy, evidence);
    let cascades = Cascades::new(workflow, policy.cascade());
    let mut traces = Vec::new();
    for capability in &workflow.capabilities {
        for entry in &capability.entries {
            let decision_type = entry.decision_type();
            if decision_type == DecisionType::Passed {
                if super::uncatalogued_pass(&capability.name, entry) {
                    let rule = &policy.checks().passed_uncatalogued;
                    traces.push(FindingTrace {
                        capability: &capability.name,
                        decision_type,
                        label: &entry.label,
                        entry_id: entry.id.as_deref(),
                        considered: vec![RuleTrace {
                            rule_id: &rule.id,
                            verdict: RuleVerdict::Chosen,
                            why: "a pass whose label the catalogue does not list as one; decided by its type".to_owned(),
                        }],
                        caused_by: None,
                    });
                }
                continue;
            }
            let facts = Facts {
                dependents_ran: cascades.dependents_ran(&capability.name, entry),
                ..Cascades::finding_facts(&facts, entry)
            };
            let mut chosen: Option<&str> = None;
            let considered = policy
                .candidates(&capability.name, decision_type, &entry.label)
                .map(|rule| {
                    let (verdict, why) = match (rule.when.failure(&facts), chosen) {
                        (Some(failure), _) => (RuleVerdict::NotMatched, failure),
                        (None, Some(winner)) => (
                            RuleVerdict::Outranked,
                            format!("conditions hold, but {winner} is more specific"),
                        ),
                        (None, None) => {
                            chosen = Some(&rule.id);
                            let why = if rule.when.is_empty() {
                                "most specific rule for this finding".to_owned()
                            } else {
                                format!(
                                    "most specific rule whose conditions hold ({})",
                                    rule.when.describe()
                                )
                            };
                            (RuleVerdict::Chosen, why)
                        }
                    };
                    RuleTrace {
                        rule_id: &rule.id,
                        verdict,
                        why,
                    }
                })
                .collect();
            traces.push(FindingTrace {
                capability: &capability.name,
                decision_type,
                label: &entry.label,
                entry_id: entry.id.as_deref(),
                considered,
                caused_by: cascades.cause(&capability.name, entry),
            });
        }
    }
    traces
}
