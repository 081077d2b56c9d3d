//! The transaction rules: rules about the workflow as a whole rather than one
//! finding, listed once. The file format, the compiled policy, `policy diff`,
//! golden-case coverage, the README test and evaluation all iterate
//! [`TransactionRule::ALL`]; adding one is an entry here plus its behaviour in
//! evaluation.

use serde::ser::{Serialize, SerializeStruct, Serializer};

/// One transaction rule. Every policy has all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionRule {
    /// `workflow.status` SESSION_EXPIRED: the user abandoned.
    SessionExpired,
    /// `workflow.status` TOKEN_EXPIRED: the user abandoned.
    TokenExpired,
    /// The least outcome a top-level WARNING allows (the top level is a
    /// floor); also the reason when there are no capability results at all.
    TopLevelWarning,
    /// The least outcome a top-level REJECTED allows; also the reason when
    /// there are no capability results at all.
    TopLevelRejected,
    /// The least outcome a top-level NOT_EXECUTED allows.
    TopLevelNotExecuted,
    /// The least outcome an unrecognised top-level decision type allows.
    TopLevelUnrecognised,
    /// `extraction.data.expiryDate` before the day of `completedAt`. Jumio does
    /// not flag expired documents by default.
    DocumentExpired,
    /// watchlistScreening PASSED but `data.searchResults` above zero.
    WatchlistHits,
    /// PROCESSED with no capability results: nothing about the person was
    /// verified (upload-only workflows pass with `capabilities: {}`). Not
    /// when the top level is WARNING or REJECTED: that is then the evidence.
    NothingVerified,
}

impl TransactionRule {
    /// Every transaction rule, in a fixed order (the digest's order too).
    pub const ALL: [TransactionRule; 9] = [
        Self::SessionExpired,
        Self::TokenExpired,
        Self::TopLevelWarning,
        Self::TopLevelRejected,
        Self::TopLevelNotExecuted,
        Self::TopLevelUnrecognised,
        Self::DocumentExpired,
        Self::WatchlistHits,
        Self::NothingVerified,
    ];

    /// The rule id reasons carry; also the policy file's table, `[status.SESSION_EXPIRED]`.
    pub fn id(self) -> &'static str {
        match self {
            Self::SessionExpired => "status.SESSION_EXPIRED",
            Self::TokenExpired => "status.TOKEN_EXPIRED",
            Self::TopLevelWarning => "top_level.WARNING",
            Self::TopLevelRejected => "top_level.REJECTED",
            Self::TopLevelNotExecuted => "top_level.NOT_EXECUTED",
            Self::TopLevelUnrecognised => "top_level.UNRECOGNISED",
            Self::DocumentExpired => "document.expired",
            Self::WatchlistHits => "watchlist.search_results",
            Self::NothingVerified => "workflow.nothing_verified",
        }
    }

    /// Its name in the policy digest's JSON.
    fn field(self) -> &'static str {
        match self {
            Self::SessionExpired => "session_expired",
            Self::TokenExpired => "token_expired",
            Self::TopLevelWarning => "top_level_warning",
            Self::TopLevelRejected => "top_level_rejected",
            Self::TopLevelNotExecuted => "top_level_not_executed",
            Self::TopLevelUnrecognised => "top_level_unrecognised",
            Self::DocumentExpired => "document_expired",
            Self::WatchlistHits => "watchlist_hits",
            Self::NothingVerified => "nothing_verified",
        }
    }

    /// Position in [`TransactionRule::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One value per transaction rule, indexed by [`TransactionRule`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerTransactionRule<T>(pub [T; TransactionRule::ALL.len()]);

impl<T> PerTransactionRule<T> {
    pub fn get(&self, rule: TransactionRule) -> &T {
        &self.0[rule.index()]
    }

    /// (rule, value), in [`TransactionRule::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (TransactionRule, &T)> {
        TransactionRule::ALL.into_iter().zip(&self.0)
    }

    /// Applies `f` to each rule's value.
    pub fn map<U>(&self, mut f: impl FnMut(TransactionRule, &T) -> U) -> PerTransactionRule<U> {
        PerTransactionRule(TransactionRule::ALL.map(|rule| f(rule, self.get(rule))))
    }
}

/// As a struct with one field per rule, in [`TransactionRule::ALL`] order: the
/// form the policy digest is taken over.
impl<T: Serialize> Serialize for PerTransactionRule<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut table = serializer.serialize_struct("TransactionRules", self.0.len())?;
        for (rule, action) in self.iter() {
            table.serialize_field(rule.field(), action)?;
        }
        table.end()
    }
}
