//! Every way a request can fail, and the one place that decides what a client
//! sees for each: a gRPC status with google.rpc error details (tonic-types).

use std::collections::HashMap;

use prost::Message;
use tonic::Code;
use tonic_types::{ErrorDetails, StatusExt};
use verdict_core::{JsonError, NotFinal};

/// Longest id an error repeats: ids are short, and an error must not carry
/// megabytes of input back into client and gateway logs.
pub const MAX_ID: usize = 64;

/// The `ErrorInfo.domain` of every verdict error, the codec's too.
pub use verdict_api::codec::ERROR_DOMAIN;

/// A failed request or batch item. `Display` is the message a client (or the
/// CLI) reads; [`ServiceError::to_status`] adds the code and details.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// Neither `workflow_json` nor `workflow` was set.
    #[error("no workflow result: set workflow_json or workflow")]
    MissingInput,
    /// `workflow_json` is not a workflow result.
    #[error("workflow_json is not a valid workflow result: {0}")]
    Json(JsonError),
    /// A typed `workflow` field is missing or out of range.
    #[error("{field}: {description}")]
    Typed { field: String, description: String },
    /// The workflow has not finished.
    #[error("{0}")]
    NotFinal(NotFinal),
    /// No policy has this id (cut to [`MAX_ID`] characters).
    #[error("policy {0:?} not found")]
    UnknownPolicy(String),
    /// The policy's file failed to load and no earlier version serves.
    #[error("policy {id:?} is not loaded: its file {source_file} failed to load; see ListPolicies")]
    PolicyNotLoaded { id: String, source_file: String },
    /// More batch items than the server accepts.
    #[error("batch of {items} items exceeds the maximum of {max}")]
    BatchTooLarge { items: usize, max: usize },
    /// `workflow_json` nests deeper than the configured limit.
    #[error("workflow_json nests deeper than {max} levels")]
    TooDeep {
        max: usize,
        line: usize,
        column: usize,
    },
    /// Too many decisions in flight: shed instead of queueing.
    #[error(
        "server busy: {wanted} more decision(s) would exceed {max_in_flight} in flight; retry shortly"
    )]
    Overloaded { max_in_flight: usize, wanted: usize },
    /// The runtime runs tasks later than the configured bound: shed.
    #[error("server busy: requests wait {delay_ms} ms to run (bound {max_ms} ms); retry shortly")]
    Queued { delay_ms: u64, max_ms: u64 },
    /// Request bodies in flight would exceed the configured budget.
    #[error("server busy: request bodies in flight would exceed {max_bytes} bytes; retry shortly")]
    BodyBudget { max_bytes: usize },
    /// The server-side deadline of the RPC passed.
    #[error("not decided within the server's {timeout_ms} ms deadline")]
    DeadlineExceeded { timeout_ms: u64 },
    /// The answer would exceed the largest message the server sends.
    #[error(
        "the answer would be larger than {max} bytes; send fewer items per batch or leave explain off"
    )]
    ResponseTooLarge { max: usize },
    /// The worker deciding a batch stopped abnormally.
    #[error("batch evaluation was interrupted")]
    Interrupted,
    /// Bearer tokens are required and the call has none or a wrong one.
    #[error("a valid bearer token is required: Authorization: Bearer <token>")]
    Unauthenticated,
    /// The ledger could not record (or read): with `ledger_failure =
    /// "closed"` nothing is decided unrecorded.
    #[error("the decision ledger is unavailable; retry shortly")]
    LedgerUnavailable,
    /// A ledger RPC on a server running without one (`--ledger none`).
    #[error("this server runs without a decision ledger (ledger = \"none\")")]
    LedgerDisabled,
    /// No recorded decision has this id / workflow id (cut to [`MAX_ID`]).
    #[error("no recorded decision for {kind} {id:?}")]
    DecisionNotFound { kind: &'static str, id: String },
    /// No policy, loaded or recorded, has this digest (cut to [`MAX_ID`]).
    #[error("no policy with digest {0:?} is loaded or recorded")]
    UnknownDigest(String),
    /// A ledger request field is out of range.
    #[error("{field}: {description}")]
    BadLedgerRequest {
        field: &'static str,
        description: &'static str,
    },
    /// The request is not the protobuf message it should be: prost's error
    /// (it names messages and fields, never content), as the codec reports
    /// a body that does not decode at all.
    #[error("not a valid protobuf message: {0}")]
    InvalidProtobuf(String),
    /// The request's `evidence` is out of range: the field's path
    /// (`evidence.workflows[2].workflow_id`), never its value.
    #[error("{field}: {description}")]
    InvalidEvidence { field: String, description: String },
}

impl From<JsonError> for ServiceError {
    fn from(error: JsonError) -> Self {
        Self::Json(error)
    }
}

impl From<NotFinal> for ServiceError {
    fn from(error: NotFinal) -> Self {
        Self::NotFinal(error)
    }
}

impl From<ServiceError> for tonic::Status {
    fn from(error: ServiceError) -> Self {
        error.to_status()
    }
}

impl ServiceError {
    /// No policy has the id `id`.
    pub fn unknown_policy(id: &str) -> Self {
        Self::UnknownPolicy(verdict_core::truncated(id, MAX_ID))
    }

    /// The file of policy `id` failed to load.
    pub fn policy_not_loaded(id: &str, source_file: &str) -> Self {
        Self::PolicyNotLoaded {
            id: verdict_core::truncated(id, MAX_ID),
            source_file: source_file.to_owned(),
        }
    }

    /// A short stable name, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MissingInput => "missing_input",
            Self::Json(_) => "invalid_json",
            Self::Typed { .. } => "invalid_workflow",
            Self::NotFinal(_) => "not_final",
            Self::UnknownPolicy(_) => "unknown_policy",
            Self::PolicyNotLoaded { .. } => "policy_not_loaded",
            Self::BatchTooLarge { .. } => "batch_too_large",
            Self::TooDeep { .. } => "json_too_deep",
            Self::Overloaded { .. } => "overloaded",
            Self::Queued { .. } => "queued",
            Self::BodyBudget { .. } => "body_budget",
            Self::DeadlineExceeded { .. } => "deadline_exceeded",
            Self::ResponseTooLarge { .. } => "response_too_large",
            Self::Interrupted => "interrupted",
            Self::Unauthenticated => "unauthenticated",
            Self::LedgerUnavailable => "ledger_unavailable",
            Self::LedgerDisabled => "ledger_disabled",
            Self::DecisionNotFound { .. } => "decision_not_found",
            Self::UnknownDigest(_) => "unknown_digest",
            Self::BadLedgerRequest { .. } => "bad_ledger_request",
            Self::InvalidEvidence { .. } => "invalid_evidence",
            Self::InvalidProtobuf(_) => "invalid_protobuf",
        }
    }

    /// The status a client receives: this error's code and details, with
    /// its `Display` as the message.
    pub fn to_status(&self) -> tonic::Status {
        let mut details = ErrorDetails::new();
        let code = match self {
            Self::MissingInput => {
                details.add_bad_request_violation("input", "set one of workflow_json or workflow");
                Code::InvalidArgument
            }
            Self::Json(error) => {
                let field = format!("workflow_json{}", error.path.trim_start_matches('$'));
                let description = format!(
                    "{} at line {} column {}",
                    error.message, error.line, error.column
                );
                details.add_bad_request_violation(field, description);
                details.set_error_info(
                    "INVALID_WORKFLOW_JSON",
                    ERROR_DOMAIN,
                    HashMap::from([
                        ("json_path".to_owned(), error.path.clone()),
                        ("line".to_owned(), error.line.to_string()),
                        ("column".to_owned(), error.column.to_string()),
                    ]),
                );
                Code::InvalidArgument
            }
            Self::Typed { field, description } => {
                details.add_bad_request_violation(field.clone(), description.clone());
                Code::InvalidArgument
            }
            Self::NotFinal(error) => {
                details.set_error_info(
                    "WORKFLOW_NOT_FINAL",
                    ERROR_DOMAIN,
                    HashMap::from([("status".to_owned(), error.status.clone())]),
                );
                Code::FailedPrecondition
            }
            Self::UnknownPolicy(id) => {
                details.set_resource_info(
                    "verdict.v1.Policy",
                    id.clone(),
                    "",
                    "no policy with this id is loaded",
                );
                Code::NotFound
            }
            Self::PolicyNotLoaded { id, source_file } => {
                details.set_error_info(
                    "POLICY_NOT_LOADED",
                    ERROR_DOMAIN,
                    HashMap::from([
                        ("policy".to_owned(), id.clone()),
                        ("source".to_owned(), source_file.clone()),
                    ]),
                );
                details.set_resource_info(
                    "verdict.v1.Policy",
                    id.clone(),
                    "",
                    "its policy file failed to load; fix the file (ListPolicies says why)",
                );
                Code::FailedPrecondition
            }
            Self::BatchTooLarge { items, max } => {
                details.add_bad_request_violation(
                    "items",
                    format!("{items} items exceed the maximum batch size of {max}"),
                );
                details.set_error_info(
                    "BATCH_TOO_LARGE",
                    ERROR_DOMAIN,
                    HashMap::from([
                        ("max_batch_size".to_owned(), max.to_string()),
                        ("items".to_owned(), items.to_string()),
                    ]),
                );
                Code::InvalidArgument
            }
            Self::TooDeep { max, line, column } => {
                details.add_bad_request_violation(
                    "workflow_json",
                    format!("nested deeper than {max} levels at line {line} column {column}"),
                );
                details.set_error_info(
                    "JSON_TOO_DEEP",
                    ERROR_DOMAIN,
                    HashMap::from([
                        ("max_json_depth".to_owned(), max.to_string()),
                        ("line".to_owned(), line.to_string()),
                        ("column".to_owned(), column.to_string()),
                    ]),
                );
                Code::InvalidArgument
            }
            Self::Overloaded {
                max_in_flight,
                wanted,
            } => {
                details.set_error_info(
                    "OVERLOADED",
                    ERROR_DOMAIN,
                    HashMap::from([
                        ("max_in_flight".to_owned(), max_in_flight.to_string()),
                        ("decisions".to_owned(), wanted.to_string()),
                    ]),
                );
                details.set_retry_info(Some(std::time::Duration::from_millis(100)));
                Code::ResourceExhausted
            }
            Self::Queued { delay_ms, max_ms } => {
                details.set_error_info(
                    "OVERLOADED",
                    ERROR_DOMAIN,
                    HashMap::from([
                        ("queue_delay_ms".to_owned(), delay_ms.to_string()),
                        ("max_queue_delay_ms".to_owned(), max_ms.to_string()),
                    ]),
                );
                details.set_retry_info(Some(std::time::Duration::from_millis(100)));
                Code::ResourceExhausted
            }
            Self::BodyBudget { max_bytes } => {
                details.set_error_info(
                    "REQUEST_BYTES_IN_FLIGHT",
                    ERROR_DOMAIN,
                    HashMap::from([(
                        "max_request_bytes_in_flight".to_owned(),
                        max_bytes.to_string(),
                    )]),
                );
                details.set_retry_info(Some(std::time::Duration::from_millis(100)));
                Code::ResourceExhausted
            }
            Self::DeadlineExceeded { timeout_ms } => {
                details.set_error_info(
                    "RPC_DEADLINE_EXCEEDED",
                    ERROR_DOMAIN,
                    HashMap::from([("timeout_ms".to_owned(), timeout_ms.to_string())]),
                );
                Code::DeadlineExceeded
            }
            Self::ResponseTooLarge { max } => {
                details.set_error_info(
                    "RESPONSE_TOO_LARGE",
                    ERROR_DOMAIN,
                    HashMap::from([("max_message_bytes".to_owned(), max.to_string())]),
                );
                Code::ResourceExhausted
            }
            Self::Interrupted => Code::Internal,
            Self::Unauthenticated => {
                details.set_error_info("INVALID_TOKEN", ERROR_DOMAIN, HashMap::new());
                Code::Unauthenticated
            }
            Self::LedgerUnavailable => {
                details.set_error_info("LEDGER_UNAVAILABLE", ERROR_DOMAIN, HashMap::new());
                details.set_retry_info(Some(std::time::Duration::from_millis(500)));
                Code::Unavailable
            }
            Self::LedgerDisabled => {
                details.set_error_info("LEDGER_DISABLED", ERROR_DOMAIN, HashMap::new());
                Code::FailedPrecondition
            }
            Self::DecisionNotFound { kind, id } => {
                details.set_resource_info(
                    "verdict.v1.RecordedDecision",
                    id.clone(),
                    "",
                    format!("no decision with this {kind} is in the ledger"),
                );
                Code::NotFound
            }
            Self::UnknownDigest(digest) => {
                details.set_resource_info(
                    "verdict.v1.Policy",
                    digest.clone(),
                    "",
                    "no policy with this digest is loaded or in the ledger",
                );
                Code::NotFound
            }
            Self::BadLedgerRequest { field, description } => {
                details.add_bad_request_violation(*field, *description);
                Code::InvalidArgument
            }
            Self::InvalidEvidence { field, description } => {
                details.add_bad_request_violation(field.clone(), description.clone());
                Code::InvalidArgument
            }
            Self::InvalidProtobuf(_) => {
                // As the codec answers a body that does not decode at all.
                details.set_error_info(
                    verdict_api::codec::INVALID_PROTOBUF,
                    ERROR_DOMAIN,
                    HashMap::new(),
                );
                Code::InvalidArgument
            }
        };
        tonic::Status::with_error_details(code, self.to_string(), details)
    }

    /// The same status as a `google.rpc.Status` message, for a batch item.
    pub fn to_rpc_status(&self) -> tonic_types::pb::Status {
        let status = self.to_status();
        // `with_error_details` stores exactly this message, encoded, as the
        // status details; decoding it back keeps one source of truth.
        tonic_types::pb::Status::decode(status.details()).unwrap_or_else(|_| {
            tonic_types::pb::Status {
                code: status.code() as i32,
                message: status.message().to_owned(),
                details: Vec::new(),
            }
        })
    }
}
