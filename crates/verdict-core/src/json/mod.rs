//! Parsing the retrieval API's JSON body into [`WorkflowResult`].
//!
//! Tolerant where Jumio varies (unknown keys, capabilities, labels and decision
//! types are kept or ignored, never rejected; integer or float scores; absent
//! `findings`, `data` or timestamps; `definitionKey` as string or number) and
//! strict where the decision would otherwise be wrong: a field the decision
//! reads that has the wrong type is an error naming its JSON path.
//!
//! Two choices at the edge, documented in `crates/verdict-core/README.md`:
//! - a risk score sent as a string holding a number (`"40.0"`, as some
//!   relays re-serialise numbers) is read as that number, within -1..=100;
//!   any other string is an error, which does not repeat the string;
//! - a capability entry without `decision` (or with one without `type`) is
//!   kept as a finding whose decision type verdict does not know: never
//!   approved, decided by the policy's `*.UNRECOGNISED.*` rule.
//!
//! A body that is not a workflow result at all is named when recognised: a
//! callback (`workflowExecution`) or a legacy Netverify body (`scanReference`,
//! `jumioIdScanReference`).
//!
//! The happy path runs `fast_path`, a reader of the same `Deserialize` impls
//! that skips indentation eight bytes at a time; whatever it declines, plain
//! serde_json reads. Only when that fails is the body parsed again with path
//! tracking, so well-formed input never pays for error reporting.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use crate::error::{JsonError, truncated};
use crate::model::{
    Capability, CapabilityData, CapabilityEntry, FaceSearch, MAX_FACE_SEARCH_FINDINGS, RISK_SCORES,
    TopLevelDecision, WorkflowResult, age_years, days_to_expiry,
};
use crate::position::line_column;

mod fast_path;

/// Most results one capability may carry. Jumio returns one per credential
/// part (a handful); far more is not a workflow result but an attempt to make
/// the server work.
pub const MAX_ENTRIES_PER_CAPABILITY: usize = 100;

/// Most capability results one workflow may carry, in all capabilities.
pub const MAX_ENTRIES: usize = 1000;

/// Parses a retrieval API body. Strings borrow from `body` where they can.
pub fn parse_workflow_json(body: &str) -> Result<WorkflowResult<'_>, JsonError> {
    if let Some(parsed) = fast_path::from_str::<Body<'_>>(body) {
        return Ok(parsed.into_model());
    }
    match serde_json::from_str::<Body<'_>>(body) {
        Ok(parsed) => Ok(parsed.into_model()),
        Err(error) => Err(locate_error(body, &error)),
    }
}

/// `body` as the fast path reads it (`None` where it leaves the body to
/// serde_json) and as serde_json alone reads it (`None` where that fails),
/// each workflow printed with `{:?}`, in which `-0.0` and `0.0` differ.
/// Wherever the first reads, the two must be equal: the differential tests
/// and the `json_body` fuzz target check it. Not an API.
#[doc(hidden)]
pub fn read_both_ways(body: &str) -> (Option<String>, Option<String>) {
    let printed = |parsed: Body<'_>| format!("{:?}", parsed.into_model());
    (
        fast_path::from_str::<Body<'_>>(body).map(printed),
        serde_json::from_str::<Body<'_>>(body).ok().map(printed),
    )
}

/// Where `body` first nests deeper than `max` arrays and objects, as a 1-based
/// (line, column), or `None`. The parser does not need it (it skips unread
/// values without recursing); it is an opt-in limit and costs one pass over
/// the bytes, about as much as parsing (crates/verdict-core/benches/README.md).
pub fn too_deep(body: &str, max: usize) -> Option<(usize, usize)> {
    let bytes = body.as_bytes();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (offset, &byte) in bytes.iter().enumerate() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Some(line_column(body, offset));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Parses again with path tracking to say where the body is wrong. When the
/// tracked parse succeeds, the first failure came after the value (trailing
/// characters), and the first error already says where.
fn locate_error(body: &str, first_error: &serde_json::Error) -> JsonError {
    let mut deserializer = serde_json::Deserializer::from_str(body);
    let error = match serde_path_to_error::deserialize::<_, Body<'_>>(&mut deserializer) {
        Ok(_) => return json_error("$", first_error),
        Err(error) => error,
    };
    // serde_path_to_error writes `?` for a position it cannot name (inside a
    // value that never parsed, such as `{` alone); a path names only what it
    // knows, so those segments are left out.
    let path = error.path().to_string();
    let known: Vec<&str> = path
        .split('.')
        .filter(|segment| !segment.is_empty() && *segment != "?")
        .collect();
    let path = if known.is_empty() {
        "$".to_owned()
    } else {
        format!("$.{}", known.join("."))
    };
    let mut located = json_error(&path, error.inner());
    if located.path == "$"
        && let Some(hint) = BodyKind::of(body).hint()
    {
        located.message.push_str(hint);
    }
    located
}

/// What a body that is not a workflow result is, judged by its top-level keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    /// Jumio's callback: a notification that names the workflow execution to
    /// retrieve, with no results (a common integration slip).
    Callback,
    /// A body of the legacy Netverify (ID Verification v2) API: the retrieval
    /// API's scan (`scanReference`, `document.status`,
    /// `verification.identityVerification`) or its callback
    /// (`jumioIdScanReference`, `verificationStatus`).
    Netverify,
    Other,
}

impl BodyKind {
    fn of(body: &str) -> Self {
        #[derive(Deserialize)]
        struct TopLevelKeys {
            #[serde(rename = "workflowExecution", default)]
            workflow_execution: Option<IgnoredAny>,
            #[serde(rename = "scanReference", default)]
            scan_reference: Option<IgnoredAny>,
            #[serde(rename = "jumioIdScanReference", default)]
            jumio_id_scan_reference: Option<IgnoredAny>,
        }
        match serde_json::from_str::<TopLevelKeys>(body) {
            Ok(keys) if keys.workflow_execution.is_some() => Self::Callback,
            Ok(keys) if keys.scan_reference.is_some() || keys.jumio_id_scan_reference.is_some() => {
                Self::Netverify
            }
            _ => Self::Other,
        }
    }

    /// What to add to the parse error: what the body is and what to send.
    fn hint(self) -> Option<&'static str> {
        match self {
            Self::Callback => Some(
                "; this looks like a callback body: retrieve the workflow execution it names and send that",
            ),
            Self::Netverify => Some(
                "; this looks like a legacy Netverify (ID Verification v2) body, identified by its scan reference: \
                 verdict decides workflow results of Jumio's KYX platform, retrieved from \
                 /api/v1/accounts/{accountId}/workflow-executions/{workflowExecutionId}",
            ),
            Self::Other => None,
        }
    }
}

fn json_error(path: &str, error: &serde_json::Error) -> JsonError {
    // serde_json appends " at line L column C"; the position has fields of its own.
    let full = error.to_string();
    let message = match full.rfind(" at line ") {
        Some(cut) => &full[..cut],
        None => &full,
    };
    JsonError {
        path: bounded_path(path),
        message: redact(message),
        line: error.line(),
        column: error.column(),
    }
}

/// Longest map key kept in an error's path: capability names come from the
/// input, and an error must not carry a megabyte of it back.
const MAX_KEY_IN_PATH: usize = 64;

/// `path` with each segment cut to [`MAX_KEY_IN_PATH`] characters.
fn bounded_path(path: &str) -> String {
    path.split('.')
        .map(|segment| truncated(segment, MAX_KEY_IN_PATH))
        .collect::<Vec<_>>()
        .join(".")
}

/// serde's message with the offending value taken out: a value in a field of
/// a workflow result can be personal data (a name in a date field), and an
/// error travels into client and gateway logs. serde writes values as
/// `string "…"` (escaped like Rust's `{:?}`) and ``integer `…` ``,
/// ``floating point `…` ``, ``character `…` ``; each becomes its kind alone.
fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(256));
    let mut rest = message;
    loop {
        let string = rest.find("string \"");
        let ticked = ["integer `", "floating point `", "character `"]
            .into_iter()
            .filter_map(|kind| rest.find(kind).map(|at| (at, kind)))
            .min_by_key(|(at, _)| *at);
        match (string, ticked) {
            (Some(at), ticked) if ticked.is_none_or(|(other, _)| at < other) => {
                out.push_str(&rest[..at]);
                out.push_str("a string");
                rest = skip_quoted(&rest[at + "string \"".len()..]);
            }
            (_, Some((at, kind))) => {
                out.push_str(&rest[..at]);
                out.push_str(match kind {
                    "integer `" => "an integer",
                    "floating point `" => "a number",
                    _ => "a character",
                });
                let after = &rest[at + kind.len()..];
                rest = after.find('`').map_or("", |end| &after[end + 1..]);
            }
            (_, None) => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

/// What follows the closing quote of a `{:?}`-escaped string body.
fn skip_quoted(body: &str) -> &str {
    let mut escaped = false;
    for (at, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return &body[at + 1..],
            _ => {}
        }
    }
    ""
}

/// A JSON string that borrows from the body unless it had escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(value)))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(value.to_owned())))
            }
            fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(value)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

fn text<'a>(value: Option<Text<'a>>) -> Option<Cow<'a, str>> {
    value.map(|text| text.0)
}

/// `definitionKey` arrives as a string, but the account API takes a number and
/// some integrations echo it back as one.
struct StringOrNumber<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for StringOrNumber<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = StringOrNumber<'de>;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a string or an integer")
            }
            fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
                Ok(StringOrNumber(Cow::Borrowed(value)))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(StringOrNumber(Cow::Owned(value.to_owned())))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
                Ok(StringOrNumber(Cow::Owned(value.to_string())))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
                Ok(StringOrNumber(Cow::Owned(value.to_string())))
            }
        }
        deserializer.deserialize_any(KeyVisitor)
    }
}

/// An ISO-8601 / RFC 3339 timestamp, in UTC.
struct UtcTimestamp(OffsetDateTime);

impl<'de> Deserialize<'de> for UtcTimestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Text(raw) = Text::deserialize(deserializer)?;
        let instant = OffsetDateTime::parse(&raw, &Rfc3339).map_err(|_| {
            de::Error::invalid_value(
                de::Unexpected::Other("a string that is not a timestamp"),
                &"an RFC 3339 timestamp such as 2025-03-04T10:20:05.871Z",
            )
        })?;
        // The last hours of 9999 with a negative offset fall in the year
        // 10000 in UTC, past the dates `time` holds: refused, not a panic.
        let utc = instant
            .checked_to_offset(time::UtcOffset::UTC)
            .ok_or_else(|| {
                de::Error::invalid_value(
                    de::Unexpected::Other("a timestamp past the year 9999 in UTC"),
                    &"an RFC 3339 timestamp such as 2025-03-04T10:20:05.871Z",
                )
            })?;
        Ok(UtcTimestamp(utc))
    }
}

/// A calendar date `YYYY-MM-DD`; an empty string counts as absent.
struct CalendarDate(Option<Date>);

impl<'de> Deserialize<'de> for CalendarDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Text(raw) = Text::deserialize(deserializer)?;
        if raw.is_empty() {
            return Ok(CalendarDate(None));
        }
        Date::parse(&raw, format_description!("[year]-[month]-[day]"))
            .map(|date| CalendarDate(Some(date)))
            .map_err(|_| {
                de::Error::invalid_value(
                    de::Unexpected::Other("a string that is not a date"),
                    &"a date such as 2029-06-15",
                )
            })
    }
}

/// `decision.risk.score`: integer or float, from -1 to 100; a string holding
/// such a number is read as it.
struct RiskScore(f64);

impl<'de> Deserialize<'de> for RiskScore {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScoreVisitor;
        impl Visitor<'_> for ScoreVisitor {
            type Value = f64;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a risk score from -1 to 100")
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<f64, E> {
                Ok(value)
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<f64, E> {
                // The string is request content: the error does not repeat it.
                value.parse::<f64>().map_err(|_| {
                    de::Error::invalid_value(
                        de::Unexpected::Other("a string that is not a number"),
                        &"a risk score from -1 to 100 (a number, or a string holding one)",
                    )
                })
            }
            #[expect(
                clippy::cast_precision_loss,
                reason = "any score past 2^53 is out of range anyway"
            )]
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<f64, E> {
                Ok(value as f64)
            }
            #[expect(
                clippy::cast_precision_loss,
                reason = "any score past 2^53 is out of range anyway"
            )]
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<f64, E> {
                Ok(value as f64)
            }
        }
        let score = deserializer.deserialize_any(ScoreVisitor)?;
        if !RISK_SCORES.contains(&score) {
            return Err(de::Error::invalid_value(
                de::Unexpected::Other("a number out of range"),
                &"a risk score from -1 to 100",
            ));
        }
        Ok(RiskScore(score))
    }
}

#[derive(Deserialize)]
struct Body<'a> {
    #[serde(borrow)]
    workflow: WorkflowJson<'a>,
    #[serde(borrow, default)]
    account: Option<AccountJson<'a>>,
    #[serde(rename = "completedAt", default)]
    completed_at: Option<UtcTimestamp>,
    #[serde(borrow, default)]
    decision: Option<DecisionJson<'a>>,
    #[serde(borrow, default)]
    capabilities: Option<Capabilities<'a>>,
}

#[derive(Deserialize)]
struct WorkflowJson<'a> {
    #[serde(borrow, default)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    status: Text<'a>,
    #[serde(rename = "definitionKey", borrow, default)]
    definition_key: Option<StringOrNumber<'a>>,
}

#[derive(Deserialize)]
struct AccountJson<'a> {
    #[serde(borrow, default)]
    id: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct DecisionJson<'a> {
    #[serde(rename = "type", borrow)]
    decision_type: Text<'a>,
    #[serde(borrow, default)]
    details: Option<DetailsJson<'a>>,
    #[serde(default)]
    risk: Option<RiskJson>,
}

/// A capability entry's `decision`: unlike the top level's, its type may be
/// absent (then it is a type verdict does not know).
#[derive(Deserialize)]
struct EntryDecisionJson<'a> {
    #[serde(rename = "type", borrow, default)]
    decision_type: Option<Text<'a>>,
    #[serde(borrow, default)]
    details: Option<DetailsJson<'a>>,
}

#[derive(Deserialize)]
struct DetailsJson<'a> {
    #[serde(borrow, default)]
    label: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct RiskJson {
    #[serde(default)]
    score: Option<RiskScore>,
}

#[derive(Deserialize)]
struct CredentialJson<'a> {
    #[serde(borrow, default)]
    category: Option<Text<'a>>,
}

impl<'a> Body<'a> {
    fn into_model(self) -> WorkflowResult<'a> {
        let completed_at = self.completed_at.map(|timestamp| timestamp.0);
        let completed_on = completed_at.map(OffsetDateTime::date);
        let Capabilities {
            list: mut capabilities,
            dates,
        } = self.capabilities.unwrap_or_default();
        for pending in dates {
            // The indices were taken as the entries were pushed: always found.
            if let Some(entry) = capabilities
                .get_mut(pending.capability)
                .and_then(|capability| capability.entries.get_mut(pending.entry))
            {
                entry.data.days_to_expiry = days_to_expiry(pending.dates.expiry, completed_on);
                entry.data.age_years = age_years(pending.dates.birth, completed_on);
            }
        }
        WorkflowResult {
            workflow_id: text(self.workflow.id),
            status: self.workflow.status.0,
            definition_key: self.workflow.definition_key.map(|key| key.0),
            account_id: self.account.and_then(|account| text(account.id)),
            completed_at,
            decision: self.decision.map(|decision| TopLevelDecision {
                raw_decision_type: decision.decision_type.0,
                label: text(decision.details.and_then(|details| details.label)).unwrap_or_default(),
                risk_score: decision
                    .risk
                    .and_then(|risk| risk.score)
                    .map(|score| score.0),
            }),
            capabilities,
        }
    }
}

/// What a capability's `data` holds that policies read; it depends on the
/// capability, so `data` of one capability is never read with another's fields.
#[derive(Clone, Copy)]
enum DataKind {
    Extraction,
    WatchlistScreening,
    ImageChecks,
    Unread,
}

impl DataKind {
    fn of(capability: &str) -> Self {
        match capability {
            "extraction" => Self::Extraction,
            "watchlistScreening" => Self::WatchlistScreening,
            "imageChecks" => Self::ImageChecks,
            _ => Self::Unread,
        }
    }
}

/// `capabilities`: a map from capability name to an array of entries, kept in
/// input order. A repeated key keeps both arrays. At most
/// [`MAX_ENTRIES_PER_CAPABILITY`] entries per capability and [`MAX_ENTRIES`] in
/// all are read: the limit stops the parse where it is crossed, before the
/// work (and the memory) of the rest is spent.
#[derive(Default)]
struct Capabilities<'a> {
    list: Vec<Capability<'a>>,
    /// The document dates of the entries that have any, until `completedAt`
    /// is known.
    dates: Vec<PendingDates>,
}

/// An extraction entry's document dates as the body spells them. The model
/// keeps only what the rules read of them as of `completedAt` (days to expiry,
/// age), and `completedAt` may come after `capabilities` in the body, so they
/// wait until the whole body is read ([`Body::into_model`]).
#[derive(Clone, Copy, Default)]
struct DocumentDates {
    expiry: Option<Date>,
    birth: Option<Date>,
}

/// The [`DocumentDates`] of entry `entry` of capability `capability`, as
/// indices into [`Capabilities::list`].
struct PendingDates {
    capability: usize,
    entry: usize,
    dates: DocumentDates,
}

impl<'de: 'a, 'a> Deserialize<'de> for Capabilities<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CapabilitiesVisitor;
        impl<'de> Visitor<'de> for CapabilitiesVisitor {
            type Value = Capabilities<'de>;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a map from capability name to an array of results")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut list = Vec::with_capacity(map.size_hint().unwrap_or(8));
                let mut dates = Vec::new();
                let mut left = MAX_ENTRIES;
                while let Some(Text(name)) = map.next_key::<Text<'de>>()? {
                    let entries = map.next_value_seed(EntriesSeed {
                        kind: DataKind::of(&name),
                        left,
                        capability: list.len(),
                        dates: &mut dates,
                    })?;
                    left -= entries.len();
                    list.push(Capability { name, entries });
                }
                Ok(Capabilities { list, dates })
            }
        }
        deserializer.deserialize_map(CapabilitiesVisitor)
    }
}

/// One capability's array, read while fewer than `left` entries of the whole
/// workflow have been read. It is the `capability`-th of the body; its
/// entries' document dates go to `dates`.
struct EntriesSeed<'s> {
    kind: DataKind,
    left: usize,
    capability: usize,
    dates: &'s mut Vec<PendingDates>,
}

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_> {
    type Value = Vec<CapabilityEntry<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        struct EntriesVisitor<'s>(EntriesSeed<'s>);
        impl<'de> Visitor<'de> for EntriesVisitor<'_> {
            type Value = Vec<CapabilityEntry<'de>>;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("an array of capability results")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let EntriesSeed {
                    kind,
                    left,
                    capability,
                    dates,
                } = self.0;
                // Room for three without a hint (the fast path gives none):
                // usability has an entry per credential, three (ID, SELFIE,
                // FACEMAP) in the corpus's workflows, and growing from one
                // entry to four is a reallocation of about 1 KiB, past glibc's
                // per-thread cache (crates/verdict-core/benches/README.md).
                let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(3).min(8));
                // Each entry is pushed where it is read: returned through the
                // layers of `Option` and `Result` instead, its ~260 bytes were
                // copied at each one.
                loop {
                    let read = entries.len();
                    let Some(document) = seq.next_element_seed(EntrySeed {
                        kind,
                        entries: &mut entries,
                    })?
                    else {
                        break;
                    };
                    if read == MAX_ENTRIES_PER_CAPABILITY {
                        return Err(de::Error::custom(format_args!(
                            "more than {MAX_ENTRIES_PER_CAPABILITY} results in one capability"
                        )));
                    }
                    if read == left {
                        return Err(de::Error::custom(format_args!(
                            "more than {MAX_ENTRIES} capability results in all"
                        )));
                    }
                    if document.expiry.is_some() || document.birth.is_some() {
                        dates.push(PendingDates {
                            capability,
                            entry: read,
                            dates: document,
                        });
                    }
                }
                Ok(entries)
            }
        }
        deserializer.deserialize_seq(EntriesVisitor(self))
    }
}

/// One capability entry, pushed onto `entries`; its document dates are the value.
struct EntrySeed<'s, 'de> {
    kind: DataKind,
    entries: &'s mut Vec<CapabilityEntry<'de>>,
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_, 'de> {
    type Value = DocumentDates;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EntrySeed<'_, 'de> {
    type Value = DocumentDates;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a capability result object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut id: Option<Option<Text<'de>>> = None;
        let mut credentials: Option<Option<Vec<CredentialJson<'de>>>> = None;
        let mut decision: Option<Option<EntryDecisionJson<'de>>> = None;
        let mut data: Option<(CapabilityData<'de>, DocumentDates)> = None;
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            match key.as_ref() {
                "id" => set_once(&mut id, "id", map.next_value()?)?,
                "credentials" => set_once(&mut credentials, "credentials", map.next_value()?)?,
                "decision" => set_once(&mut decision, "decision", map.next_value()?)?,
                "data" => set_once(&mut data, "data", map.next_value_seed(DataSeed(self.kind))?)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // No decision, or one without a type: kept as a type verdict does
        // not know, which the policy never approves.
        let decision = decision.flatten();
        let (raw_decision_type, details) = match decision {
            Some(decision) => (text(decision.decision_type), decision.details),
            None => (None, None),
        };
        let (data, dates) = data.unwrap_or_default();
        self.entries.push(CapabilityEntry {
            id: text(id.flatten()),
            credential_categories: credentials
                .flatten()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|credential| text(credential.category))
                .collect(),
            raw_decision_type: raw_decision_type.unwrap_or_default(),
            label: text(details.and_then(|details| details.label)).unwrap_or_default(),
            data,
        });
        Ok(dates)
    }
}

fn set_once<T, E: de::Error>(slot: &mut Option<T>, field: &'static str, value: T) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(field));
    }
    *slot = Some(value);
    Ok(())
}

/// A capability's `data`: `null`, or an object whose fields of interest depend
/// on the capability.
struct DataSeed(DataKind);

impl<'de> DeserializeSeed<'de> for DataSeed {
    type Value = (CapabilityData<'de>, DocumentDates);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        match self.0 {
            DataKind::Unread => {
                IgnoredAny::deserialize(deserializer)?;
                Ok(Default::default())
            }
            DataKind::Extraction => Ok(Option::<ExtractionData<'de>>::deserialize(deserializer)?
                .map(ExtractionData::into_model)
                .unwrap_or_default()),
            DataKind::WatchlistScreening => {
                let data = CapabilityData {
                    search_results: Option::<WatchlistData>::deserialize(deserializer)?
                        .and_then(|data| data.search_results),
                    ..CapabilityData::default()
                };
                Ok((data, DocumentDates::default()))
            }
            DataKind::ImageChecks => {
                let face_search = Option::<ImageChecksData<'de>>::deserialize(deserializer)?
                    .and_then(|data| data.face_search)
                    .map(FaceSearchJson::into_model);
                if let Some(search) = &face_search
                    && search.findings.len() > MAX_FACE_SEARCH_FINDINGS
                {
                    return Err(de::Error::invalid_length(
                        search.findings.len(),
                        &"at most 100 faceSearchFindings.findings",
                    ));
                }
                let data = CapabilityData {
                    face_search,
                    ..CapabilityData::default()
                };
                Ok((data, DocumentDates::default()))
            }
        }
    }
}

#[derive(Deserialize)]
struct ImageChecksData<'a> {
    #[serde(rename = "faceSearchFindings", borrow, default)]
    face_search: Option<FaceSearchJson<'a>>,
}

#[derive(Deserialize)]
struct FaceSearchJson<'a> {
    #[serde(borrow, default)]
    status: Option<Text<'a>>,
    #[serde(borrow, default)]
    findings: Option<Vec<Text<'a>>>,
}

impl<'a> FaceSearchJson<'a> {
    fn into_model(self) -> FaceSearch<'a> {
        FaceSearch {
            status: text(self.status).unwrap_or_default(),
            findings: self
                .findings
                .unwrap_or_default()
                .into_iter()
                .map(|finding| finding.0)
                .collect(),
        }
    }
}

#[derive(Deserialize)]
struct ExtractionData<'a> {
    #[serde(rename = "type", borrow, default)]
    document_type: Option<Text<'a>>,
    #[serde(rename = "subType", borrow, default)]
    document_sub_type: Option<Text<'a>>,
    #[serde(rename = "issuingCountry", borrow, default)]
    issuing_country: Option<Text<'a>>,
    #[serde(rename = "expiryDate", default)]
    expiry_date: Option<CalendarDate>,
    #[serde(rename = "dateOfBirth", default)]
    date_of_birth: Option<CalendarDate>,
}

impl<'a> ExtractionData<'a> {
    /// The model's fields, and the dates they still need `completedAt` for.
    fn into_model(self) -> (CapabilityData<'a>, DocumentDates) {
        let data = CapabilityData {
            document_type: text(self.document_type),
            document_sub_type: text(self.document_sub_type),
            issuing_country: text(self.issuing_country),
            ..CapabilityData::default()
        };
        let dates = DocumentDates {
            expiry: self.expiry_date.and_then(|date| date.0),
            birth: self.date_of_birth.and_then(|date| date.0),
        };
        (data, dates)
    }
}

#[derive(Deserialize)]
struct WatchlistData {
    #[serde(rename = "searchResults", default)]
    search_results: Option<u64>,
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn nesting_depth_is_measured_outside_strings_only() {
        assert_eq!(too_deep(r#"{"a": [[1]]}"#, 3), None);
        assert_eq!(too_deep(r#"{"a": [[[1]]]}"#, 3), Some((1, 9)));
        // Brackets inside strings, escaped quotes included, do not count.
        assert_eq!(too_deep(r#"{"a": "[[[[\"[[[["}"#, 1), None);
        assert_eq!(too_deep("{\n \"a\": {\"b\": {}}}", 2), Some((2, 13)));
    }
    use crate::model::{DecisionType, WorkflowStatus};

    #[test]
    fn errors_name_the_kind_of_a_bad_value_never_the_value() {
        // A name where a date belongs, a date in the wrong format, a word
        // where the score belongs, a document number as the decision type.
        let bodies = [
            minimal(
                r#"{"type":"PASSED"}"#,
                r#"{"extraction":[{"decision":{"type":"PASSED"},"data":{"dateOfBirth":"Erika Mustermann"}}]}"#,
            ),
            minimal(
                r#"{"type":"PASSED"}"#,
                r#"{"extraction":[{"decision":{"type":"PASSED"},"data":{"expiryDate":"15.06.1990"}}]}"#,
            ),
            r#"{"workflow":{"status":"PROCESSED"},"decision":{"type":"PASSED","risk":{"score":"L898902C3"}}}"#.to_owned(),
            r#"{"workflow":{"status":"PROCESSED"},"decision":{"type":123456789,"risk":{"score":1}}}"#.to_owned(),
            r#"{"workflow":{"status":"PROCESSED"},"decision":{"type":"PASSED","risk":{"score":1e300}}}"#.to_owned(),
        ];
        for body in bodies {
            let error = parse_workflow_json(&body).expect_err("invalid");
            let shown = format!("{error} {}", error.path);
            for secret in [
                "Erika",
                "15.06.1990",
                "L898902C3",
                "123456789",
                "1e300",
                "1000000",
            ] {
                assert!(!shown.contains(secret), "{shown}");
            }
        }
        let error = parse_workflow_json(&minimal(
            r#"{"type":"PASSED"}"#,
            r#"{"extraction":[{"decision":{"type":"PASSED"},"data":{"dateOfBirth":"Erika \\" Mustermann"}}]}"#,
        ))
        .expect_err("invalid");
        assert_eq!(
            error.message,
            "invalid value: a string that is not a date, expected a date such as 2029-06-15"
        );
    }

    #[test]
    fn redaction_keeps_the_words_around_the_value() {
        assert_eq!(
            redact(r#"invalid type: string "a \"quoted\" name", expected a risk score"#),
            "invalid type: a string, expected a risk score"
        );
        assert_eq!(
            redact("invalid type: integer `42`, expected a string"),
            "invalid type: an integer, expected a string"
        );
        assert_eq!(
            redact("invalid type: floating point `1.5`, expected a string"),
            "invalid type: a number, expected a string"
        );
        assert_eq!(redact("missing field `status`"), "missing field `status`");
    }

    #[test]
    fn a_syntax_error_names_its_position_and_no_unknown_path() {
        for body in [
            "{",
            "{\"workflow\": ",
            "[1, 2",
            "{\"capabilities\": {\"usability\": [{\"decision\": ",
        ] {
            let error = parse_workflow_json(body).expect_err("not JSON");
            assert!(!error.path.contains('?'), "{body}: {}", error.path);
            assert!(error.line >= 1 && error.column >= 1, "{body}");
        }
        let error = parse_workflow_json("{").expect_err("not JSON");
        assert_eq!(error.path, "$");
    }

    #[test]
    fn a_huge_capability_name_is_cut_in_the_error_path() {
        let name = "X".repeat(10_000);
        let body = minimal(
            r#"{"type":"PASSED"}"#,
            &format!(r#"{{"{name}":[{{"decision":{{"type":7}}}}]}}"#),
        );
        let error = parse_workflow_json(&body).expect_err("a number as the decision type");
        assert!(error.path.len() < 200, "{}", error.path);
        assert!(
            error.path.starts_with("$.capabilities.XXXX"),
            "{}",
            error.path
        );
    }

    fn minimal(decision: &str, capabilities: &str) -> String {
        format!(
            r#"{{"workflow":{{"id":"w-1","status":"PROCESSED","definitionKey":"10013"}},
                "account":{{"id":"a-1"}},
                "completedAt":"2025-03-04T10:20:05.871Z",
                "decision":{decision},
                "capabilities":{capabilities}}}"#
        )
    }

    #[test]
    fn reads_ids_status_dates_and_capabilities_in_input_order() {
        let body = minimal(
            r#"{"type":"WARNING","details":{"label":"WARNING"},"risk":{"score":40.5}}"#,
            r#"{"usability":[{"id":"u1","credentials":[{"id":"c","category":"ID"}],
                 "decision":{"type":"PASSED","details":{"label":"OK"}}}],
               "extraction":[{"decision":{"type":"PASSED","details":{"label":"OK"}},
                 "data":{"type":"PASSPORT","issuingCountry":"AUT","expiryDate":"2031-09-30",
                         "dateOfBirth":"1988-02-29","firstName":"ALEX"}}]}"#,
        );
        let parsed = parse_workflow_json(&body).expect("valid body");
        assert_eq!(parsed.workflow_id.as_deref(), Some("w-1"));
        assert_eq!(parsed.account_id.as_deref(), Some("a-1"));
        assert_eq!(parsed.definition_key.as_deref(), Some("10013"));
        assert_eq!(parsed.workflow_status(), WorkflowStatus::Processed);
        assert_eq!(
            parsed.completed_at,
            Some(datetime!(2025 - 03 - 04 10:20:05.871 UTC))
        );
        assert_eq!(parsed.completed_on(), Some(date!(2025 - 03 - 04)));
        let decision = parsed.decision.expect("decision");
        assert_eq!(decision.risk_score, Some(40.5));
        let names: Vec<_> = parsed
            .capabilities
            .iter()
            .map(|c| c.name.as_ref())
            .collect();
        assert_eq!(names, ["usability", "extraction"]);
        let usability = &parsed.capabilities[0].entries[0];
        assert_eq!(usability.credential_categories, ["ID"]);
        assert_eq!(usability.id.as_deref(), Some("u1"));
        let extraction = &parsed.capabilities[1].entries[0].data;
        // 2031-09-30 and 1988-02-29 as of 2025-03-04.
        assert_eq!(extraction.days_to_expiry, Some(2401));
        assert_eq!(extraction.age_years, Some(37));
        assert_eq!(extraction.issuing_country.as_deref(), Some("AUT"));
    }

    #[test]
    fn document_dates_are_judged_as_of_a_completion_time_that_comes_after_them() {
        // completedAt last, in another offset: 2025-03-04T23:30-02:00 is
        // 2025-03-05T01:30 in UTC, the day the dates are judged on.
        let body = r#"{"workflow":{"status":"PROCESSED"},
            "capabilities":{"extraction":[
                {"decision":{"type":"PASSED"},"data":{"dateOfBirth":"2007-03-05"}},
                {"decision":{"type":"PASSED"},"data":{"expiryDate":"2025-03-04","dateOfBirth":""}}]},
            "completedAt":"2025-03-04T23:30:00-02:00"}"#;
        let parsed = parse_workflow_json(body).expect("valid body");
        assert_eq!(
            parsed.completed_at,
            Some(datetime!(2025 - 03 - 05 01:30 UTC))
        );
        assert_eq!(
            parsed.completed_at.map(|at| at.offset()),
            Some(time::UtcOffset::UTC)
        );
        assert_eq!(parsed.completed_on(), Some(date!(2025 - 03 - 05)));
        let data: Vec<_> = parsed.capabilities[0]
            .entries
            .iter()
            .map(|entry| (entry.data.days_to_expiry, entry.data.age_years))
            .collect();
        assert_eq!(data, [(None, Some(18)), (Some(-1), None)]);
        // Without completedAt there is no day to judge by.
        let body = r#"{"workflow":{"status":"PROCESSED"},
            "capabilities":{"extraction":[{"decision":{"type":"PASSED"},
                "data":{"expiryDate":"2025-03-04","dateOfBirth":"2007-03-05"}}]}}"#;
        let parsed = parse_workflow_json(body).expect("valid body");
        assert_eq!(parsed.completed_at, None);
        assert_eq!(
            parsed.capabilities[0].entries[0].data,
            CapabilityData::default()
        );
    }

    #[test]
    fn integer_scores_numeric_definition_keys_and_escaped_strings_are_accepted() {
        let body = r#"{"workflow":{"status":"PROCESSED","definitionKey":10013,"id":"w\u002d1"},
                       "decision":{"type":"REJECTED","risk":{"score":100}}}"#;
        let parsed = parse_workflow_json(body).expect("valid body");
        assert_eq!(parsed.definition_key.as_deref(), Some("10013"));
        assert_eq!(parsed.workflow_id.as_deref(), Some("w-1"));
        assert_eq!(parsed.decision.expect("decision").risk_score, Some(100.0));
        assert!(parsed.capabilities.is_empty());
    }

    #[test]
    fn unknown_capabilities_labels_types_and_fields_are_kept_or_ignored() {
        let body = minimal(
            r#"{"type":"PASSED","newTopLevelThing":[1,2]}"#,
            r#"{"documentProvenanceCheck":[{"decision":{"type":"INCONCLUSIVE",
                 "details":{"label":"PROVENANCE_CHAIN_BROKEN"}},
                 "data":{"type":{"nested":true},"expiryDate":12}}]}"#,
        );
        let parsed = parse_workflow_json(&body).expect("unknown things never reject");
        let entry = &parsed.capabilities[0].entries[0];
        assert_eq!(parsed.capabilities[0].name, "documentProvenanceCheck");
        assert_eq!(entry.raw_decision_type, "INCONCLUSIVE");
        assert_eq!(entry.decision_type(), DecisionType::Other);
        assert_eq!(entry.label, "PROVENANCE_CHAIN_BROKEN");
        assert_eq!(entry.data, CapabilityData::default());
    }

    #[test]
    fn absent_optional_parts_are_absent_not_errors() {
        let body = r#"{"workflow":{"status":"TOKEN_EXPIRED"},
                       "capabilities":{"imageChecks":[{"decision":{"type":"NOT_EXECUTED"},
                         "data":{"faceSearchFindings":{"status":"DONE"}}}],
                         "extraction":[{"decision":{"type":"NOT_EXECUTED"},"data":{}}],
                         "watchlistScreening":[{"decision":{"type":"PASSED"},"data":null}]}}"#;
        let parsed = parse_workflow_json(body).expect("valid body");
        assert_eq!(parsed.completed_on(), None);
        assert_eq!(parsed.decision, None);
        assert_eq!(parsed.capabilities[0].entries[0].label, "");
        assert_eq!(
            parsed.capabilities[1].entries[0].data,
            CapabilityData::default()
        );
    }

    #[test]
    fn ill_typed_risk_score_names_its_path_line_and_column() {
        let body = "{\"workflow\":{\"status\":\"PROCESSED\"},\n\"decision\":{\"type\":\"PASSED\",\"risk\":{\"score\":{\"value\":1}}}}";
        let error = parse_workflow_json(body).expect_err("object score");
        assert_eq!(error.path, "$.decision.risk.score");
        assert_eq!(error.line, 2);
        assert_eq!(
            error.message,
            "invalid type: map, expected a risk score from -1 to 100"
        );
    }

    #[test]
    fn out_of_range_risk_score_is_rejected() {
        let body = r#"{"workflow":{"status":"PROCESSED"},"decision":{"type":"PASSED","risk":{"score":100.5}}}"#;
        let error = parse_workflow_json(body).expect_err("score above 100");
        assert_eq!(error.path, "$.decision.risk.score");
        assert!(
            error.message.contains("from -1 to 100"),
            "{}",
            error.message
        );
    }

    #[test]
    fn ill_typed_field_inside_a_capability_entry_names_the_entry() {
        let body = minimal(
            r#"{"type":"PASSED"}"#,
            r#"{"usability":[{"decision":{"type":"PASSED"}},{"decision":{"type":7}}]}"#,
        );
        let error = parse_workflow_json(&body).expect_err("numeric type");
        assert_eq!(error.path, "$.capabilities.usability[1].decision.type");
    }

    #[test]
    fn malformed_dates_the_policy_reads_are_errors() {
        let body = minimal(
            r#"{"type":"PASSED"}"#,
            r#"{"extraction":[{"decision":{"type":"PASSED"},"data":{"expiryDate":"2029-02-30"}}]}"#,
        );
        let error = parse_workflow_json(&body).expect_err("no 30 February");
        assert_eq!(error.path, "$.capabilities.extraction[0].data.expiryDate");
        let body = r#"{"workflow":{"status":"PROCESSED"},"completedAt":"yesterday"}"#;
        assert_eq!(
            parse_workflow_json(body).expect_err("not a timestamp").path,
            "$.completedAt"
        );
    }

    #[test]
    fn a_completion_time_past_9999_in_utc_is_an_error_not_a_panic() {
        // 23:59 on 31 December 9999 at UTC-01:00 is 00:59 on 1 January 10000
        // in UTC, a date `time` cannot hold.
        let body =
            r#"{"workflow":{"status":"PROCESSED"},"completedAt":"9999-12-31T23:59:59-01:00"}"#;
        let error = parse_workflow_json(body).expect_err("past the year 9999");
        assert_eq!(error.path, "$.completedAt");
        assert_eq!(
            error.message,
            "invalid value: a timestamp past the year 9999 in UTC, expected an RFC 3339 timestamp such as 2025-03-04T10:20:05.871Z"
        );
        let body =
            r#"{"workflow":{"status":"PROCESSED"},"completedAt":"9999-12-31T23:59:59+01:00"}"#;
        let parsed = parse_workflow_json(body).expect("within 9999 in UTC");
        assert_eq!(parsed.completed_on(), Some(date!(9999 - 12 - 31)));
    }

    #[test]
    fn capabilities_must_be_a_map_of_arrays() {
        let body = minimal(r#"{"type":"PASSED"}"#, r#"{"usability":{"decision":{}}}"#);
        let error = parse_workflow_json(&body).expect_err("object instead of array");
        assert_eq!(error.path, "$.capabilities.usability");
        assert!(
            error.message.contains("an array of capability results"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_missing_status_is_an_error() {
        let error = parse_workflow_json(r#"{"workflow":{"id":"x"}}"#).expect_err("no status");
        assert_eq!(error.path, "$.workflow");
        assert_eq!(error.message, "missing field `status`");
    }

    #[test]
    fn an_entry_without_a_decision_type_is_kept_as_a_type_verdict_does_not_know() {
        let body = minimal(
            r#"{"type":"PASSED"}"#,
            r#"{"usability":[{"id":"u"},{"id":"v","decision":null},
                 {"id":"w","decision":{"details":{"label":"BLURRED"}}}]}"#,
        );
        let parsed = parse_workflow_json(&body).expect("kept, not refused");
        let entries = &parsed.capabilities[0].entries;
        let kept: Vec<(Option<&str>, DecisionType, &str)> = entries
            .iter()
            .map(|entry| (entry.id.as_deref(), entry.decision_type(), &*entry.label))
            .collect();
        assert_eq!(
            kept,
            [
                (Some("u"), DecisionType::Other, ""),
                (Some("v"), DecisionType::Other, ""),
                (Some("w"), DecisionType::Other, "BLURRED"),
            ]
        );
        // The top level's decision still needs its type.
        let body = minimal(r#"{"risk":{"score":0}}"#, "{}");
        let error = parse_workflow_json(&body).expect_err("top level without a type");
        assert_eq!(error.path, "$.decision");
    }

    #[test]
    fn a_risk_score_sent_as_a_numeric_string_is_that_number() {
        for (score, expected) in [(r#""40.0""#, 40.0), (r#""93""#, 93.0), (r#""-1""#, -1.0)] {
            let body = minimal(
                &format!(r#"{{"type":"WARNING","risk":{{"score":{score}}}}}"#),
                "{}",
            );
            let parsed = parse_workflow_json(&body).expect(score);
            assert_eq!(
                parsed.decision.expect("decision").risk_score,
                Some(expected)
            );
        }
    }

    #[test]
    fn a_risk_score_string_that_is_not_a_score_is_refused_without_repeating_it() {
        let body = minimal(r#"{"type":"WARNING","risk":{"score":"JORDAN"}}"#, "{}");
        let error = parse_workflow_json(&body).expect_err("not a number");
        assert_eq!(error.path, "$.decision.risk.score");
        assert_eq!(
            error.message,
            "invalid value: a string that is not a number, expected a risk score from -1 to 100 (a number, or a string holding one)"
        );
        for out_of_range in [r#""100.5""#, r#""NaN""#, r#""inf""#] {
            let body = minimal(
                &format!(r#"{{"type":"WARNING","risk":{{"score":{out_of_range}}}}}"#),
                "{}",
            );
            let error = parse_workflow_json(&body).expect_err(out_of_range);
            assert_eq!(error.path, "$.decision.risk.score", "{out_of_range}");
        }
    }

    #[test]
    fn legacy_netverify_bodies_are_named_and_pointed_at_the_workflow_results() {
        for body in [
            r#"{"timestamp":"2019-03-20T16:25:38.663Z","scanReference":"s-1",
                "document":{"type":"PASSPORT","status":"APPROVED_VERIFIED"},
                "verification":{"identityVerification":{"similarity":"MATCH","validity":"TRUE"}}}"#,
            r#"{"timestamp":"2019-03-20T16:25:38.663Z","scanReference":"s-1","status":"DONE"}"#,
            r#"{"jumioIdScanReference":"s-1","verificationStatus":"APPROVED_VERIFIED","idScanStatus":"SUCCESS"}"#,
        ] {
            let error = parse_workflow_json(body).expect_err("not a workflow result");
            assert_eq!(error.path, "$");
            assert!(
                error.message.starts_with(
                    "missing field `workflow`; this looks like a legacy Netverify (ID Verification v2) body"
                ),
                "{}",
                error.message
            );
            assert!(
                error
                    .message
                    .contains("workflow-executions/{workflowExecutionId}"),
                "{}",
                error.message
            );
        }
        // A body that is neither gets the plain error.
        let error = parse_workflow_json(r#"{"result":"ok"}"#).expect_err("unrelated");
        assert_eq!(error.message, "missing field `workflow`");
    }

    #[test]
    fn duplicate_fields_inside_an_entry_are_errors() {
        let body = minimal(
            r#"{"type":"PASSED"}"#,
            r#"{"usability":[{"decision":{"type":"PASSED"},"decision":{"type":"REJECTED"}}]}"#,
        );
        let error = parse_workflow_json(&body).expect_err("two decisions");
        assert_eq!(error.message, "duplicate field `decision`");
    }

    #[test]
    fn malformed_truncated_and_empty_bodies_report_a_position() {
        for body in [
            "",
            "{",
            "{\"workflow\":",
            "[1,2]",
            "{\"workflow\":{\"status\":\"PROCESSED\"}} trailing",
        ] {
            let error = parse_workflow_json(body).expect_err(body);
            assert!(error.path.starts_with('$'), "{body}: {error:?}");
            assert!(!error.message.is_empty());
        }
        let error = parse_workflow_json("{\"workflow\":{\"status\":\"PROCESSED\"}} trailing")
            .expect_err("characters after the body");
        assert_eq!(
            (error.path.as_str(), error.message.as_str()),
            ("$", "trailing characters")
        );
        assert_eq!((error.line, error.column), (1, 37));
        let error = parse_workflow_json("{\n  \"workflow\": {\"status\": \"PROCESSED\",}\n}")
            .expect_err("trailing comma");
        assert_eq!(error.line, 2);
    }

    fn face_search(data: &str) -> Result<Option<FaceSearch<'static>>, JsonError> {
        let body = minimal(
            r#"{"type":"WARNING"}"#,
            &format!(
                r#"{{"imageChecks":[{{"decision":{{"type":"WARNING","details":{{"label":"REPEATED_FACE"}}}},"data":{data}}}]}}"#
            ),
        );
        let parsed = parse_workflow_json(&body)?;
        Ok(parsed.capabilities[0].entries[0]
            .data
            .face_search
            .clone()
            .map(|search| FaceSearch {
                status: Cow::Owned(search.status.into_owned()),
                findings: search
                    .findings
                    .into_iter()
                    .map(|id| Cow::Owned(id.into_owned()))
                    .collect(),
            }))
    }

    #[test]
    fn face_search_findings_are_read_from_image_checks_only() {
        let found =
            face_search(r#"{"faceSearchFindings":{"status":"DONE","findings":["w-0","w-9"]}}"#)
                .expect("parses")
                .expect("read");
        assert_eq!(found.status, "DONE");
        assert_eq!(found.findings, ["w-0", "w-9"]);
        // Jumio leaves `findings` out when there is no match.
        let none = face_search(r#"{"faceSearchFindings":{"status":"PENDING"}}"#)
            .expect("parses")
            .expect("read");
        assert_eq!((none.status.as_ref(), none.findings.len()), ("PENDING", 0));
        assert_eq!(face_search("null").expect("parses"), None);
        assert_eq!(face_search("{}").expect("parses"), None);
    }

    #[test]
    fn more_face_search_findings_than_jumio_sends_are_refused_by_path() {
        let ids: Vec<String> = (0..=MAX_FACE_SEARCH_FINDINGS)
            .map(|n| format!("\"w-{n}\""))
            .collect();
        let error = face_search(&format!(
            r#"{{"faceSearchFindings":{{"status":"DONE","findings":[{}]}}}}"#,
            ids.join(",")
        ))
        .expect_err("too many");
        let text = error.to_string();
        assert!(
            text.contains("at most 100 faceSearchFindings.findings"),
            "{text}"
        );
        assert!(
            text.contains("$.capabilities.imageChecks[0].data"),
            "{text}"
        );
        assert!(!text.contains("w-7"), "no id is echoed: {text}");
    }
}
