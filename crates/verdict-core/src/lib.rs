//! verdict's decision logic, free of transport: the Jumio workflow-result model
//! and its JSON parser, the label catalogue, policies, and evaluation.
//!
//! Layers, each importing only those below it:
//! `model`/`catalogue`/`json`/`evidence` → `policy` → `evaluate` →
//! `authoring`; `facts` (the decision ledger's record of a workflow and its
//! evidence) reads the model and the evidence only.
//! Nothing here does network I/O or reads a clock; the only file I/O is in
//! [`authoring::files`].
//!
//! ```
//! use verdict_core::{Outcome, Policy, evaluate, parse_workflow_json};
//!
//! let body = r#"{"workflow": {"id": "w-1", "status": "PROCESSED"},
//!                "decision": {"type": "PASSED", "risk": {"score": 0}},
//!                "capabilities": {"usability": [{"decision": {"type": "PASSED", "details": {"label": "OK"}}}]}}"#;
//! let workflow = parse_workflow_json(body)?;
//! let policy = Policy::embedded_default();
//! let decision = evaluate(&workflow, &policy)?;
//! assert_eq!(decision.outcome, Outcome::Approve);
//! assert_eq!(decision.result_code, "APPROVED");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

pub mod authoring;
pub mod catalogue;
pub mod error;
pub mod evaluate;
pub mod evidence;
pub mod facts;
mod hash;
pub mod json;
pub mod model;
pub mod policy;
pub mod position;

pub use error::{JsonError, NotFinal, truncated};
pub use evaluate::account::{
    FaceMatch, FaceSearchResolution, RetryHistory, Wanted, retry_in_window, wanted,
};
pub use evaluate::cascade::Upstream;
pub use evaluate::decision::{APPROVED, Cites, Decision, Reason};
pub use evaluate::explain::{FindingTrace, RuleTrace, RuleVerdict, explain, explain_with};
pub use evaluate::{evaluate, evaluate_with};
pub use evidence::{Evidence, FaceRelation, Feedback, KnownWorkflow, PriorRetry};
// At the root under names that say what they read and write.
pub use facts::{
    FACTS_VERSION, FactsError, from_json as facts_from_json, to_json as facts_to_json,
};
pub use hash::sha256_digest;
pub use json::{MAX_ENTRIES, MAX_ENTRIES_PER_CAPABILITY, parse_workflow_json, too_deep};
pub use model::{
    Capability, CapabilityData, CapabilityEntry, DecisionType, FaceSearch,
    MAX_FACE_SEARCH_FINDINGS, Outcome, RISK_SCORES, TopLevelDecision, WorkflowResult,
    WorkflowStatus,
};
pub use policy::default::{DEFAULT_POLICY_ID, load_policy};
pub use policy::file::{FileError, FileErrors};
pub use policy::{Facts, Policy, PolicyError, PolicyErrors, PolicyRef, PolicySpec, is_code};
