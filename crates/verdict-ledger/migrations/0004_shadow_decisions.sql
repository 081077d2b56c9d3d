-- What a shadow policy decided where it disagreed with the live decision
-- (outcome or result code): beside the live decision's record, outside its
-- hash chain (a shadow never decided anything a caller was told). Keyed by
-- the live record's seq, so that pruning drops them with it.
CREATE TABLE shadow_decisions (
    decision_seq BIGINT NOT NULL,
    policy_id TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    policy_digest TEXT NOT NULL,
    outcome TEXT NOT NULL,
    result_code TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    PRIMARY KEY (decision_seq, policy_id, policy_digest)
);
-- `ListDecisions(shadow_policy_id)`: one shadow's disagreements in seq order,
-- without walking every decision to find the few it disagreed with.
CREATE INDEX shadow_decisions_by_policy ON shadow_decisions (policy_id, decision_seq);
