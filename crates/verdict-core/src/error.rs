//! Why a workflow result could not be decided.

use thiserror::Error;

/// The body is not JSON, or a field the decision reads has the wrong type.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{path}: {message} at line {line} column {column}")]
pub struct JsonError {
    /// Where, as a JSON path: `$.decision.risk.score`, `$.capabilities.usability[1]`.
    pub path: String,
    /// 1-based line of the body where parsing stopped.
    pub line: usize,
    /// 1-based column of the body where parsing stopped.
    pub column: usize,
    /// What is wrong there, without the position.
    pub message: String,
}

/// The workflow is not in a final state, so there is nothing to decide yet.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "workflow status {status} is not final; decide once it is PROCESSED, SESSION_EXPIRED or TOKEN_EXPIRED"
)]
pub struct NotFinal {
    /// The status as spelled in the input, cut to [`NotFinal::MAX_STATUS`]
    /// characters: statuses are short words, and an error must not carry
    /// megabytes of input back.
    pub status: String,
}

impl NotFinal {
    /// Longest status an error repeats.
    pub const MAX_STATUS: usize = 40;

    pub fn new(status: &str) -> Self {
        Self {
            status: truncated(status, Self::MAX_STATUS),
        }
    }
}

/// `text` cut to `max` characters, with `…` when cut.
pub fn truncated(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
