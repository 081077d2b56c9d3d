-- The business's later judgement of decided workflows: one row per feedback,
-- codes only (no free text, no personal data), chained like the decisions
-- but in a chain of its own: `hash` covers the row and the previous feedback
-- row's hash (crates/verdict-ledger/src/chain.rs). Rows are only ever
-- inserted, and never pruned: retention deletes decisions only. A row names
-- the workflow's latest decision (and its account) when it was recorded;
-- decision rows are never changed by feedback.
CREATE TABLE feedback (
    seq BIGINT PRIMARY KEY,
    feedback_id TEXT NOT NULL UNIQUE,
    workflow_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    decision_id TEXT NOT NULL,
    verdict TEXT NOT NULL,
    note_code TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX feedback_by_workflow ON feedback (workflow_id, seq);

-- The feedback chain's end: feedback writes lock this row, not
-- `ledger_head`, so writes from several servers form one feedback chain and
-- never wait for the decisions' head (SQLite still takes one write lock per
-- file for any write).
CREATE TABLE feedback_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO feedback_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
