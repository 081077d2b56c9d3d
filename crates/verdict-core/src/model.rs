//! The parts of a Jumio workflow result that decisions read.
//!
//! Strings borrow from the input where they can (`Cow`), so parsing a body or
//! mapping a typed request copies little. Unknown capabilities, labels, decision
//! types and statuses are kept with their raw spelling, never rejected.
//!
//! The model holds no personal data, and it is the facts record of a decision
//! as it is: its serde form (field names as here) is what [`crate::facts`]
//! stores, so a field added here is stored too.

use std::borrow::Cow;

use serde::{Deserialize, Serialize, Serializer};
use time::{Date, OffsetDateTime};

/// A workflow result, from the retrieval API's JSON body or from typed input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowResult<'a> {
    /// `workflow.id`.
    #[serde(borrow)]
    pub workflow_id: Option<Cow<'a, str>>,
    /// `workflow.status` as spelled in the input.
    #[serde(borrow)]
    pub status: Cow<'a, str>,
    /// `workflow.definitionKey`.
    #[serde(borrow)]
    pub definition_key: Option<Cow<'a, str>>,
    /// `account.id`.
    #[serde(borrow)]
    pub account_id: Option<Cow<'a, str>>,
    /// `completedAt`, in UTC: its day is the "today" of every date rule, so
    /// that a decision never depends on when it is evaluated.
    #[serde(default, with = "stored::timestamp")]
    pub completed_at: Option<OffsetDateTime>,
    /// The top-level `decision`, when present.
    #[serde(borrow)]
    pub decision: Option<TopLevelDecision<'a>>,
    /// `capabilities`, in input order.
    #[serde(borrow)]
    pub capabilities: Vec<Capability<'a>>,
}

impl WorkflowResult<'_> {
    /// The UTC calendar date of `completedAt`.
    pub fn completed_on(&self) -> Option<Date> {
        self.completed_at.map(OffsetDateTime::date)
    }

    /// The status, classified.
    pub fn workflow_status(&self) -> WorkflowStatus {
        WorkflowStatus::from_name(&self.status)
    }
}

/// The top-level `decision` object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopLevelDecision<'a> {
    /// `decision.type` as spelled in the input.
    #[serde(borrow)]
    pub raw_decision_type: Cow<'a, str>,
    /// `decision.details.label`.
    #[serde(borrow)]
    pub label: Cow<'a, str>,
    /// `decision.risk.score`, from -1 to 100.
    #[serde(default, deserialize_with = "stored::exact_score")]
    pub risk_score: Option<f64>,
}

impl TopLevelDecision<'_> {
    /// The decision type, classified.
    pub fn decision_type(&self) -> DecisionType {
        DecisionType::from_name(&self.raw_decision_type)
    }
}

/// One key of `capabilities` with its array of entries.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capability<'a> {
    /// The key as spelled in the input, e.g. `imageChecks`.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    #[serde(borrow)]
    pub entries: Vec<CapabilityEntry<'a>>,
}

/// One element of a capability's array.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapabilityEntry<'a> {
    /// The capability-execution id.
    #[serde(borrow)]
    pub id: Option<Cow<'a, str>>,
    /// `credentials[].category` of the credentials this entry evaluated.
    #[serde(borrow)]
    pub credential_categories: Vec<Cow<'a, str>>,
    /// `decision.type` as spelled in the input.
    #[serde(borrow)]
    pub raw_decision_type: Cow<'a, str>,
    /// `decision.details.label` as spelled in the input (empty when absent).
    #[serde(borrow)]
    pub label: Cow<'a, str>,
    /// The parts of `data` that policies read. In the serde form, absent
    /// fields are left out (most entries have none): records stay small.
    #[serde(borrow, default, skip_serializing_if = "CapabilityData::is_empty")]
    pub data: CapabilityData<'a>,
}

impl CapabilityData<'_> {
    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl CapabilityEntry<'_> {
    /// The decision type, classified.
    pub fn decision_type(&self) -> DecisionType {
        DecisionType::from_name(&self.raw_decision_type)
    }
}

/// The parts of a capability entry's `data` that policies read. Only the
/// capabilities that carry a field fill it (extraction for document fields,
/// watchlistScreening for `searchResults`).
///
/// The document's dates are kept only as what the rules read of them, as of
/// `completedAt` ([`days_to_expiry`], [`age_years`]): a date of birth is
/// personal data, and the model holds none, so that it can be stored as the
/// facts of a decision.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapabilityData<'a> {
    /// extraction `data.type`, e.g. `PASSPORT`.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub document_type: Option<Cow<'a, str>>,
    /// extraction `data.subType`.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub document_sub_type: Option<Cow<'a, str>>,
    /// extraction `data.issuingCountry` (ISO-3166 alpha-3).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub issuing_country: Option<Cow<'a, str>>,
    /// Whole days from `completedAt`'s date to extraction `data.expiryDate`:
    /// 0 when the document expires that day, negative once it has expired.
    /// Absent when either date is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_to_expiry: Option<i64>,
    /// The holder's age in whole years on `completedAt`'s date, from extraction
    /// `data.dateOfBirth`; negative when born after it. Absent when either
    /// date is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_years: Option<i64>,
    /// watchlistScreening `data.searchResults`: the number of list hits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_results: Option<u64>,
    /// imageChecks `data.faceSearchFindings`: Jumio's search for this face
    /// in earlier transactions (with a `REPEATED_FACE` warning).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub face_search: Option<FaceSearch<'a>>,
}

/// Most face-search findings verdict reads: Jumio reports at most 50.
pub const MAX_FACE_SEARCH_FINDINGS: usize = 100;

/// imageChecks `data.faceSearchFindings`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaceSearch<'a> {
    /// `status` as spelled: `DONE`, `PENDING` or `ERROR` (empty when absent).
    #[serde(borrow)]
    pub status: Cow<'a, str>,
    /// `findings`: the workflow ids of earlier transactions with the same
    /// face, in input order (Jumio leaves the field out when there are none).
    #[serde(borrow)]
    pub findings: Vec<Cow<'a, str>>,
}

/// [`CapabilityData::days_to_expiry`]: whole days from `today` to `expiry`.
pub fn days_to_expiry(expiry: Option<Date>, today: Option<Date>) -> Option<i64> {
    Some((expiry? - today?).whole_days())
}

/// [`CapabilityData::age_years`]: the age on `today` of someone born on `birth`.
pub fn age_years(birth: Option<Date>, today: Option<Date>) -> Option<i64> {
    Some(age_on(birth?, today?))
}

/// Whole years from `birth` to `today`: a birthday counts on its day. Negative
/// exactly when `birth` is after `today`: in a later year the difference of
/// years is already negative, and in the same year the birthday is still to
/// come, which takes one off 0.
fn age_on(birth: Date, today: Date) -> i64 {
    let years = i64::from(today.year()) - i64::from(birth.year());
    let before_birthday = (today.month() as u8, today.day()) < (birth.month() as u8, birth.day());
    years - i64::from(before_birthday)
}

/// The business action. Declared from best to worst, so `Ord` is the
/// combination order: the worst outcome among the root causes wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    Approve,
    Review,
    Retry,
    Decline,
}

impl Outcome {
    /// Every outcome, from best to worst.
    pub const ALL: [Outcome; 4] = [Self::Approve, Self::Review, Self::Retry, Self::Decline];

    /// The outcome spelled `name` (as [`Outcome::name`] writes it).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|outcome| outcome.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Approve => "APPROVE",
            Self::Review => "REVIEW",
            Self::Retry => "RETRY",
            Self::Decline => "DECLINE",
        }
    }
}

/// The risk scores Jumio gives: `decision.risk.score` lies in this range.
pub const RISK_SCORES: std::ops::RangeInclusive<f64> = -1.0..=100.0;

/// `workflow.status`, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkflowStatus {
    Initiated,
    Acquired,
    Processed,
    SessionExpired,
    TokenExpired,
    /// A status verdict does not know: treated as not final.
    Other,
}

impl WorkflowStatus {
    pub fn from_name(name: &str) -> Self {
        match name {
            "INITIATED" => Self::Initiated,
            "ACQUIRED" => Self::Acquired,
            "PROCESSED" => Self::Processed,
            "SESSION_EXPIRED" => Self::SessionExpired,
            "TOKEN_EXPIRED" => Self::TokenExpired,
            _ => Self::Other,
        }
    }
}

/// Jumio's decision types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DecisionType {
    Passed,
    Warning,
    Rejected,
    NotExecuted,
    /// A type verdict does not know; its spelling stays in the input model.
    Other,
}

impl DecisionType {
    /// Every variant, in a fixed order (used to index per-type tables).
    pub const ALL: [DecisionType; 5] = [
        Self::Passed,
        Self::Warning,
        Self::Rejected,
        Self::NotExecuted,
        Self::Other,
    ];

    pub fn from_name(name: &str) -> Self {
        match name {
            "PASSED" => Self::Passed,
            "WARNING" => Self::Warning,
            "REJECTED" => Self::Rejected,
            "NOT_EXECUTED" => Self::NotExecuted,
            _ => Self::Other,
        }
    }

    /// The spelling Jumio uses; `UNRECOGNISED` for [`DecisionType::Other`], the
    /// name policies use for "any type verdict does not know".
    pub fn name(self) -> &'static str {
        match self {
            Self::Passed => "PASSED",
            Self::Warning => "WARNING",
            Self::Rejected => "REJECTED",
            Self::NotExecuted => "NOT_EXECUTED",
            Self::Other => "UNRECOGNISED",
        }
    }

    /// How bad Jumio rates a finding of this type, to order reasons whose
    /// outcomes are equal: REJECTED, then a type verdict does not know, then
    /// WARNING, NOT_EXECUTED and PASSED.
    pub fn severity(self) -> u8 {
        match self {
            Self::Rejected => 4,
            Self::Other => 3,
            Self::Warning => 2,
            Self::NotExecuted => 1,
            Self::Passed => 0,
        }
    }

    /// Position in [`DecisionType::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl Serialize for DecisionType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// How the serde form writes what JSON has no type for, or reads back
/// inexactly: instants and the risk score. The ledger writes `completedAt`
/// with the same [`stored::timestamp_text`].
pub mod stored {
    use serde::de::{self, Deserialize, Deserializer};
    use serde::ser::{self, Serializer};
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    use time::{OffsetDateTime, UtcOffset};

    /// An instant as RFC 3339 in UTC, `2025-03-04T10:20:05.871Z`. RFC 3339
    /// has no years before 0000 (a typed timestamp can be one) nor offsets
    /// with seconds: those are written with this extended form, which keeps
    /// them exactly.
    const EXTENDED: &[time::format_description::BorrowedFormatItem<'_>] = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond][offset_hour sign:mandatory]:[offset_minute]:[offset_second]"
    );

    /// `instant` as the facts record (and the ledger) write it.
    pub fn timestamp_text(instant: OffsetDateTime) -> Result<String, time::error::Format> {
        // The parsers keep completedAt in UTC already; a model built by hand
        // in another offset is written in UTC when it can be.
        let utc = instant.checked_to_offset(UtcOffset::UTC).unwrap_or(instant);
        utc.format(&Rfc3339).or_else(|_| utc.format(EXTENDED))
    }

    /// An instant [`timestamp_text`] wrote.
    pub fn parse_timestamp_text(text: &str) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(text, &Rfc3339)
            .or_else(|_| OffsetDateTime::parse(text, EXTENDED))
            .ok()
    }

    pub(crate) mod timestamp {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(
            value: &Option<OffsetDateTime>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match value {
                Some(instant) => serializer
                    .serialize_some(&timestamp_text(*instant).map_err(ser::Error::custom)?),
                None => serializer.serialize_none(),
            }
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<OffsetDateTime>, D::Error> {
            let Some(text) = Option::<String>::deserialize(deserializer)? else {
                return Ok(None);
            };
            parse_timestamp_text(&text)
                .map(Some)
                .ok_or_else(|| de::Error::custom("not an RFC 3339 timestamp"))
        }
    }

    /// The risk score, read from the text of its JSON number. serde_json
    /// writes the shortest text that reads back as the same `f64`, but its
    /// own reading of a number with 17 significant digits can be one unit in
    /// the last place off; Rust's `f64::from_str` is exact. A decision at the
    /// edge of a risk band must not change when it is decided again from the
    /// record. (serde_json only: other formats have no raw number text.)
    pub(super) fn exact_score<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<f64>, D::Error> {
        let Some(raw) = Option::<&'de serde_json::value::RawValue>::deserialize(deserializer)?
        else {
            return Ok(None);
        };
        let text = raw.get();
        // A JSON number starts with a digit or `-`; `from_str` also reads
        // words such as `inf`, which JSON spells as strings.
        let number = text.starts_with(|c: char| c == '-' || c.is_ascii_digit());
        text.parse::<f64>()
            .ok()
            .filter(|_| number)
            .map(Some)
            .ok_or_else(|| de::Error::custom("not a risk score (a JSON number)"))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::{age_on, age_years, days_to_expiry};

    #[test]
    fn age_counts_whole_years_and_the_birthday_itself() {
        assert_eq!(age_on(date!(2008 - 06 - 15), date!(2026 - 06 - 14)), 17);
        assert_eq!(age_on(date!(2008 - 06 - 15), date!(2026 - 06 - 15)), 18);
        // Born on 29 February: 18 on 1 March of a common year.
        assert_eq!(age_on(date!(2008 - 02 - 29), date!(2026 - 02 - 28)), 17);
        assert_eq!(age_on(date!(2008 - 02 - 29), date!(2026 - 03 - 01)), 18);
    }

    #[test]
    fn the_age_is_negative_exactly_when_born_after_the_day() {
        // The birth_after_completion check reads `age_years < 0` where it
        // used to compare the dates: the two must agree on every pair.
        let today = date!(2025 - 03 - 04);
        // Four years either side, 29 February included.
        for offset in -1500..=1500 {
            let birth = today + time::Duration::days(offset);
            assert_eq!(age_on(birth, today) < 0, birth > today, "{birth}");
        }
        assert_eq!(age_on(date!(2025 - 03 - 05), today), -1);
        assert_eq!(age_on(date!(2026 - 03 - 04), today), -1);
        assert_eq!(age_on(date!(2026 - 03 - 05), today), -2);
    }

    #[test]
    fn derived_values_need_both_dates() {
        let today = Some(date!(2025 - 03 - 04));
        assert_eq!(days_to_expiry(Some(date!(2025 - 03 - 28)), today), Some(24));
        assert_eq!(days_to_expiry(Some(date!(2025 - 03 - 04)), today), Some(0));
        assert_eq!(days_to_expiry(Some(date!(2025 - 03 - 03)), today), Some(-1));
        assert_eq!(days_to_expiry(None, today), None);
        assert_eq!(days_to_expiry(Some(date!(2025 - 03 - 28)), None), None);
        assert_eq!(age_years(Some(date!(1988 - 02 - 29)), today), Some(37));
        assert_eq!(age_years(None, today), None);
        assert_eq!(age_years(Some(date!(1988 - 02 - 29)), None), None);
    }
}
