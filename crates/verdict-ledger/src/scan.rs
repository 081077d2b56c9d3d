//! A replay's read of an embedded SQLite ledger, without sqlx: on the
//! calling thread, read-only, a page at a time.
//!
//! `verdict replay` decides about 240,000 records a second on this
//! project's 2-core machine (crates/verdict-core/benches/README.md, Replay);
//! through sqlx's `Any` driver the SQLite reader managed half of that, its
//! rows crossing to sqlx's worker thread one at a time and being copied
//! three times on the way. Here SQLite's rows are read where they are
//! decoded, once. The query and its filters are the store's
//! ([`Reads::list_facts`](crate::Reads::list_facts)).

use std::path::Path;
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, params_from_iter};

use crate::record::RecordedFacts;
use crate::store::{Bound, FACTS_COLUMNS, LedgerError, ListQuery, filter_sql, filters};

/// Reads the records `query` selects, oldest first, from the SQLite ledger
/// file at `path` (which must exist: it is opened read-only and never
/// created or migrated), `query.limit` to a page; hands each page to `page`,
/// which returns false to stop. Each page is a statement of its own, so no
/// read transaction outlives a page (a live server's checkpoints go on).
pub fn sqlite_facts(
    path: &Path,
    mut query: ListQuery,
    mut page: impl FnMut(Vec<RecordedFacts>) -> bool,
) -> Result<(), LedgerError> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // A writer holding the database briefly makes the read wait, not fail.
    connection.busy_timeout(Duration::from_secs(5))?;
    let (conditions, next) = filter_sql(&query);
    let mut statement = connection.prepare(&format!(
        "SELECT {FACTS_COLUMNS} FROM decisions{conditions} ORDER BY seq LIMIT ${next}"
    ))?;
    let capacity = usize::try_from(query.limit).unwrap_or(0);
    loop {
        let mut values: Vec<Value> = filters(&query)
            .into_iter()
            .map(|(_, _, value)| match value {
                Bound::Number(number) => Value::Integer(number),
                Bound::Text(text) => Value::Text(text.to_owned()),
            })
            .collect();
        values.push(Value::Integer(query.limit));
        let mut rows = statement.query(params_from_iter(values))?;
        let mut found = Vec::with_capacity(capacity);
        while let Some(row) = rows.next()? {
            found.push(RecordedFacts {
                seq: row.get(0)?,
                decision_id: row.get(1)?,
                workflow_id: row.get(2)?,
                outcome: row.get(3)?,
                result_code: row.get(4)?,
                facts: row.get(5)?,
            });
        }
        let Some(last) = found.last() else {
            return Ok(());
        };
        query.after_seq = last.seq;
        let full = found.len() == capacity;
        if !page(found) || !full {
            return Ok(());
        }
    }
}
