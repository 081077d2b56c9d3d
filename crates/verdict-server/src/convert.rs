//! Mapping between the wire types of `verdict.v1` and verdict-core's types.
//!
//! Typed input is validated here with the same care as JSON: unset or unknown
//! enum values, out-of-range scores and malformed dates are errors naming the
//! request field, never silently defaulted.

use std::borrow::Cow;

use time::macros::format_description;
use time::{Date, OffsetDateTime};
use verdict_api::v1 as pb;
use verdict_core::model::{age_years, days_to_expiry};
use verdict_core::{
    Capability, CapabilityData, CapabilityEntry, Decision, DecisionType, FaceSearch, FindingTrace,
    MAX_ENTRIES, MAX_ENTRIES_PER_CAPABILITY, MAX_FACE_SEARCH_FINDINGS, Outcome, RISK_SCORES,
    Reason, RuleVerdict, TopLevelDecision, WorkflowResult,
};

use crate::errors::ServiceError;

/// A typed-input problem. `field` is relative to the message being converted
/// and gains its parents' names on the way out, so a valid request never
/// builds a field path at all.
#[derive(Debug)]
struct Invalid {
    field: String,
    description: String,
}

impl Invalid {
    fn new(field: &str, description: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            description: description.into(),
        }
    }

    /// The same problem seen from the enclosing message, at `parent`.
    fn within(mut self, parent: impl std::fmt::Display) -> Self {
        self.field = format!("{parent}.{}", self.field);
        self
    }
}

impl From<Invalid> for ServiceError {
    fn from(invalid: Invalid) -> Self {
        ServiceError::Typed {
            field: invalid.field,
            description: invalid.description,
        }
    }
}

fn optional(value: &str) -> Option<Cow<'_, str>> {
    (!value.is_empty()).then_some(Cow::Borrowed(value))
}

/// The core view of a typed workflow result; `field` is its path in the request.
pub fn workflow_from_wire<'a>(
    workflow: &'a pb::WorkflowResult,
    field: &str,
) -> Result<WorkflowResult<'a>, ServiceError> {
    Ok(workflow_result(workflow).map_err(|invalid| invalid.within(field))?)
}

fn workflow_result(workflow: &pb::WorkflowResult) -> Result<WorkflowResult<'_>, Invalid> {
    let head = workflow
        .workflow
        .as_ref()
        .ok_or_else(|| Invalid::new("workflow", "must be set, with at least its status"))?;
    let status = workflow_status(head.status).map_err(|invalid| invalid.within("workflow"))?;
    let completed_at = workflow
        .completed_at
        .as_ref()
        .map(utc_timestamp)
        .transpose()?;
    let completed_on = completed_at.map(OffsetDateTime::date);
    let decision = workflow
        .decision
        .as_ref()
        .map(top_level_decision)
        .transpose()
        .map_err(|invalid| invalid.within("decision"))?;
    // The same limits as for JSON bodies, checked before any entry is read.
    let mut total = 0usize;
    for (index, capability) in workflow.capabilities.iter().enumerate() {
        let entries = capability.entries.len();
        total = total.saturating_add(entries);
        let problem = if entries > MAX_ENTRIES_PER_CAPABILITY {
            format!("more than {MAX_ENTRIES_PER_CAPABILITY} results in one capability")
        } else if total > MAX_ENTRIES {
            format!("more than {MAX_ENTRIES} capability results in all")
        } else {
            continue;
        };
        return Err(Invalid::new("entries", problem).within(format_args!("capabilities[{index}]")));
    }
    let capabilities = workflow
        .capabilities
        .iter()
        .enumerate()
        .map(|(index, capability)| {
            capability_from_wire(capability, completed_on)
                .map_err(|invalid| invalid.within(format_args!("capabilities[{index}]")))
        })
        .collect::<Result<_, _>>()?;
    Ok(WorkflowResult {
        workflow_id: optional(&head.id),
        status: Cow::Borrowed(status),
        definition_key: optional(&head.definition_key),
        account_id: optional(&workflow.account_id),
        completed_at,
        decision,
        capabilities,
    })
}

fn workflow_status(value: i32) -> Result<&'static str, Invalid> {
    use pb::WorkflowStatus as S;
    match S::try_from(value) {
        Ok(S::Unspecified) => Err(Invalid::new("status", "must be set")),
        Ok(S::Initiated) => Ok("INITIATED"),
        Ok(S::Acquired) => Ok("ACQUIRED"),
        Ok(S::Processed) => Ok("PROCESSED"),
        Ok(S::SessionExpired) => Ok("SESSION_EXPIRED"),
        Ok(S::TokenExpired) => Ok("TOKEN_EXPIRED"),
        Err(_) => Err(Invalid::new(
            "status",
            format!("unknown WorkflowStatus value {value}"),
        )),
    }
}

fn decision_type(value: i32, field: &str) -> Result<&'static str, Invalid> {
    use pb::DecisionType as T;
    match T::try_from(value) {
        Ok(T::Unspecified) => Err(Invalid::new(field, "must be set")),
        Ok(T::Passed) => Ok("PASSED"),
        Ok(T::Warning) => Ok("WARNING"),
        Ok(T::Rejected) => Ok("REJECTED"),
        Ok(T::NotExecuted) => Ok("NOT_EXECUTED"),
        Err(_) => Err(Invalid::new(
            field,
            format!("unknown DecisionType value {value}"),
        )),
    }
}

/// A protobuf timestamp in UTC: seconds within the years `time` holds and
/// nanos within a second, as the well-known type requires.
fn utc_timestamp(timestamp: &prost_types::Timestamp) -> Result<OffsetDateTime, Invalid> {
    instant_from_wire(timestamp)
        .ok_or_else(|| Invalid::new("completed_at", "not a valid timestamp"))
}

/// An instant as a protobuf timestamp.
pub fn instant_to_wire(instant: OffsetDateTime) -> prost_types::Timestamp {
    prost_types::Timestamp::from(std::time::SystemTime::from(instant))
}

/// A protobuf timestamp as an instant in UTC; `None` when out of range.
pub fn instant_from_wire(timestamp: &prost_types::Timestamp) -> Option<OffsetDateTime> {
    let nanos = u32::try_from(timestamp.nanos)
        .ok()
        .filter(|nanos| *nanos < 1_000_000_000);
    OffsetDateTime::from_unix_timestamp(timestamp.seconds)
        .ok()
        .zip(nanos)
        .and_then(|(instant, nanos)| instant.replace_nanosecond(nanos).ok())
}

fn calendar_date(value: &str, field: &str) -> Result<Option<Date>, Invalid> {
    if value.is_empty() {
        return Ok(None);
    }
    Date::parse(value, format_description!("[year]-[month]-[day]"))
        .map(Some)
        .map_err(|_| Invalid::new(field, "not a date such as 2029-06-15"))
}

fn top_level_decision(decision: &pb::TopLevelDecision) -> Result<TopLevelDecision<'_>, Invalid> {
    let risk_score = match decision.risk_score {
        Some(score) if !RISK_SCORES.contains(&score) => {
            return Err(Invalid::new(
                "risk_score",
                "not a risk score from -1 to 100 (a finite number)",
            ));
        }
        score => score,
    };
    Ok(TopLevelDecision {
        raw_decision_type: Cow::Borrowed(decision_type(decision.r#type, "type")?),
        label: Cow::Borrowed(&decision.label),
        risk_score,
    })
}

/// One capability; `completed_on` is the day its document dates are judged on.
fn capability_from_wire(
    capability: &pb::Capability,
    completed_on: Option<Date>,
) -> Result<Capability<'_>, Invalid> {
    if capability.name.is_empty() {
        return Err(Invalid::new("name", "must not be empty"));
    }
    let entries = capability
        .entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            entry_from_wire(entry, completed_on)
                .map_err(|invalid| invalid.within(format_args!("entries[{index}]")))
        })
        .collect::<Result<_, _>>()?;
    Ok(Capability {
        name: Cow::Borrowed(&capability.name),
        entries,
    })
}

fn face_search_from_wire(search: &pb::FaceSearchFindings) -> Result<FaceSearch<'_>, Invalid> {
    if search.findings.len() > MAX_FACE_SEARCH_FINDINGS {
        return Err(Invalid::new(
            "data.face_search_findings.findings",
            format!("more than {MAX_FACE_SEARCH_FINDINGS} findings"),
        ));
    }
    Ok(FaceSearch {
        status: Cow::Borrowed(&search.status),
        findings: search
            .findings
            .iter()
            .map(|finding| Cow::Borrowed(finding.as_str()))
            .collect(),
    })
}

fn entry_from_wire(
    entry: &pb::CapabilityEntry,
    completed_on: Option<Date>,
) -> Result<CapabilityEntry<'_>, Invalid> {
    let data = match &entry.data {
        None => CapabilityData::default(),
        Some(data) => {
            // Both dates are validated even when there is no completion date
            // to judge them by; the model keeps only what the rules read.
            let expiry = calendar_date(&data.expiry_date, "data.expiry_date")?;
            let birth = calendar_date(&data.date_of_birth, "data.date_of_birth")?;
            CapabilityData {
                document_type: optional(&data.r#type),
                document_sub_type: optional(&data.sub_type),
                issuing_country: optional(&data.issuing_country),
                days_to_expiry: days_to_expiry(expiry, completed_on),
                age_years: age_years(birth, completed_on),
                search_results: data.search_results,
                face_search: data
                    .face_search_findings
                    .as_ref()
                    .map(face_search_from_wire)
                    .transpose()?,
            }
        }
    };
    Ok(CapabilityEntry {
        id: optional(&entry.id),
        credential_categories: entry
            .credential_categories
            .iter()
            .map(|category| Cow::Borrowed(category.as_str()))
            .collect(),
        raw_decision_type: Cow::Borrowed(decision_type(entry.decision_type, "decision_type")?),
        label: Cow::Borrowed(&entry.label),
        data,
    })
}

pub fn outcome_to_wire(outcome: Outcome) -> pb::Outcome {
    match outcome {
        Outcome::Approve => pb::Outcome::Approve,
        Outcome::Review => pb::Outcome::Review,
        Outcome::Retry => pb::Outcome::Retry,
        Outcome::Decline => pb::Outcome::Decline,
    }
}

pub fn decision_type_to_wire(decision_type: DecisionType) -> pb::DecisionType {
    match decision_type {
        DecisionType::Passed => pb::DecisionType::Passed,
        DecisionType::Warning => pb::DecisionType::Warning,
        DecisionType::Rejected => pb::DecisionType::Rejected,
        DecisionType::NotExecuted => pb::DecisionType::NotExecuted,
        DecisionType::Other => pb::DecisionType::Unspecified,
    }
}

fn reason_to_wire(reason: &Reason<'_>) -> pb::Reason {
    let unrecognised_type = reason.decision_type == DecisionType::Other;
    pb::Reason {
        capability: reason.capability.to_owned(),
        decision_type: decision_type_to_wire(reason.decision_type) as i32,
        label: reason.label.to_owned(),
        outcome: outcome_to_wire(reason.outcome) as i32,
        code: reason.code.to_owned(),
        message: reason.message.to_owned(),
        root_cause: reason.root_cause,
        rule_id: reason.rule_id.to_owned(),
        user_message: reason.user_message.unwrap_or_default().to_owned(),
        raw_decision_type: if unrecognised_type {
            reason.raw_decision_type.to_owned()
        } else {
            String::new()
        },
        catalogued: reason.catalogued,
        entry_id: reason.entry_id.unwrap_or_default().to_owned(),
        credential_categories: reason
            .credential_categories
            .iter()
            .map(|c| c.to_string())
            .collect(),
        evidence: None,
    }
}

/// The wire form of a decision.
pub fn decision_to_wire(decision: &Decision<'_>) -> pb::Decision {
    pb::Decision {
        outcome: outcome_to_wire(decision.outcome) as i32,
        result_code: decision.result_code.to_owned(),
        reasons: decision
            .reasons
            .iter()
            .map(|reason| pb::Reason {
                evidence: crate::evidence::reason_evidence(decision, reason.cites),
                ..reason_to_wire(reason)
            })
            .collect(),
        policy: Some(pb::PolicyRef {
            id: decision.policy.id.clone(),
            version: decision.policy.version.clone(),
            digest: decision.policy.digest.clone(),
        }),
        workflow_id: decision.workflow_id.unwrap_or_default().to_owned(),
        account_id: decision.account_id.unwrap_or_default().to_owned(),
        // Filled by the ledger, when there is one (`ledger.rs`).
        ..pb::Decision::default()
    }
}

/// `explain`'s traces as `Decision.explanations`.
pub fn explanations_to_wire(traces: &[FindingTrace<'_>]) -> Vec<pb::FindingExplanation> {
    use pb::rule_considered::Verdict;
    traces
        .iter()
        .map(|trace| pb::FindingExplanation {
            capability: trace.capability.to_owned(),
            decision_type: decision_type_to_wire(trace.decision_type) as i32,
            label: trace.label.to_owned(),
            entry_id: trace.entry_id.unwrap_or_default().to_owned(),
            rules: trace
                .considered
                .iter()
                .map(|rule| pb::RuleConsidered {
                    rule_id: rule.rule_id.to_owned(),
                    verdict: match rule.verdict {
                        RuleVerdict::Chosen => Verdict::Chosen,
                        RuleVerdict::Outranked => Verdict::Outranked,
                        RuleVerdict::NotMatched => Verdict::NotMatched,
                    } as i32,
                    why: rule.why.clone(),
                })
                .collect(),
            caused_by: trace.caused_by.map(|upstream| pb::UpstreamFinding {
                capability: upstream.capability.to_owned(),
                decision_type: decision_type_to_wire(upstream.decision_type) as i32,
                label: upstream.label.to_owned(),
                entry_id: upstream.entry_id.unwrap_or_default().to_owned(),
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    fn typed(seconds: i64, nanos: i32, expiry: &str, birth: &str) -> pb::WorkflowResult {
        pb::WorkflowResult {
            workflow: Some(pb::Workflow {
                status: pb::WorkflowStatus::Processed as i32,
                ..Default::default()
            }),
            completed_at: Some(prost_types::Timestamp { seconds, nanos }),
            capabilities: vec![pb::Capability {
                name: "extraction".to_owned(),
                entries: vec![pb::CapabilityEntry {
                    decision_type: pb::DecisionType::Passed as i32,
                    data: Some(pb::CapabilityData {
                        expiry_date: expiry.to_owned(),
                        date_of_birth: birth.to_owned(),
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
            }],
            ..Default::default()
        }
    }

    #[test]
    fn the_completion_instant_is_kept_and_document_dates_are_judged_as_of_its_day() {
        // 2025-03-04T10:20:05.871Z.
        let wire = typed(1_741_083_605, 871_000_000, "2025-03-03", "2007-03-04");
        let workflow = workflow_result(&wire).expect("valid");
        assert_eq!(
            workflow.completed_at,
            Some(datetime!(2025 - 03 - 04 10:20:05.871 UTC))
        );
        assert_eq!(workflow.completed_on(), Some(date!(2025 - 03 - 04)));
        let data = &workflow.capabilities[0].entries[0].data;
        assert_eq!((data.days_to_expiry, data.age_years), (Some(-1), Some(18)));
    }

    #[test]
    fn malformed_timestamps_and_dates_are_still_refused_by_field() {
        for nanos in [-1, 1_000_000_000] {
            let wire = typed(1_741_083_605, nanos, "", "");
            let invalid = workflow_result(&wire).expect_err("nanos out of range");
            assert_eq!(invalid.field, "completed_at");
        }
        let wire = typed(i64::MAX, 0, "", "");
        assert_eq!(
            workflow_result(&wire).expect_err("past 9999").field,
            "completed_at"
        );
        let wire = typed(1_741_083_605, 0, "2025-02-30", "");
        assert_eq!(
            workflow_result(&wire).expect_err("no 30 February").field,
            "capabilities[0].entries[0].data.expiry_date"
        );
        // Checked even with no completion date to judge it by.
        let mut wire = typed(0, 0, "", "JORDAN");
        wire.completed_at = None;
        assert_eq!(
            workflow_result(&wire)
                .expect_err("a name, not a date")
                .field,
            "capabilities[0].entries[0].data.date_of_birth"
        );
    }
}
