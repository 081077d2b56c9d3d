-- One row per recorded decision, chained: `hash` covers the row and the
-- previous row's hash (crates/verdict-ledger/src/chain.rs). Rows are only
-- ever inserted; retention deletes a prefix and leaves a checkpoint.
CREATE TABLE decisions (
    seq BIGINT PRIMARY KEY,
    decision_id TEXT NOT NULL UNIQUE,
    workflow_id TEXT NOT NULL,
    workflow_version BIGINT NOT NULL,
    account_id TEXT NOT NULL,
    completed_at TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    result_code TEXT NOT NULL,
    reasons TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    policy_digest TEXT NOT NULL,
    input_sha256 TEXT NOT NULL,
    facts TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX decisions_by_workflow ON decisions (workflow_id, workflow_version);
CREATE INDEX decisions_by_account ON decisions (account_id, seq);
CREATE INDEX decisions_by_time ON decisions (recorded_at_ms, seq);

-- The chain's end: appends lock this row, so appends from several servers
-- sharing one database form a single chain.
CREATE TABLE ledger_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO ledger_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Where verification starts after retention pruned the records before it:
-- the last pruned record's position and hash.
CREATE TABLE ledger_checkpoints (
    seq BIGINT PRIMARY KEY,
    hash TEXT NOT NULL,
    pruned_at_ms BIGINT NOT NULL,
    pruned_records BIGINT NOT NULL
);

-- The text of every policy that decided, by digest.
CREATE TABLE ledger_policies (
    digest TEXT PRIMARY KEY,
    policy_id TEXT NOT NULL,
    version TEXT NOT NULL,
    content TEXT NOT NULL,
    first_recorded_ms BIGINT NOT NULL
);
