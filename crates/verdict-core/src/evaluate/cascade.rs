//! Consequences and their causes in one workflow, on the policy's dependency
//! graph (`policy/cascade.rs`).
//!
//! A NOT_EXECUTED finding with an input label ("my input was missing or
//! invalid") is a consequence when a capability it depends on, directly or
//! not, has a finding that is not PASSED, is not itself such a consequence,
//! and concerns the same credential: a selfie that failed usability explains
//! why liveness did not run, not why data checks on the ID did not. The
//! cause found is the nearest one upstream. Without one, the finding is a
//! root cause: the check did not run and nothing says why.

use crate::model::{CapabilityEntry, DecisionType, WorkflowResult};
use crate::policy::{CompiledCascade, Credentials, Facts};

/// The upstream finding a consequence is attributed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upstream<'a> {
    pub capability: &'a str,
    pub decision_type: DecisionType,
    pub label: &'a str,
    pub entry_id: Option<&'a str>,
}

/// The cascades of one workflow under one policy. Walks the workflow's
/// entries on demand: nothing is allocated.
pub(crate) struct Cascades<'w, 'a, 'p> {
    workflow: &'w WorkflowResult<'a>,
    cascade: &'p CompiledCascade,
}

impl<'w, 'a, 'p> Cascades<'w, 'a, 'p> {
    pub(crate) fn new(workflow: &'w WorkflowResult<'a>, cascade: &'p CompiledCascade) -> Self {
        Self { workflow, cascade }
    }

    /// Whether `entry` says its input was missing or invalid.
    fn input_missing(&self, entry: &CapabilityEntry<'_>) -> bool {
        entry.decision_type() == DecisionType::NotExecuted
            && self.cascade.is_input_label(&entry.label)
    }

    /// The entries of the capabilities named, in graph order, then input order.
    fn entries_of(
        &self,
        capabilities: &'p [String],
    ) -> impl Iterator<Item = (&'w str, &'w CapabilityEntry<'a>)> + use<'w, 'a, 'p> {
        let workflow = self.workflow;
        capabilities.iter().flat_map(move |name| {
            workflow
                .capabilities
                .iter()
                .filter(move |capability| capability.name == *name)
                .flat_map(|capability| {
                    capability
                        .entries
                        .iter()
                        .map(move |entry| (capability.name.as_ref(), entry))
                })
        })
    }

    /// The upstream finding that explains `entry` of `capability`, if it is a
    /// consequence.
    pub(crate) fn cause(
        &self,
        capability: &str,
        entry: &CapabilityEntry<'_>,
    ) -> Option<Upstream<'w>> {
        if !self.input_missing(entry) {
            return None;
        }
        self.entries_of(self.cascade.upstream_of(capability))
            .find(|(_, upstream)| {
                upstream.decision_type() != DecisionType::Passed
                    && !self.input_missing(upstream)
                    && same_credential(entry, upstream)
            })
            .map(|(capability, upstream)| Upstream {
                capability,
                decision_type: upstream.decision_type(),
                label: &upstream.label,
                entry_id: upstream.id.as_deref(),
            })
    }
}

impl Cascades<'_, '_, '_> {
    /// Whether the capabilities that depend on `capability` ran: `false` when
    /// one that uses `entry`'s credential did not run for lack of input,
    /// `true` when some are in the workflow and none was stopped so, `None`
    /// when none is in the workflow.
    pub(crate) fn dependents_ran(
        &self,
        capability: &str,
        entry: &CapabilityEntry<'_>,
    ) -> Option<bool> {
        let mut present = false;
        for (_, dependent) in self.entries_of(self.cascade.downstream_of(capability)) {
            if self.input_missing(dependent) && same_credential(entry, dependent) {
                return Some(false);
            }
            present = true;
        }
        present.then_some(true)
    }

    /// The facts conditions read for `entry`: the workflow's, plus the
    /// finding's credentials. Whether its dependents ran is left absent:
    /// [`crate::policy::Policy::rule_for_finding`] works it out when a rule
    /// asks.
    pub(crate) fn finding_facts<'f>(
        workflow_facts: &Facts<'f>,
        entry: &CapabilityEntry<'_>,
    ) -> Facts<'f> {
        Facts {
            credentials: Credentials::of(entry.credential_categories.iter().map(AsRef::as_ref)),
            ..*workflow_facts
        }
    }
}

/// Whether two entries evaluated a credential of the same category. An entry
/// that names no credential may concern any.
fn same_credential(a: &CapabilityEntry<'_>, b: &CapabilityEntry<'_>) -> bool {
    a.credential_categories.is_empty()
        || b.credential_categories.is_empty()
        || a.credential_categories
            .iter()
            .any(|category| b.credential_categories.contains(category))
}
