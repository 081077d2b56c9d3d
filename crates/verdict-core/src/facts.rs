//! The facts of a decision, for the decision ledger: the workflow result as
//! the policy language reads it, with no personal data, as compact JSON.
//!
//! The record is the model ([`WorkflowResult`]) as it is: the model holds
//! exactly what policies read, and no names, document numbers, addresses,
//! images, URLs or dates of birth (document dates are kept as days to expiry
//! and age as of `completedAt`). So evaluating the workflow read back from
//! its record, under the same policy, gives the same decision as evaluating
//! the workflow itself.
//!
//! ```json
//! {"v":1,"workflow":{"workflow_id":"w-1","status":"PROCESSED","definition_key":"10013",
//!  "account_id":"a-1","completed_at":"2025-03-04T10:20:05.871Z",
//!  "decision":{"raw_decision_type":"PASSED","label":"OK","risk_score":0.0},
//!  "capabilities":[{"name":"extraction","entries":[{"id":"e-1","credential_categories":["ID"],
//!   "raw_decision_type":"PASSED","label":"OK","data":{"document_type":"PASSPORT",
//!   "issuing_country":"AUT","days_to_expiry":2401,"age_years":37}}]}]}}
//! ```
//!
//! Field names are the model's, in snake case, in declaration order; every
//! field is written, absent ones as `null`, but for an entry's `data`, whose
//! absent fields are left out (most entries have none). Reading refuses unknown fields
//! and versions other than [`FACTS_VERSION`], which changes whenever what a
//! record means does.
//!
//! A decision made with [`Evidence`] (earlier workflows, retries, the channel)
//! is recorded as version 2, `{"v":2,"workflow":{…},"evidence":{…}}`, so the
//! decision replays from its record alone. Without evidence the record stays
//! version 1, byte for byte what it was before evidence existed.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::evidence::Evidence;
use crate::model::WorkflowResult;

/// The version of the record [`to_json`] writes with evidence; records
/// without evidence are written as version 1. [`from_json`] reads both.
pub const FACTS_VERSION: u32 = 2;

/// The version of a record without evidence.
const WITHOUT_EVIDENCE: u32 = 1;

/// Why a facts record could not be read.
#[derive(Debug, Error)]
pub enum FactsError {
    /// The record is of another version.
    #[error("facts record version {found}; this build reads versions 1 and {FACTS_VERSION}")]
    UnknownVersion { found: u32 },
    /// The record is not JSON, or not a record of this version.
    #[error("not a facts record: {0}")]
    Json(#[from] serde_json::Error),
}

/// A record as written.
#[derive(Serialize)]
struct RecordOut<'r, 'a> {
    v: u32,
    workflow: &'r WorkflowResult<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'r Evidence>,
}

/// A record as read, once its version is known to be [`FACTS_VERSION`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordIn<'a> {
    #[serde(rename = "v")]
    _version: u32,
    #[serde(borrow)]
    workflow: WorkflowResult<'a>,
    #[serde(default)]
    evidence: Evidence,
}

/// Only the version: read first, so that a record of another version is
/// refused as such rather than for a field this build does not know.
#[derive(Deserialize)]
struct Version {
    v: u32,
}

/// Refuses a record of a version this build does not read. [`to_json`]
/// writes the version first (`{"v":2,…`), so that prefix is read directly; a
/// record written otherwise is scanned whole for its `v`. Reading the
/// prefix halves the cost of a replay, which reads every record.
fn check_version(json: &str) -> Result<(), FactsError> {
    let prefixed = json
        .strip_prefix(r#"{"v":"#)
        .and_then(|rest| rest.split_once(','))
        .and_then(|(digits, _)| digits.parse::<u32>().ok());
    let v = match prefixed {
        Some(v) => v,
        None => serde_json::from_str::<Version>(json)?.v,
    };
    if v != FACTS_VERSION && v != WITHOUT_EVIDENCE {
        return Err(FactsError::UnknownVersion { found: v });
    }
    Ok(())
}

/// The facts record of `workflow` decided with `evidence`: compact JSON, the
/// same text for equal workflows and equal (normalized) evidence.
pub fn to_json(workflow: &WorkflowResult<'_>, evidence: &Evidence) -> String {
    let evidence = (!evidence.is_empty()).then_some(evidence);
    let record = RecordOut {
        v: if evidence.is_some() {
            FACTS_VERSION
        } else {
            WITHOUT_EVIDENCE
        },
        workflow,
        evidence,
    };
    #[expect(
        clippy::expect_used,
        reason = "every field has a JSON form: the records have string keys only, and the model's \
                  own serializers (RFC 3339 or the extended form, YYYY-MM-DD) format any value"
    )]
    serde_json::to_string(&record).expect("a workflow result always serializes")
}

/// The workflow and evidence a record written by [`to_json`] holds.
/// Statuses, names, decision types and labels borrow from `json` when they
/// have no escapes; optional strings are copied (serde borrows only a bare
/// `Cow<str>`).
pub fn from_json(json: &str) -> Result<(WorkflowResult<'_>, Evidence), FactsError> {
    check_version(json)?;
    let record: RecordIn<'_> = serde_json::from_str(json)?;
    Ok((record.workflow, record.evidence))
}

/// Only the evidence: the workflow is skipped, not read.
#[derive(Deserialize)]
struct EvidenceOnly {
    #[serde(default)]
    evidence: Evidence,
}

/// The evidence a record holds (none in a version-1 record), without
/// reading its workflow: what a list of records shows of each.
pub fn evidence_from_json(json: &str) -> Result<Evidence, FactsError> {
    check_version(json)?;
    let record: EvidenceOnly = serde_json::from_str(json)?;
    Ok(record.evidence)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use time::macros::datetime;

    use super::*;
    use crate::evidence::{Feedback, KnownWorkflow, PriorRetry};
    use crate::model::Outcome;
    use crate::model::{Capability, CapabilityData, CapabilityEntry, FaceSearch, TopLevelDecision};

    fn workflow() -> WorkflowResult<'static> {
        WorkflowResult {
            workflow_id: Some(Cow::Borrowed("w-1")),
            status: Cow::Borrowed("PROCESSED"),
            definition_key: Some(Cow::Borrowed("10013")),
            account_id: Some(Cow::Borrowed("a-1")),
            completed_at: Some(datetime!(2025 - 03 - 04 10:20:05.871 UTC)),
            decision: Some(TopLevelDecision {
                raw_decision_type: Cow::Borrowed("WARNING"),
                label: Cow::Borrowed("WARNING"),
                // 17 significant digits: serde_json alone reads it back
                // one unit in the last place off.
                risk_score: Some(18.083_938_468_602_298),
            }),
            capabilities: vec![
                Capability {
                    name: Cow::Borrowed("extraction"),
                    entries: vec![CapabilityEntry {
                        id: Some(Cow::Borrowed("e-1")),
                        credential_categories: vec![Cow::Borrowed("ID")],
                        raw_decision_type: Cow::Borrowed("PASSED"),
                        label: Cow::Borrowed("OK"),
                        data: CapabilityData {
                            document_type: Some(Cow::Borrowed("PASSPORT")),
                            document_sub_type: Some(Cow::Borrowed("E_PASSPORT")),
                            issuing_country: Some(Cow::Borrowed("AUT")),
                            days_to_expiry: Some(-3),
                            age_years: Some(37),
                            search_results: None,
                            face_search: None,
                        },
                    }],
                },
                Capability {
                    name: Cow::Borrowed("imageChecks"),
                    entries: vec![CapabilityEntry {
                        id: Some(Cow::Borrowed("i-1")),
                        credential_categories: vec![Cow::Borrowed("ID"), Cow::Borrowed("SELFIE")],
                        raw_decision_type: Cow::Borrowed("WARNING"),
                        label: Cow::Borrowed("REPEATED_FACE"),
                        data: CapabilityData {
                            face_search: Some(FaceSearch {
                                status: Cow::Borrowed("DONE"),
                                findings: vec![Cow::Borrowed("w-1"), Cow::Borrowed("w-2")],
                            }),
                            ..CapabilityData::default()
                        },
                    }],
                },
                Capability {
                    name: Cow::Borrowed("watchlistScreening"),
                    entries: vec![CapabilityEntry {
                        id: None,
                        credential_categories: vec![Cow::Borrowed("ID"), Cow::Borrowed("DATA")],
                        raw_decision_type: Cow::Borrowed("INCONCLUSIVE"),
                        // Escapes and non-ASCII survive.
                        label: Cow::Borrowed("\"ALERT\"\n\u{e9}"),
                        data: CapabilityData {
                            search_results: Some(2),
                            ..CapabilityData::default()
                        },
                    }],
                },
                Capability {
                    name: Cow::Borrowed("usability"),
                    entries: Vec::new(),
                },
            ],
        }
    }

    #[test]
    fn a_workflow_reads_back_as_itself() {
        let workflow = workflow();
        let json = to_json(&workflow, &Evidence::default());
        assert_eq!(from_json(&json).expect("a record").0, workflow);
        // Deterministic, and the same again from what was read.
        assert_eq!(to_json(&workflow, &Evidence::default()), json);
        assert_eq!(
            to_json(&from_json(&json).expect("a record").0, &Evidence::default()),
            json
        );
        let empty = WorkflowResult::default();
        assert_eq!(
            from_json(&to_json(&empty, &Evidence::default()))
                .expect("a record of nothing")
                .0,
            empty
        );
    }

    #[test]
    fn the_record_is_versioned_compact_and_names_fields_in_snake_case() {
        let json = to_json(&workflow(), &Evidence::default());
        assert!(
            json.starts_with(
                r#"{"v":1,"workflow":{"workflow_id":"w-1","status":"PROCESSED","definition_key":"10013","account_id":"a-1","completed_at":"2025-03-04T10:20:05.871Z","decision":{"raw_decision_type":"WARNING","label":"WARNING","risk_score":18.083938468602298},"capabilities":[{"name":"extraction","entries":[{"id":"e-1","credential_categories":["ID"],"raw_decision_type":"PASSED","label":"OK","data":{"document_type":"PASSPORT","document_sub_type":"E_PASSPORT","issuing_country":"AUT","days_to_expiry":-3,"age_years":37}}]}"#
            ),
            "{json}"
        );
        assert!(!json.contains(char::is_whitespace), "{json}");
    }

    #[test]
    fn evidence_makes_a_version_2_record_that_reads_back_as_written() {
        let evidence = Evidence {
            workflows: vec![KnownWorkflow {
                workflow_id: "w-0".into(),
                account_id: "a-2".into(),
                outcome: Some(Outcome::Decline),
                result_code: Some("DOCUMENT_FRAUD_FAKE".into()),
                feedback: Some(Feedback::FraudConfirmed),
            }],
            retries: vec![PriorRetry {
                workflow_id: "w-r".into(),
                completed_at: Some(datetime!(2025 - 03 - 01 09:00 UTC)),
            }],
            channel: Some("WEB".into()),
        };
        let json = to_json(&workflow(), &evidence);
        assert!(
            json.starts_with(r#"{"v":2,"workflow":{"workflow_id":"w-1""#),
            "{json}"
        );
        assert!(
            json.ends_with(
                r#","evidence":{"workflows":[{"workflow_id":"w-0","account_id":"a-2","outcome":"DECLINE","result_code":"DOCUMENT_FRAUD_FAKE","feedback":"FRAUD_CONFIRMED"}],"retries":[{"workflow_id":"w-r","completed_at":"2025-03-01T09:00:00Z"}],"channel":"WEB"}}"#
            ),
            "{json}"
        );
        assert_eq!(
            from_json(&json).expect("a record"),
            (workflow(), evidence.clone())
        );
        assert_eq!(evidence_from_json(&json).expect("its evidence"), evidence);
        let without = to_json(&workflow(), &Evidence::default());
        assert_eq!(
            evidence_from_json(&without).expect("a version-1 record"),
            Evidence::default()
        );
        assert!(matches!(
            evidence_from_json("not a record"),
            Err(FactsError::Json(_))
        ));
        let future = without.replacen(r#""v":1"#, r#""v":3"#, 1);
        assert!(matches!(
            evidence_from_json(&future),
            Err(FactsError::UnknownVersion { found: 3 })
        ));
    }

    #[test]
    fn another_version_is_refused_as_such() {
        let json = to_json(&workflow(), &Evidence::default()).replacen(r#""v":1"#, r#""v":3"#, 1);
        let error = from_json(&json).expect_err("version 3");
        assert!(
            matches!(error, FactsError::UnknownVersion { found: 3 }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "facts record version 3; this build reads versions 1 and 2"
        );
        // Even when the rest is not a record this build could read.
        let error = from_json(r#"{"v":0,"workflow":{"new":true}}"#).expect_err("version 0");
        assert!(matches!(error, FactsError::UnknownVersion { found: 0 }));
        let error = from_json(r#"{"workflow":{}}"#).expect_err("no version");
        assert!(matches!(error, FactsError::Json(_)), "{error:?}");
        // A version that is not where this build writes it is still found.
        let error = from_json(r#"{"workflow":{"new":true}, "v": 3}"#).expect_err("version 3 last");
        assert!(
            matches!(error, FactsError::UnknownVersion { found: 3 }),
            "{error:?}"
        );
        let error = from_json(r#"{"v":1x,"workflow":{}}"#).expect_err("not JSON");
        assert!(matches!(error, FactsError::Json(_)), "{error:?}");
    }

    #[test]
    fn unknown_fields_and_malformed_values_are_refused() {
        let json = to_json(&workflow(), &Evidence::default());
        for (from, to) in [
            (
                r#""age_years":37"#,
                r#""age_years":37,"date_of_birth":"1988-02-29""#,
            ),
            (r#""v":1"#, r#""v":1,"extra":0"#),
            (
                r#""completed_at":"2025-03-04T10:20:05.871Z""#,
                r#""completed_at":"yesterday""#,
            ),
            (
                r#""risk_score":18.083938468602298"#,
                r#""risk_score":"18.0""#,
            ),
            (r#""status":"PROCESSED","#, ""),
        ] {
            assert!(json.contains(from), "{from}");
            let changed = json.replacen(from, to, 1);
            assert!(
                matches!(from_json(&changed), Err(FactsError::Json(_))),
                "{changed}"
            );
        }
        assert!(matches!(from_json("{"), Err(FactsError::Json(_))));
    }

    #[test]
    fn instants_and_dates_outside_rfc_3339_read_back_exactly() {
        // A typed timestamp can lie before the year 0; a model built by hand
        // can carry an offset with seconds.
        let before_year_0 = datetime!(-0002 - 12 - 17 14:13:20.5 UTC);
        let odd_offset = datetime!(2025 - 03 - 04 10:20:05 +01:02:03);
        for completed_at in [before_year_0, odd_offset] {
            let workflow = WorkflowResult {
                completed_at: Some(completed_at),
                ..WorkflowResult::default()
            };
            let json = to_json(&workflow, &Evidence::default());
            assert_eq!(from_json(&json).expect(&json).0, workflow, "{json}");
        }
        // Another offset is written in UTC.
        let workflow = WorkflowResult {
            completed_at: Some(datetime!(2025 - 03 - 04 23:30 -02:00)),
            ..WorkflowResult::default()
        };
        assert!(
            to_json(&workflow, &Evidence::default())
                .contains(r#""completed_at":"2025-03-05T01:30:00Z""#),
            "{}",
            to_json(&workflow, &Evidence::default())
        );
    }

    #[test]
    fn risk_scores_read_back_to_the_bit() {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..10_000 {
            // xorshift: any score of -1..=100, most with 17 digits.
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            #[expect(clippy::cast_precision_loss, reason = "53 bits fit an f64")]
            let score = (seed >> 11) as f64 / (1u64 << 53) as f64 * 101.0 - 1.0;
            let workflow = WorkflowResult {
                decision: Some(TopLevelDecision {
                    risk_score: Some(score),
                    ..TopLevelDecision::default()
                }),
                ..WorkflowResult::default()
            };
            let json = to_json(&workflow, &Evidence::default());
            let read = from_json(&json).expect("a record").0;
            let read = read.decision.and_then(|decision| decision.risk_score);
            assert_eq!(read.map(f64::to_bits), Some(score.to_bits()), "{score}");
        }
    }
}
