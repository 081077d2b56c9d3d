-- An account's decisions of one outcome, newest first: a decision that is a
-- RETRY reads the account's earlier RETRY decisions
-- (crates/verdict-ledger/src/store.rs, `retries_of`). Without it, an account
-- with many decisions of other outcomes is scanned whole, once per decision.
CREATE INDEX decisions_by_account_outcome ON decisions (account_id, outcome, seq);
