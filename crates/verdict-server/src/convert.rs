//! Mapping between the wire types of `verdict.v1` and verdict-core's types.
//!
//! Typed input is validated here with the same care as JSON: unset or unknown
//! enum values, out-of-range scores and malformed dates are errors naming the
//! request field, never silently defaulted.

use std::borrow::Cow;

use time::macros::format_description;
use time::{Date, OffsetDateTime};
use verdict_api::v1 as pb;
use verdict_core::{
    Capability, CapabilityData, CapabilityEntry, Decision, DecisionType, Outcome, Reason,
    TopLevelDecision, WorkflowResult,
};

use crate::errors::ServiceError;

fn invalid(field: impl Into<String>, description: impl Into<String>) -> ServiceError {
    ServiceError::Typed {
        field: field.into(),
        description: description.into(),
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
    let head = workflow.workflow.as_ref().ok_or_else(|| {
        invalid(
            format!("{field}.workflow"),
            "must be set, with at least its status",
        )
    })?;
    let status = workflow_status(head.status, &format!("{field}.workflow.status"))?;
    let completed_on = workflow
        .completed_at
        .as_ref()
        .map(|timestamp| utc_date(timestamp, &format!("{field}.completed_at")))
        .transpose()?;
    let decision = workflow
        .decision
        .as_ref()
        .map(|decision| top_level_decision(decision, &format!("{field}.decision")))
        .transpose()?;
    let capabilities = workflow
        .capabilities
        .iter()
        .enumerate()
        .map(|(index, capability)| {
            capability_from_wire(capability, &format!("{field}.capabilities[{index}]"))
        })
        .collect::<Result<_, _>>()?;
    Ok(WorkflowResult {
        workflow_id: optional(&head.id),
        status: Cow::Borrowed(status),
        definition_key: optional(&head.definition_key),
        account_id: optional(&workflow.account_id),
        completed_on,
        decision,
        capabilities,
    })
}

fn workflow_status(value: i32, field: &str) -> Result<&'static str, ServiceError> {
    use pb::WorkflowStatus as S;
    match S::try_from(value) {
        Ok(S::Unspecified) => Err(invalid(field, "must be set")),
        Ok(S::Initiated) => Ok("INITIATED"),
        Ok(S::Acquired) => Ok("ACQUIRED"),
        Ok(S::Processed) => Ok("PROCESSED"),
        Ok(S::SessionExpired) => Ok("SESSION_EXPIRED"),
        Ok(S::TokenExpired) => Ok("TOKEN_EXPIRED"),
        Err(_) => Err(invalid(
            field,
            format!("unknown WorkflowStatus value {value}"),
        )),
    }
}

fn decision_type(value: i32, field: &str) -> Result<&'static str, ServiceError> {
    use pb::DecisionType as T;
    match T::try_from(value) {
        Ok(T::Unspecified) => Err(invalid(field, "must be set")),
        Ok(T::Passed) => Ok("PASSED"),
        Ok(T::Warning) => Ok("WARNING"),
        Ok(T::Rejected) => Ok("REJECTED"),
        Ok(T::NotExecuted) => Ok("NOT_EXECUTED"),
        Err(_) => Err(invalid(
            field,
            format!("unknown DecisionType value {value}"),
        )),
    }
}

fn utc_date(timestamp: &prost_types::Timestamp, field: &str) -> Result<Date, ServiceError> {
    let valid_nanos = (0..1_000_000_000).contains(&timestamp.nanos);
    OffsetDateTime::from_unix_timestamp(timestamp.seconds)
        .ok()
        .filter(|_| valid_nanos)
        .map(OffsetDateTime::date)
        .ok_or_else(|| invalid(field, "not a valid timestamp"))
}

fn calendar_date(value: &str, field: &str) -> Result<Option<Date>, ServiceError> {
    if value.is_empty() {
        return Ok(None);
    }
    Date::parse(value, format_description!("[year]-[month]-[day]"))
        .map(Some)
        .map_err(|_| invalid(field, format!("{value:?} is not a date such as 2029-06-15")))
}

fn top_level_decision<'a>(
    decision: &'a pb::TopLevelDecision,
    field: &str,
) -> Result<TopLevelDecision<'a>, ServiceError> {
    let risk_score = match decision.risk_score {
        Some(score) if !(-1.0..=100.0).contains(&score) => {
            return Err(invalid(
                format!("{field}.risk_score"),
                format!("{score} is not a risk score from -1 to 100"),
            ));
        }
        score => score,
    };
    Ok(TopLevelDecision {
        decision_type: Cow::Borrowed(decision_type(decision.r#type, &format!("{field}.type"))?),
        label: Cow::Borrowed(&decision.label),
        risk_score,
    })
}

fn capability_from_wire<'a>(
    capability: &'a pb::Capability,
    field: &str,
) -> Result<Capability<'a>, ServiceError> {
    if capability.name.is_empty() {
        return Err(invalid(format!("{field}.name"), "must not be empty"));
    }
    let entries = capability
        .entries
        .iter()
        .enumerate()
        .map(|(index, entry)| entry_from_wire(entry, &format!("{field}.entries[{index}]")))
        .collect::<Result<_, _>>()?;
    Ok(Capability {
        name: Cow::Borrowed(&capability.name),
        entries,
    })
}

fn entry_from_wire<'a>(
    entry: &'a pb::CapabilityEntry,
    field: &str,
) -> Result<CapabilityEntry<'a>, ServiceError> {
    let data = match &entry.data {
        None => CapabilityData::default(),
        Some(data) => CapabilityData {
            document_type: optional(&data.r#type),
            document_sub_type: optional(&data.sub_type),
            issuing_country: optional(&data.issuing_country),
            expiry_date: calendar_date(&data.expiry_date, &format!("{field}.data.expiry_date"))?,
            date_of_birth: calendar_date(
                &data.date_of_birth,
                &format!("{field}.data.date_of_birth"),
            )?,
            search_results: data.search_results,
        },
    };
    Ok(CapabilityEntry {
        id: optional(&entry.id),
        credential_categories: entry
            .credential_categories
            .iter()
            .map(|c| Cow::Borrowed(c.as_str()))
            .collect(),
        decision_type: Cow::Borrowed(decision_type(
            entry.decision_type,
            &format!("{field}.decision_type"),
        )?),
        label: Cow::Borrowed(&entry.label),
        data,
    })
}

fn outcome_to_wire(outcome: Outcome) -> pb::Outcome {
    match outcome {
        Outcome::Approve => pb::Outcome::Approve,
        Outcome::Review => pb::Outcome::Review,
        Outcome::Retry => pb::Outcome::Retry,
        Outcome::Decline => pb::Outcome::Decline,
    }
}

fn decision_type_to_wire(decision_type: DecisionType) -> pb::DecisionType {
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
    }
}

/// The wire form of a decision.
pub fn decision_to_wire(decision: &Decision<'_>) -> pb::Decision {
    pb::Decision {
        outcome: outcome_to_wire(decision.outcome) as i32,
        result_code: decision.result_code.to_owned(),
        reasons: decision.reasons.iter().map(reason_to_wire).collect(),
        policy: Some(pb::PolicyRef {
            id: decision.policy.id.clone(),
            version: decision.policy.version.clone(),
            digest: decision.policy.digest.clone(),
        }),
        workflow_id: decision.workflow_id.unwrap_or_default().to_owned(),
        account_id: decision.account_id.unwrap_or_default().to_owned(),
    }
}
