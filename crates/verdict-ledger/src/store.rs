//! The ledger's tables in SQLite or PostgreSQL. The SQL is one dialect both
//! speak (`$n` parameters, `ON CONFLICT`, `BIGINT`/`TEXT`), run through sqlx's
//! `Any` driver; what differs between the two — how to connect, and SQLite's
//! durability pragmas — is decided by [`Backend`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::pool::PoolConnection;
use sqlx::{AnyConnection, AnyPool, Executor as _, Row as _};

use crate::chain::{Break, GENESIS, Link, Verifier, feedback_hash, reasons_json, record_hash};
use crate::record::{
    AccountRetry, AppendKind, Appended, Draft, FeedbackDraft, FeedbackRecord, GivenFeedback,
    PolicyKey, PolicyText, ReasonRecord, Record, RecordedFacts, ShadowRecord, WorkflowSummary,
};

/// Versioned schema changes, applied at start: the same SQL for both
/// databases.
static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Rows per multi-row INSERT: 17 parameters each stays far below both
/// databases' parameter limits.
const ROWS_PER_INSERT: usize = 50;
/// Ids per `IN (...)` lookup.
const IDS_PER_LOOKUP: usize = 500;
/// Accounts per retries lookup: one `UNION ALL` term each, well below
/// SQLite's 500 terms per compound statement.
const ACCOUNTS_PER_LOOKUP: usize = 100;
/// Versions of one workflow `by_workflow` returns at most.
pub const MAX_VERSIONS: i64 = 1000;
/// Feedback records `feedback_for` returns at most: the newest.
pub const MAX_FEEDBACK: i64 = 1000;
/// Records read per page when verifying or exporting.
pub const SCAN_PAGE: i64 = 1000;

/// Which database holds the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// One file, one server: the embedded default.
    Sqlite,
    /// Shared by every replica.
    Postgres,
}

impl Backend {
    /// `sql` (written with `$n` parameters, each once and in order) as this
    /// database binds fastest. SQLite binds `$n` by looking its name up in a
    /// list of the statement's names, so an INSERT of many rows cost the
    /// square of its parameters (16 % of the server's CPU under batch load,
    /// tests/load/README.md); `?` binds by position.
    fn sql(self, sql: &str) -> Cow<'_, str> {
        match self {
            Self::Postgres => Cow::Borrowed(sql),
            Self::Sqlite => {
                let mut positional = String::with_capacity(sql.len());
                let mut chars = sql.chars().peekable();
                while let Some(c) = chars.next() {
                    if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
                        while chars.peek().is_some_and(char::is_ascii_digit) {
                            chars.next();
                        }
                        positional.push('?');
                    } else {
                        positional.push(c);
                    }
                }
                Cow::Owned(positional)
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Errors of the ledger. Their text names tables and positions, never the
/// values of a record.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("ledger migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("ledger location {0:?}: expected `sqlite:<path>`, `postgres://…` or `postgresql://…`")]
    Location(String),
    #[error("ledger directory {path}: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
    #[error("the ledger's chain is broken: {0}")]
    Broken(#[from] Break),
    #[error("ledger record {seq}: unreadable {field}")]
    Corrupt { seq: i64, field: &'static str },
    #[error("the ledger writer has stopped")]
    Stopped,
    #[error("ledger database (read-only scan): {0}")]
    Scan(#[from] rusqlite::Error),
}

/// Decisions to list, oldest first, after a position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub account_id: Option<String>,
    /// Recorded at or after (ms since the epoch).
    pub from_ms: Option<i64>,
    /// Recorded before.
    pub to_ms: Option<i64>,
    pub outcome: Option<String>,
    /// Only records a shadow policy of this id disagreed with.
    pub shadow_policy_id: Option<String>,
    /// Only records after this position (the page token).
    pub after_seq: i64,
    pub limit: i64,
}

/// Where verification starts after retention pruned older records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub pruned_at_ms: i64,
    pub pruned_records: i64,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Decision records checked.
    pub records: u64,
    /// The verified decision chain's end.
    pub head_seq: i64,
    /// The checkpoint verification of the decisions started from, if records
    /// were pruned.
    pub from_checkpoint: Option<i64>,
    /// Feedback records checked: the whole feedback chain, from its first
    /// record (feedback is never pruned).
    pub feedback: u64,
}

/// The ledger's tables in one database.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "seq, decision_id, workflow_id, workflow_version, account_id, completed_at, \
    recorded_at_ms, outcome, result_code, reasons, policy_id, policy_version, policy_digest, \
    input_sha256, facts, prev_hash, hash";
const COLUMN_COUNT: usize = 17;

/// What a replay reads of a record, in [`RecordedFacts`]'s order.
pub(crate) const FACTS_COLUMNS: &str = "seq, decision_id, workflow_id, outcome, result_code, facts";

const SHADOW_COLUMNS: &str =
    "decision_seq, policy_id, policy_version, policy_digest, outcome, result_code, rule_id";
const SHADOW_COLUMN_COUNT: usize = 7;

const FEEDBACK_COLUMNS: &str = "seq, feedback_id, workflow_id, account_id, decision_id, verdict, \
    note_code, recorded_at_ms, prev_hash, hash";

/// The file of a SQLite ledger location (`sqlite:<path>` or
/// `sqlite://<path>`); `None` for any other location.
pub fn sqlite_file(location: &str) -> Option<&Path> {
    let path = location.strip_prefix("sqlite:")?;
    Some(Path::new(path.strip_prefix("//").unwrap_or(path)))
}

impl Store {
    /// Opens the ledger at `location` (`sqlite:<path>` or a PostgreSQL URL),
    /// creating it and applying migrations as needed.
    pub async fn open(location: &str) -> Result<Self, LedgerError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if let Some(path) = sqlite_file(location) {
            if let Some(parent) = path.parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|source| LedgerError::Directory {
                    path: parent.display().to_string(),
                    source,
                })?;
            }
            (
                Backend::Sqlite,
                format!("sqlite://{}?mode=rwc", path.display()),
            )
        } else if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            (Backend::Postgres, location.to_owned())
        } else {
            return Err(LedgerError::Location(location.to_owned()));
        };
        let options = AnyPoolOptions::new()
            // A stopped database fails requests quickly instead of holding
            // them until their deadline.
            .acquire_timeout(Duration::from_secs(1));
        let pool = match backend {
            Backend::Sqlite => {
                options
                    .max_connections(4)
                    // A file does not drop connections: no ping before each use.
                    .test_before_acquire(false)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // WAL lets readers run beside the writer; FULL
                            // syncs the log at every commit, so an answered
                            // decision survives a crash of the machine too.
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            conn.execute("PRAGMA busy_timeout = 5000").await?;
                            // A statement's own journal (to undo just it),
                            // in memory: as a file, SQLite made, wrote and
                            // deleted one under /var/tmp for most appends. The
                            // WAL keeps what makes a commit durable.
                            conn.execute("PRAGMA temp_store = MEMORY").await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            Backend::Postgres => options.max_connections(8).connect(&url).await?,
        };
        MIGRATIONS.run(&pool).await?;
        Ok(Self { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Reads on one connection: see [`Reads`].
    pub fn reads(&self) -> Reads<'_> {
        Reads {
            store: self,
            conn: None,
        }
    }

    /// Closes the connections.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Appends `drafts` in one transaction, in order, at the chain's end.
    /// A draft whose workflow was recorded with the same input, policy and
    /// facts (so the same evidence) returns that record instead; `policies`
    /// are kept by digest.
    pub async fn append(
        &self,
        drafts: &[Draft],
        policies: &[PolicyText],
        now_ms: i64,
    ) -> Result<Vec<Appended>, LedgerError> {
        let mut tx = self.pool.begin().await?;
        let (mut seq, mut hash) = lock_head(&mut tx, DECISION_HEAD).await?;

        for policy in policies {
            sqlx::query(
                "INSERT INTO ledger_policies (digest, policy_id, version, content, first_recorded_ms) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (digest) DO NOTHING",
            )
            .bind(policy.key.digest.as_str())
            .bind(policy.key.id.as_str())
            .bind(policy.key.version.as_str())
            .bind(policy.content.as_str())
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }

        let mut versions = latest_versions(&mut tx, drafts, self.backend).await?;
        let mut appended = Vec::with_capacity(drafts.len());
        let mut rows: Vec<Row<'_>> = Vec::with_capacity(drafts.len());
        // (the live record's seq, a shadow's disagreement with it)
        let mut shadows: Vec<(i64, &ShadowRecord)> = Vec::new();
        for draft in drafts {
            let latest = if draft.workflow_id.is_empty() {
                None
            } else {
                versions.get(&draft.workflow_id)
            };
            // Only the latest version can be this one again: an input decided
            // again after another version is a new version, so that the
            // latest version is always the latest answer.
            if let Some(same) = latest.filter(|version| {
                version.input_sha256 == draft.input_sha256
                    && version.policy_digest == draft.policy.digest
                    && version.facts == draft.facts
            }) {
                appended.push(Appended {
                    decision_id: same.decision_id.clone(),
                    seq: same.seq,
                    workflow_version: same.version,
                    kind: AppendKind::Existing,
                });
                // A shadow loaded since it was recorded is recorded now.
                shadows.extend(draft.shadows.iter().map(|shadow| (same.seq, shadow)));
                continue;
            }
            let workflow_version = latest.map_or(1, |latest| latest.version + 1);
            let kind = latest.map_or(AppendKind::New, |latest| AppendKind::NewVersion {
                previous: latest.decision_id.clone(),
            });
            seq += 1;
            let decision_id = uuid::Uuid::now_v7().to_string();
            let reasons = reasons_json(draft);
            let record_hash = record_hash(
                &hash,
                seq,
                &decision_id,
                workflow_version,
                now_ms,
                draft,
                &reasons,
            );
            if !draft.workflow_id.is_empty() {
                versions.insert(
                    draft.workflow_id.clone(),
                    KnownVersion {
                        version: workflow_version,
                        decision_id: decision_id.clone(),
                        seq,
                        input_sha256: draft.input_sha256.clone(),
                        policy_digest: draft.policy.digest.clone(),
                        facts: draft.facts.clone(),
                    },
                );
            }
            appended.push(Appended {
                decision_id: decision_id.clone(),
                seq,
                workflow_version,
                kind,
            });
            shadows.extend(draft.shadows.iter().map(|shadow| (seq, shadow)));
            rows.push(Row {
                seq,
                decision_id,
                workflow_version,
                draft,
                reasons,
                prev_hash: std::mem::replace(&mut hash, record_hash.clone()),
                hash: record_hash,
            });
        }

        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut sql = format!("INSERT INTO decisions ({COLUMNS}) VALUES ");
            for (row, _) in chunk.iter().enumerate() {
                if row > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for column in 0..COLUMN_COUNT {
                    if column > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("${}", row * COLUMN_COUNT + column + 1));
                }
                sql.push(')');
            }
            let sql = self.backend.sql(&sql);
            let mut query = sqlx::query(&sql);
            for row in chunk {
                let draft = row.draft;
                query = query
                    .bind(row.seq)
                    .bind(row.decision_id.as_str())
                    .bind(draft.workflow_id.as_str())
                    .bind(row.workflow_version)
                    .bind(draft.account_id.as_str())
                    .bind(draft.completed_at.as_str())
                    .bind(now_ms)
                    .bind(draft.outcome.as_str())
                    .bind(draft.result_code.as_str())
                    .bind(row.reasons.as_str())
                    .bind(draft.policy.id.as_str())
                    .bind(draft.policy.version.as_str())
                    .bind(draft.policy.digest.as_str())
                    .bind(draft.input_sha256.as_str())
                    .bind(draft.facts.as_str())
                    .bind(row.prev_hash.as_str())
                    .bind(row.hash.as_str());
            }
            query.execute(&mut *tx).await?;
        }
        for chunk in shadows.chunks(ROWS_PER_INSERT) {
            let mut sql = format!("INSERT INTO shadow_decisions ({SHADOW_COLUMNS}) VALUES ");
            for row in 0..chunk.len() {
                if row > 0 {
                    sql.push_str(", ");
                }
                let first = row * SHADOW_COLUMN_COUNT;
                let placeholders: Vec<String> = (1..=SHADOW_COLUMN_COUNT)
                    .map(|column| format!("${}", first + column))
                    .collect();
                sql.push_str(&format!("({})", placeholders.join(", ")));
            }
            // The same shadow of the same record, sent again: kept once.
            sql.push_str(" ON CONFLICT DO NOTHING");
            let sql = self.backend.sql(&sql);
            let mut query = sqlx::query(&sql);
            for (seq, shadow) in chunk {
                query = query
                    .bind(*seq)
                    .bind(shadow.policy.id.as_str())
                    .bind(shadow.policy.version.as_str())
                    .bind(shadow.policy.digest.as_str())
                    .bind(shadow.outcome.as_str())
                    .bind(shadow.result_code.as_str())
                    .bind(shadow.rule_id.as_str());
            }
            query.execute(&mut *tx).await?;
        }
        if !rows.is_empty() {
            sqlx::query("UPDATE ledger_head SET seq = $1, hash = $2 WHERE id = 1")
                .bind(seq)
                .bind(hash.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(appended)
    }

    /// The latest checkpoint, if retention ever pruned.
    pub async fn checkpoint(&self) -> Result<Option<Checkpoint>, LedgerError> {
        latest_checkpoint(&mut *self.pool.acquire().await?).await
    }

    /// Checks both chains: the decisions from the latest checkpoint to their
    /// head, then the feedback from its first record to its head (feedback
    /// is never pruned). The first break found is the error.
    pub async fn verify(&self) -> Result<Verified, LedgerError> {
        let mut conn = self.pool.acquire().await?;
        let (head_seq, head_hash) = read_head(&mut conn, DECISION_HEAD).await?;
        let checkpoint = latest_checkpoint(&mut conn).await?;
        let verifier = walk_chain(&mut conn, checkpoint.as_ref(), head_seq).await?;
        let records = verifier.finish(head_seq, &head_hash)?;

        let (feedback_seq, feedback_head_hash) = read_head(&mut conn, FEEDBACK_HEAD).await?;
        let verifier = walk(
            &mut conn,
            Verifier::<FeedbackRecord>::new(0, GENESIS),
            &format!(
                "SELECT {FEEDBACK_COLUMNS} FROM feedback \
                 WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3"
            ),
            feedback_from_row,
            feedback_seq,
        )
        .await?;
        let feedback = verifier.finish(feedback_seq, &feedback_head_hash)?;
        Ok(Verified {
            records,
            head_seq,
            from_checkpoint: checkpoint.map(|c| c.seq),
            feedback,
        })
    }

    /// Records feedback on `draft.workflow_id`, linked to the workflow's
    /// latest recorded decision (highest version) and its account, at the end
    /// of the feedback chain, in one transaction. `Ok(None)` when the ledger
    /// has no decision for that workflow (never decided, pruned by retention,
    /// or an empty id): nothing is written. The same verdict and note on the
    /// same decision as the workflow's latest feedback returns that record
    /// (`already_recorded`): a retried call writes nothing. Never changes a
    /// decision row, and takes the feedback chain's head, not the decisions'.
    pub async fn record_feedback(
        &self,
        draft: &FeedbackDraft,
        now_ms: i64,
    ) -> Result<Option<GivenFeedback>, LedgerError> {
        if draft.workflow_id.is_empty() {
            return Ok(None);
        }
        let mut tx = self.pool.begin().await?;
        let (head_seq, head_hash) = lock_head(&mut tx, FEEDBACK_HEAD).await?;
        let latest = sqlx::query(
            "SELECT decision_id, account_id FROM decisions WHERE workflow_id = $1 \
             ORDER BY workflow_version DESC, seq DESC LIMIT 1",
        )
        .bind(draft.workflow_id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(latest) = latest else {
            tx.rollback().await?;
            return Ok(None);
        };
        let decision_id: String = latest.try_get(0)?;
        // The same judgement of the same decision again (a retried call):
        // the one recorded, nothing written.
        let previous = sqlx::query(&format!(
            "SELECT {FEEDBACK_COLUMNS} FROM feedback WHERE workflow_id = $1 \
             ORDER BY seq DESC LIMIT 1"
        ))
        .bind(draft.workflow_id.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| feedback_from_row(&row))
        .transpose()?;
        if let Some(previous) = previous.filter(|previous| {
            previous.decision_id == decision_id
                && previous.verdict == draft.verdict
                && previous.note_code == draft.note_code
        }) {
            tx.rollback().await?;
            return Ok(Some(GivenFeedback {
                record: previous,
                already_recorded: true,
            }));
        }
        let mut record = FeedbackRecord {
            seq: head_seq + 1,
            feedback_id: uuid::Uuid::now_v7().to_string(),
            workflow_id: draft.workflow_id.clone(),
            account_id: latest.try_get(1)?,
            decision_id,
            verdict: draft.verdict.clone(),
            note_code: draft.note_code.clone(),
            recorded_at_ms: now_ms,
            prev_hash: head_hash,
            hash: String::new(),
        };
        record.hash = feedback_hash(&record.prev_hash, &record);
        sqlx::query(&format!(
            "INSERT INTO feedback ({FEEDBACK_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(record.seq)
        .bind(record.feedback_id.as_str())
        .bind(record.workflow_id.as_str())
        .bind(record.account_id.as_str())
        .bind(record.decision_id.as_str())
        .bind(record.verdict.as_str())
        .bind(record.note_code.as_str())
        .bind(record.recorded_at_ms)
        .bind(record.prev_hash.as_str())
        .bind(record.hash.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE feedback_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(record.seq)
            .bind(record.hash.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(GivenFeedback {
            record,
            already_recorded: false,
        }))
    }

    /// Deletes the decision records recorded before `before_ms` (a prefix of
    /// the chain), after checking them, and leaves a checkpoint — the last
    /// pruned record's position and hash — where verification starts from
    /// then on. Returns how many records went. Feedback is not pruned: its
    /// chain is kept whole, and still names the pruned decisions' ids.
    pub async fn prune(&self, before_ms: i64, now_ms: i64) -> Result<i64, LedgerError> {
        let mut tx = self.pool.begin().await?;
        let (head_seq, _) = lock_head(&mut tx, DECISION_HEAD).await?;
        let first_kept: Option<i64> =
            sqlx::query("SELECT MIN(seq) FROM decisions WHERE recorded_at_ms >= $1")
                .bind(before_ms)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        let cutoff = first_kept.map_or(head_seq, |seq| seq - 1);
        let checkpoint = latest_checkpoint(&mut tx).await?;
        if cutoff <= checkpoint.as_ref().map_or(0, |c| c.seq) {
            return Ok(0);
        }
        // What is pruned is checked first: pruning must not launder a break.
        let verifier = walk_chain(&mut tx, checkpoint.as_ref(), cutoff).await?;
        verifier.reached(cutoff)?;
        let last_hash = verifier.hash().to_owned();
        sqlx::query("DELETE FROM shadow_decisions WHERE decision_seq <= $1")
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
        let pruned = sqlx::query("DELETE FROM decisions WHERE seq <= $1")
            .bind(cutoff)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let pruned = i64::try_from(pruned).unwrap_or(i64::MAX);
        sqlx::query(
            "INSERT INTO ledger_checkpoints (seq, hash, pruned_at_ms, pruned_records) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(cutoff)
        .bind(last_hash.as_str())
        .bind(now_ms)
        .bind(pruned)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(pruned)
    }
}

/// Reads on one connection of the pool, taken at the first read and kept
/// until the `Reads` is dropped. sqlx checks every connection it gets back
/// with a round trip (to SQLite's worker thread, or to PostgreSQL), so reads
/// that answer one request together (a record, its feedback, its shadows)
/// share one connection rather than take one each. Each read is a statement
/// of its own, outside any transaction: a later read sees what was committed
/// since an earlier one.
///
/// Drop it inside the runtime (in the future that read, not after
/// `block_on`): sqlx takes a connection back on a task of its own. After a
/// failed read, drop it too: sqlx checks the connection as it takes it
/// back, and closes it if it is broken; a `Reads` would keep using it.
pub struct Reads<'s> {
    store: &'s Store,
    conn: Option<PoolConnection<sqlx::Any>>,
}

impl fmt::Debug for Reads<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reads")
            .field("store", self.store)
            .field("connected", &self.conn.is_some())
            .finish()
    }
}

impl Reads<'_> {
    /// The connection, taken from the pool at the first read.
    async fn conn(&mut self) -> Result<&mut AnyConnection, LedgerError> {
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => self.store.pool.acquire().await?,
        };
        Ok(&mut **self.conn.insert(conn))
    }

    /// The record `decision_id`.
    pub async fn by_id(&mut self, decision_id: &str) -> Result<Option<Record>, LedgerError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM decisions WHERE decision_id = $1"
        ))
        .bind(decision_id)
        .fetch_optional(self.conn().await?)
        .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// The recorded versions of `workflow_id`, oldest first: the first
    /// [`MAX_VERSIONS`], so that one answer stays bounded.
    pub async fn by_workflow(&mut self, workflow_id: &str) -> Result<Vec<Record>, LedgerError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM decisions WHERE workflow_id = $1 ORDER BY seq LIMIT {MAX_VERSIONS}"
        ))
        .bind(workflow_id)
        .fetch_all(self.conn().await?)
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    /// Records matching `query`, oldest first, at most `query.limit`.
    pub async fn list(&mut self, query: &ListQuery) -> Result<Vec<Record>, LedgerError> {
        let (conditions, next) = filter_sql(query);
        let sql = format!("SELECT {COLUMNS} FROM decisions{conditions} ORDER BY seq LIMIT ${next}");
        let rows = bind_filters(sqlx::query(&sql), query)
            .bind(query.limit)
            .fetch_all(self.conn().await?)
            .await?;
        rows.iter().map(record_from_row).collect()
    }

    /// As [`Reads::list`], only what a replay reads: a fraction of each
    /// record's bytes (no reasons, hashes or policy), so reading keeps up with
    /// deciding.
    pub async fn list_facts(
        &mut self,
        query: &ListQuery,
    ) -> Result<Vec<RecordedFacts>, LedgerError> {
        let (conditions, next) = filter_sql(query);
        let sql =
            format!("SELECT {FACTS_COLUMNS} FROM decisions{conditions} ORDER BY seq LIMIT ${next}");
        let rows = bind_filters(sqlx::query(&sql), query)
            .bind(query.limit)
            .fetch_all(self.conn().await?)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(RecordedFacts {
                    seq: row.try_get(0)?,
                    decision_id: row.try_get(1)?,
                    workflow_id: row.try_get(2)?,
                    outcome: row.try_get(3)?,
                    result_code: row.try_get(4)?,
                    facts: row.try_get(5)?,
                })
            })
            .collect()
    }

    /// The shadow disagreements recorded beside each of these records (by
    /// seq): in seq order, then by shadow policy id.
    pub async fn shadows_of(
        &mut self,
        seqs: &[i64],
    ) -> Result<Vec<(i64, ShadowRecord)>, LedgerError> {
        let backend = self.store.backend;
        let mut found = Vec::new();
        let sql = format!(
            "SELECT {SHADOW_COLUMNS} FROM shadow_decisions WHERE decision_seq IN ({{ids}})"
        );
        for chunk in seqs.chunks(IDS_PER_LOOKUP) {
            for row in rows_for(self.conn().await?, backend, &sql, chunk).await? {
                found.push((
                    row.try_get::<i64, _>(0)?,
                    ShadowRecord {
                        policy: PolicyKey {
                            id: row.try_get(1)?,
                            version: row.try_get(2)?,
                            digest: row.try_get(3)?,
                        },
                        outcome: row.try_get(4)?,
                        result_code: row.try_get(5)?,
                        rule_id: row.try_get(6)?,
                    },
                ));
            }
        }
        found.sort_by(|(a, x), (b, y)| {
            (a, &x.policy.id, &x.policy.digest).cmp(&(b, &y.policy.id, &y.policy.digest))
        });
        Ok(found)
    }

    /// How many records match `query`'s filters (its limit aside): what a
    /// long scan shows its progress against.
    pub async fn count(&mut self, query: &ListQuery) -> Result<i64, LedgerError> {
        let (conditions, _) = filter_sql(query);
        let sql = format!("SELECT COUNT(*) FROM decisions{conditions}");
        let row = bind_filters(sqlx::query(&sql), query)
            .fetch_one(self.conn().await?)
            .await?;
        Ok(row.try_get::<i64, _>(0)?)
    }

    /// The text of the policy with `digest`, if it ever decided.
    pub async fn policy(&mut self, digest: &str) -> Result<Option<PolicyText>, LedgerError> {
        let row = sqlx::query(
            "SELECT policy_id, version, content FROM ledger_policies WHERE digest = $1",
        )
        .bind(digest)
        .fetch_optional(self.conn().await?)
        .await?;
        row.map(|row| {
            Ok(PolicyText {
                key: PolicyKey {
                    id: row.try_get(0)?,
                    version: row.try_get(1)?,
                    digest: digest.to_owned(),
                },
                content: row.try_get(2)?,
            })
        })
        .transpose()
    }

    /// Feedback on these workflows, in chain order (oldest first): at most
    /// the newest [`MAX_FEEDBACK`] of them, so that one answer stays bounded.
    /// Repeated ids count once; empty ids are ignored; unknown ids give
    /// nothing.
    pub async fn feedback_for(
        &mut self,
        workflow_ids: &[&str],
    ) -> Result<Vec<FeedbackRecord>, LedgerError> {
        let mut found = self
            .feedback_where(
                workflow_ids,
                &format!("ORDER BY f.seq DESC LIMIT {MAX_FEEDBACK}"),
            )
            .await?;
        let keep = usize::try_from(MAX_FEEDBACK).unwrap_or(usize::MAX);
        found.drain(..found.len().saturating_sub(keep));
        Ok(found)
    }

    /// The latest feedback on each of these workflows (the one a decision
    /// reads), in chain order: one record per workflow, however much
    /// feedback others have. Empty and unknown ids give nothing.
    pub async fn latest_feedback(
        &mut self,
        workflow_ids: &[&str],
    ) -> Result<Vec<FeedbackRecord>, LedgerError> {
        self.feedback_where(
            workflow_ids,
            "AND f.seq = (SELECT MAX(g.seq) FROM feedback g WHERE g.workflow_id = f.workflow_id)",
        )
        .await
    }

    /// The feedback on these workflows that `rest` (SQL after the
    /// `workflow_id IN (...)` condition, on `feedback f`) selects, in chain
    /// order.
    async fn feedback_where(
        &mut self,
        workflow_ids: &[&str],
        rest: &str,
    ) -> Result<Vec<FeedbackRecord>, LedgerError> {
        let backend = self.store.backend;
        let sql = format!(
            "SELECT {FEEDBACK_COLUMNS} FROM feedback f WHERE f.workflow_id IN ({{ids}}) {rest}"
        );
        let mut found = Vec::new();
        for chunk in distinct(workflow_ids).chunks(IDS_PER_LOOKUP) {
            for row in rows_for(self.conn().await?, backend, &sql, chunk).await? {
                found.push(feedback_from_row(&row)?);
            }
        }
        found.sort_unstable_by_key(|record| record.seq);
        Ok(found)
    }

    /// The RETRY decisions of these accounts recorded at or after `from_ms`,
    /// newest first: at most `per_account` for each account asked (more
    /// accounts, more rows). Empty ids are ignored.
    pub async fn retries_of(
        &mut self,
        account_ids: &[&str],
        from_ms: i64,
        per_account: i64,
    ) -> Result<Vec<AccountRetry>, LedgerError> {
        let mut found = Vec::new();
        for chunk in distinct(account_ids).chunks(ACCOUNTS_PER_LOOKUP) {
            // One index seek per account, each with its own limit, so that
            // one account's many retries can neither crowd another's out nor
            // be read past the limit. `from_ms` and `per_account` are bound,
            // not written into the SQL: `from_ms` follows each workflow's
            // completion time, and a statement text per value was prepared
            // anew at every lookup, never found in the connection's cache.
            let sql = (1..=chunk.len())
                .map(|n| {
                    let account = 3 * n - 2;
                    let (from, limit) = (account + 1, account + 2);
                    format!(
                        "SELECT * FROM (SELECT seq, account_id, workflow_id, completed_at \
                         FROM decisions WHERE account_id = ${account} AND outcome = 'RETRY' \
                         AND recorded_at_ms >= ${from} ORDER BY seq DESC \
                         LIMIT ${limit}) AS account_{n}"
                    )
                })
                .collect::<Vec<_>>()
                .join(" UNION ALL ");
            let sql = self.store.backend.sql(&sql);
            let mut query = sqlx::query(&sql);
            for account in chunk {
                query = query.bind(*account).bind(from_ms).bind(per_account);
            }
            for row in query.fetch_all(self.conn().await?).await? {
                found.push((
                    row.try_get::<i64, _>(0)?,
                    AccountRetry {
                        account_id: row.try_get(1)?,
                        workflow_id: row.try_get(2)?,
                        completed_at: row.try_get(3)?,
                    },
                ));
            }
        }
        found.sort_unstable_by_key(|(seq, _)| std::cmp::Reverse(*seq));
        Ok(found.into_iter().map(|(_, retry)| retry).collect())
    }

    /// The latest recorded version of each of these workflows, in the order
    /// asked: repeated ids answered once, empty ids ignored, workflows the
    /// ledger has no decision for (unknown, or pruned) left out.
    pub async fn latest_of(
        &mut self,
        workflow_ids: &[&str],
    ) -> Result<Vec<WorkflowSummary>, LedgerError> {
        let backend = self.store.backend;
        // Per workflow: (version, seq) of the latest row seen, and its summary.
        let mut latest: HashMap<String, ((i64, i64), WorkflowSummary)> = HashMap::new();
        for chunk in distinct(workflow_ids).chunks(IDS_PER_LOOKUP) {
            let sql = "SELECT d.workflow_id, d.account_id, d.outcome, d.result_code, \
                d.decision_id, d.workflow_version, d.seq FROM decisions d \
                WHERE d.workflow_id IN ({ids}) \
                AND d.workflow_version = (SELECT MAX(m.workflow_version) FROM decisions m \
                WHERE m.workflow_id = d.workflow_id)";
            for row in rows_for(self.conn().await?, backend, sql, chunk).await? {
                let summary = WorkflowSummary {
                    workflow_id: row.try_get(0)?,
                    account_id: row.try_get(1)?,
                    outcome: row.try_get(2)?,
                    result_code: row.try_get(3)?,
                    decision_id: row.try_get(4)?,
                    workflow_version: row.try_get(5)?,
                };
                let rank = (summary.workflow_version, row.try_get::<i64, _>(6)?);
                match latest.get(&summary.workflow_id) {
                    Some((seen, _)) if *seen >= rank => {}
                    _ => {
                        latest.insert(summary.workflow_id.clone(), (rank, summary));
                    }
                }
            }
        }
        Ok(workflow_ids
            .iter()
            .filter_map(|id| latest.remove(*id).map(|(_, summary)| summary))
            .collect())
    }
}

/// The decisions' chain head.
const DECISION_HEAD: &str = "ledger_head";
/// The feedback chain's head.
const FEEDBACK_HEAD: &str = "feedback_head";

/// Locks a chain's head (`head`: [`DECISION_HEAD`] or [`FEEDBACK_HEAD`]) for
/// the rest of the transaction and reads it: a write first takes
/// PostgreSQL's row lock or SQLite's write lock before the head is read, so
/// appenders (and pruning) on several servers queue here and extend one
/// chain. The two heads are two rows: on PostgreSQL, decision appends and
/// feedback writes never wait for each other. One statement (`RETURNING`),
/// so one round trip: every commit and every feedback takes it.
async fn lock_head(conn: &mut AnyConnection, head: &str) -> Result<(i64, String), LedgerError> {
    let row = sqlx::query(&format!(
        "UPDATE {head} SET seq = seq WHERE id = 1 RETURNING seq, hash"
    ))
    .fetch_one(&mut *conn)
    .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// A chain's head: the last record's position and hash.
async fn read_head(conn: &mut AnyConnection, head: &str) -> Result<(i64, String), LedgerError> {
    let row = sqlx::query(&format!("SELECT seq, hash FROM {head} WHERE id = 1"))
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// The distinct non-empty ids among `ids`.
fn distinct<'a>(ids: &[&'a str]) -> Vec<&'a str> {
    let mut ids: Vec<&str> = ids.iter().copied().filter(|id| !id.is_empty()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// A value to bind: a filter's, or an id [`rows_for`] looks rows up by.
#[derive(Clone, Copy)]
pub(crate) enum Bound<'q> {
    Number(i64),
    Text(&'q str),
}

impl<'q> Bound<'q> {
    /// `statement` with this value bound to its next parameter.
    fn bind_to(self, statement: AnyQuery<'q>) -> AnyQuery<'q> {
        match self {
            Self::Number(number) => statement.bind(number),
            Self::Text(text) => statement.bind(text),
        }
    }
}

impl From<i64> for Bound<'_> {
    fn from(number: i64) -> Self {
        Self::Number(number)
    }
}

impl<'q> From<&'q str> for Bound<'q> {
    fn from(text: &'q str) -> Self {
        Self::Text(text)
    }
}

/// `query`'s position and filters, in order: the SQL before the filter's
/// placeholder, the SQL after it, and the value to bind. [`filter_sql`]
/// writes them, [`bind_filters`] (and the SQLite scan) binds them.
pub(crate) fn filters(query: &ListQuery) -> Vec<(&'static str, &'static str, Bound<'_>)> {
    let mut all = vec![("seq >", "", Bound::Number(query.after_seq))];
    if let Some(account) = &query.account_id {
        all.push(("account_id =", "", Bound::Text(account)));
    }
    if let Some(from) = query.from_ms {
        all.push(("recorded_at_ms >=", "", Bound::Number(from)));
    }
    if let Some(to) = query.to_ms {
        all.push(("recorded_at_ms <", "", Bound::Number(to)));
    }
    if let Some(outcome) = &query.outcome {
        all.push(("outcome =", "", Bound::Text(outcome)));
    }
    if let Some(shadow) = &query.shadow_policy_id {
        all.push((
            "seq IN (SELECT s.decision_seq FROM shadow_decisions s WHERE s.policy_id =",
            ")",
            Bound::Text(shadow),
        ));
    }
    all
}

/// ` WHERE …` for `query`'s position and filters, with `$n` placeholders
/// in the order [`filters`] gives them, and the next placeholder's number.
pub(crate) fn filter_sql(query: &ListQuery) -> (String, usize) {
    let filters = filters(query);
    let mut sql = String::new();
    for (n, (before, after, _)) in filters.iter().enumerate() {
        let join = if n == 0 { " WHERE" } else { " AND" };
        sql.push_str(&format!("{join} {before} ${}{after}", n + 1));
    }
    (sql, filters.len() + 1)
}

/// Binds what [`filter_sql`] placed.
fn bind_filters<'q>(mut statement: AnyQuery<'q>, query: &'q ListQuery) -> AnyQuery<'q> {
    for (_, _, value) in filters(query) {
        statement = value.bind_to(statement);
    }
    statement
}

/// The rows `sql` selects for one chunk of ids (at most
/// [`IDS_PER_LOOKUP`]; texts or record numbers), bound in order to `$1, $2,
/// …`: an `{ids}` in `sql` becomes that list. Bound, not written into the
/// SQL, so that the statement's text depends only on how many ids there
/// are and is prepared once per connection.
async fn rows_for<'c, 'i, E, T>(
    executor: E,
    backend: Backend,
    sql: &str,
    ids: &[T],
) -> Result<Vec<AnyRow>, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
    T: Copy + Into<Bound<'i>>,
{
    let placeholders = (1..=ids.len())
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = sql.replace("{ids}", &placeholders);
    let sql = backend.sql(&sql);
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = (*id).into().bind_to(query);
    }
    query.fetch_all(executor).await
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

async fn latest_checkpoint(conn: &mut AnyConnection) -> Result<Option<Checkpoint>, LedgerError> {
    let row = sqlx::query(
        "SELECT seq, hash, pruned_at_ms, pruned_records FROM ledger_checkpoints \
         ORDER BY seq DESC LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| {
        Ok(Checkpoint {
            seq: row.try_get(0)?,
            hash: row.try_get(1)?,
            pruned_at_ms: row.try_get(2)?,
            pruned_records: row.try_get(3)?,
        })
    })
    .transpose()
}

/// Checks the decision records after `from` (a checkpoint, or the chain's
/// start) up to `up_to`, a page at a time; the verifier ends at the last
/// record read.
async fn walk_chain(
    conn: &mut AnyConnection,
    from: Option<&Checkpoint>,
    up_to: i64,
) -> Result<Verifier<Record>, LedgerError> {
    let verifier = from.map_or_else(
        || Verifier::new(0, GENESIS),
        |checkpoint| Verifier::new(checkpoint.seq, &checkpoint.hash),
    );
    let page = format!(
        "SELECT {COLUMNS} FROM decisions WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3"
    );
    walk(conn, verifier, &page, record_from_row, up_to).await
}

/// Checks the records of one chain after the verifier's position up to
/// `up_to`, a page at a time: `page` selects them (`$1` after, `$2` up to,
/// `$3` how many), `from_row` reads one. The verifier ends at the last
/// record read.
async fn walk<L: Link>(
    conn: &mut AnyConnection,
    mut verifier: Verifier<L>,
    page: &str,
    from_row: fn(&AnyRow) -> Result<L, LedgerError>,
    up_to: i64,
) -> Result<Verifier<L>, LedgerError> {
    loop {
        let rows = sqlx::query(page)
            .bind(verifier.seq())
            .bind(up_to)
            .bind(SCAN_PAGE)
            .fetch_all(&mut *conn)
            .await?;
        if rows.is_empty() {
            return Ok(verifier);
        }
        for row in &rows {
            verifier.check(&from_row(row)?)?;
        }
    }
}

/// A record about to be inserted: the draft by reference, no copy.
struct Row<'d> {
    seq: i64,
    decision_id: String,
    workflow_version: i64,
    draft: &'d Draft,
    /// The reasons' JSON, as hashed.
    reasons: String,
    prev_hash: String,
    hash: String,
}

/// A workflow's latest recorded version, for idempotency and versioning.
#[derive(Debug, Clone)]
struct KnownVersion {
    version: i64,
    decision_id: String,
    seq: i64,
    input_sha256: String,
    policy_digest: String,
    /// With the evidence the decision read: the same input decided with new
    /// evidence is a new version.
    facts: String,
}

/// The recorded versions of the drafts' workflows.
async fn latest_versions(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    drafts: &[Draft],
    backend: Backend,
) -> Result<HashMap<String, KnownVersion>, LedgerError> {
    let ids: Vec<&str> = drafts
        .iter()
        .map(|draft| draft.workflow_id.as_str())
        .collect();
    let mut latest: HashMap<String, KnownVersion> = HashMap::new();
    for chunk in distinct(&ids).chunks(IDS_PER_LOOKUP) {
        // One row per workflow: the facts of older versions are not read.
        let sql = "SELECT d.workflow_id, d.workflow_version, d.decision_id, d.seq, \
            d.input_sha256, d.policy_digest, d.facts FROM decisions d \
            WHERE d.workflow_id IN ({ids}) \
            AND d.workflow_version = (SELECT MAX(m.workflow_version) FROM decisions m \
            WHERE m.workflow_id = d.workflow_id)";
        for row in rows_for(&mut **tx, backend, sql, chunk).await? {
            latest.insert(
                row.try_get(0)?,
                KnownVersion {
                    version: row.try_get(1)?,
                    decision_id: row.try_get(2)?,
                    seq: row.try_get(3)?,
                    input_sha256: row.try_get(4)?,
                    policy_digest: row.try_get(5)?,
                    facts: row.try_get(6)?,
                },
            );
        }
    }
    Ok(latest)
}

fn record_from_row(row: &AnyRow) -> Result<Record, LedgerError> {
    let seq: i64 = row.try_get(0)?;
    let reasons: String = row.try_get(9)?;
    let reasons: Vec<ReasonRecord> =
        serde_json::from_str(&reasons).map_err(|_| LedgerError::Corrupt {
            seq,
            field: "reasons",
        })?;
    Ok(Record {
        seq,
        decision_id: row.try_get(1)?,
        workflow_version: row.try_get(3)?,
        recorded_at_ms: row.try_get(6)?,
        draft: Draft {
            workflow_id: row.try_get(2)?,
            account_id: row.try_get(4)?,
            completed_at: row.try_get(5)?,
            outcome: row.try_get(7)?,
            result_code: row.try_get(8)?,
            reasons,
            policy: PolicyKey {
                id: row.try_get(10)?,
                version: row.try_get(11)?,
                digest: row.try_get(12)?,
            },
            input_sha256: row.try_get(13)?,
            facts: row.try_get(14)?,
            shadows: Vec::new(),
        },
        prev_hash: row.try_get(15)?,
        hash: row.try_get(16)?,
    })
}

fn feedback_from_row(row: &AnyRow) -> Result<FeedbackRecord, LedgerError> {
    Ok(FeedbackRecord {
        seq: row.try_get(0)?,
        feedback_id: row.try_get(1)?,
        workflow_id: row.try_get(2)?,
        account_id: row.try_get(3)?,
        decision_id: row.try_get(4)?,
        verdict: row.try_get(5)?,
        note_code: row.try_get(6)?,
        recorded_at_ms: row.try_get(7)?,
        prev_hash: row.try_get(8)?,
        hash: row.try_get(9)?,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use sqlx::Row as _;

    use super::{Store, sqlite_file};

    #[test]
    fn a_sqlite_location_names_its_file_in_either_spelling() {
        assert_eq!(
            sqlite_file("sqlite:verdict-data/ledger.sqlite"),
            Some(Path::new("verdict-data/ledger.sqlite"))
        );
        assert_eq!(
            sqlite_file("sqlite:///var/lib/verdict/ledger.sqlite"),
            Some(Path::new("/var/lib/verdict/ledger.sqlite"))
        );
        assert_eq!(sqlite_file("postgres://verdict@db/verdict"), None);
    }

    /// SQLite's temporary files (a statement's journal, sorts) stay in
    /// memory: an append writes nothing outside the ledger's own files.
    #[tokio::test]
    async fn sqlite_connections_keep_temporary_files_in_memory()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = Store::open(&format!("sqlite:{}/ledger.sqlite", dir.path().display())).await?;
        let mut connection = store.pool.acquire().await?;
        let row = sqlx::query("PRAGMA temp_store")
            .fetch_one(&mut *connection)
            .await?;
        // 2 = MEMORY (0 would be the build's default, files).
        assert_eq!(row.try_get::<i64, _>(0)?, 2);
        Ok(())
    }
}
