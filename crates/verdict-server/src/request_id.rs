//! Request ids: the caller's `x-request-id` when it is a sane token, else one
//! made here; logged with every line of the request and echoed in the answer's
//! metadata, so a client, a log line and a support ticket can be matched.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tonic::metadata::{Ascii, MetadataMap, MetadataValue};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Longest caller id kept; longer ones are replaced, not truncated.
const MAX_LEN: usize = 128;

/// Distinguishes this process's ids from another's (start time, in hex).
static PROCESS: LazyLock<String> = LazyLock::new(|| {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!("{:x}", nanos & u128::from(u64::MAX))
});
static NEXT: AtomicU64 = AtomicU64::new(1);

/// The id of the request carrying `metadata`.
pub fn request_id(metadata: &MetadataMap) -> MetadataValue<Ascii> {
    let given = metadata
        .get(REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            !id.is_empty()
                && id.len() <= MAX_LEN
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        });
    let id = given.map_or_else(
        || format!("vd-{}-{}", *PROCESS, NEXT.fetch_add(1, Ordering::Relaxed)),
        str::to_owned,
    );
    // Both branches are ASCII without control characters.
    let mut value =
        MetadataValue::try_from(id).unwrap_or_else(|_| MetadataValue::from_static("vd-invalid"));
    // Sent as a literal HPACK never indexes: an id is new in every answer,
    // so indexing it would only evict what repeats (content-type,
    // grpc-status) from the connection's table, and h2 compares a new value
    // with every id still in it before inserting (tests/load/README.md,
    // "Instructions per call").
    value.set_sensitive(true);
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sane_caller_id_is_kept_and_anything_else_replaced() {
        let with = |value: &'static str| {
            let mut metadata = MetadataMap::new();
            metadata.insert(REQUEST_ID_HEADER, MetadataValue::from_static(value));
            request_id(&metadata)
                .to_str()
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(with("order-42_a.b:c"), "order-42_a.b:c");
        assert!(with("has space").starts_with("vd-"));
        let first = request_id(&MetadataMap::new());
        let second = request_id(&MetadataMap::new());
        assert_ne!(first, second);
        assert!(first.to_str().unwrap_or_default().starts_with("vd-"));
    }

    #[test]
    fn ids_made_or_given_are_sent_never_indexed() {
        let mut given = MetadataMap::new();
        given.insert(REQUEST_ID_HEADER, MetadataValue::from_static("order-42"));
        assert!(request_id(&given).is_sensitive());
        assert!(request_id(&MetadataMap::new()).is_sensitive());
    }
}
