//! Cascades: which NOT_EXECUTED findings are consequences of a failure
//! upstream, as a policy setting (`[cascade]` in a policy file).
//!
//! Jumio runs a workflow's capabilities in dependency order — usability
//! first, then image checks and extraction, then data checks, screening and
//! the other services that read the extracted data — and a capability whose
//! input an earlier one could not provide reports NOT_EXECUTED with a label
//! that says so (`PRECONDITION_NOT_FULFILLED`, and for screening also
//! `VALIDATION_FAILED`, `EXTRACTION_NOT_DONE`, `NO_VALID_ID_CREDENTIAL`).
//! Such a finding is a consequence when a capability it depends on failed for
//! the same credential, and a root cause ("the check did not run") when
//! nothing upstream explains it.
//!
//! The graph is data, not code, because Jumio's documented order has changed:
//! its 2021–23 API guide has image checks before extraction, its current
//! capability reference has extraction before image checks. The built-in
//! graph ([`CascadeSpec::jumio`]) takes both, so either order explains the
//! other's consequences.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::hash::FixedKeyMap;

/// A policy's cascade settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CascadeSpec {
    /// NOT_EXECUTED labels that mean "my input was missing or invalid".
    pub input_labels: Vec<String>,
    /// For each capability, the capabilities whose results it needs. A
    /// capability not listed depends on nothing, so its NOT_EXECUTED findings
    /// are root causes.
    pub upstream: BTreeMap<String, Vec<String>>,
}

/// The capabilities that read the data extraction provides.
const READS_EXTRACTED_DATA: [&str; 5] = [
    "dataChecks",
    "watchlistScreening",
    "addressValidation",
    "proofOfResidency",
    "drivingLicenseVerification",
];

impl CascadeSpec {
    /// Jumio's documented dependencies: the "Dependencies" of each capability
    /// in its API guide (2021–23) and its current capability reference, the
    /// union of both. The default policy file states the same table.
    pub fn jumio() -> Self {
        let list = |names: &[&str]| names.iter().map(|name| (*name).to_owned()).collect();
        let mut upstream: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for capability in ["liveness", "similarity", "authentication"] {
            upstream.insert(capability.to_owned(), list(&["usability"]));
        }
        upstream.insert("imageChecks".to_owned(), list(&["usability", "extraction"]));
        upstream.insert("extraction".to_owned(), list(&["usability", "imageChecks"]));
        for capability in READS_EXTRACTED_DATA {
            upstream.insert(
                capability.to_owned(),
                list(&["usability", "imageChecks", "extraction"]),
            );
        }
        Self {
            input_labels: list(&[
                "PRECONDITION_NOT_FULFILLED",
                "VALIDATION_FAILED",
                "EXTRACTION_NOT_DONE",
                "NO_VALID_ID_CREDENTIAL",
            ]),
            upstream,
        }
    }

    /// Capabilities listed as depending on themselves.
    pub fn self_dependent(&self) -> impl Iterator<Item = &str> {
        self.upstream
            .iter()
            .filter(|(capability, needs)| needs.contains(capability))
            .map(|(capability, _)| capability.as_str())
    }

    /// The settings in words, for `policy diff`.
    pub fn describe(&self) -> String {
        let graph: Vec<String> = self
            .upstream
            .iter()
            .map(|(capability, needs)| format!("{capability}<-{}", needs.join("+")))
            .collect();
        format!(
            "input_labels={}; upstream: {}",
            self.input_labels.join(","),
            graph.join(", ")
        )
    }
}

/// The cascade settings with the graph closed over: every capability a
/// capability depends on, directly or not, and every one that depends on it.
#[derive(Debug, Clone, Default)]
pub struct CompiledCascade {
    input_labels: Vec<String>,
    /// Nearest first: direct dependencies in the order given, then theirs.
    upstream: FixedKeyMap<String, Vec<String>>,
    downstream: FixedKeyMap<String, Vec<String>>,
}

impl CompiledCascade {
    pub fn new(spec: &CascadeSpec) -> Self {
        let mut upstream: FixedKeyMap<String, Vec<String>> = FixedKeyMap::default();
        for capability in spec.upstream.keys() {
            let mut closure: Vec<String> = Vec::new();
            let mut next = 0;
            let mut frontier: Vec<&String> = spec.upstream[capability].iter().collect();
            while next < frontier.len() {
                let needed = frontier[next];
                next += 1;
                if needed == capability || closure.contains(needed) {
                    continue;
                }
                closure.push(needed.clone());
                if let Some(further) = spec.upstream.get(needed) {
                    frontier.extend(further);
                }
            }
            upstream.insert(capability.clone(), closure);
        }
        let mut downstream: FixedKeyMap<String, Vec<String>> = FixedKeyMap::default();
        // BTreeMap order: the dependents of each capability in name order.
        for capability in spec.upstream.keys() {
            for needed in &upstream[capability] {
                downstream
                    .entry(needed.clone())
                    .or_default()
                    .push(capability.clone());
            }
        }
        Self {
            input_labels: spec.input_labels.clone(),
            upstream,
            downstream,
        }
    }

    /// Whether a NOT_EXECUTED `label` means "my input was missing or invalid".
    pub fn is_input_label(&self, label: &str) -> bool {
        self.input_labels.iter().any(|known| known == label)
    }

    /// Every capability `capability` depends on, nearest first.
    pub fn upstream_of(&self, capability: &str) -> &[String] {
        self.upstream.get(capability).map_or(&[], Vec::as_slice)
    }

    /// Every capability that depends on `capability`.
    pub fn downstream_of(&self, capability: &str) -> &[String] {
        self.downstream.get(capability).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_graph_is_closed_over_nearest_first_and_cycles_end() {
        let cascade = CompiledCascade::new(&CascadeSpec::jumio());
        assert_eq!(
            cascade.upstream_of("dataChecks"),
            ["usability", "imageChecks", "extraction"]
        );
        // The two documented orders of image checks and extraction form a
        // cycle: each is upstream of the other, never of itself.
        assert_eq!(
            cascade.upstream_of("extraction"),
            ["usability", "imageChecks"]
        );
        assert_eq!(
            cascade.upstream_of("imageChecks"),
            ["usability", "extraction"]
        );
        assert_eq!(cascade.upstream_of("usability"), Vec::<String>::new());
        assert_eq!(
            cascade.upstream_of("braCpfValidation"),
            Vec::<String>::new()
        );
        assert!(
            cascade
                .downstream_of("usability")
                .iter()
                .any(|capability| capability == "similarity")
        );
        assert_eq!(cascade.downstream_of("liveness"), Vec::<String>::new());
        assert!(cascade.is_input_label("EXTRACTION_NOT_DONE"));
        assert!(!cascade.is_input_label("TECHNICAL_ERROR"));
    }
}
