//! One suite, run against both stores: every test runs on an embedded SQLite
//! file and on a fresh PostgreSQL database (when `LEDGER_TEST_POSTGRES_URL`
//! names a server; CI requires one).

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on should fail loudly"
)]

use std::sync::Arc;

use verdict_ledger::chain::{GENESIS, feedback_hash};
use verdict_ledger::{
    AppendKind, Break, Draft, FeedbackDraft, FeedbackRecord, Ledger, LedgerError, ListQuery,
    MAX_FEEDBACK, PolicyKey, PolicyText, ReasonRecord, ShadowRecord, Store, WorkflowSummary,
};

/// GetDecision and the evidence lookups read several times on one
/// connection: each read must see every commit before it, as reads on
/// connections of their own do (no snapshot held between them).
async fn reads_on_one_connection_see_what_was_committed_between_them(location: &str) {
    let store = open(location).await;
    let mut reads = store.reads();
    assert!(reads.by_workflow("wf-1").await.expect("read").is_empty());
    let appended = store
        .append(&[draft("wf-1", "a", "APPROVE", "01")], &[], 1)
        .await
        .expect("append");
    let record = reads
        .by_id(&appended[0].decision_id)
        .await
        .expect("read")
        .expect("committed before the read");
    assert_eq!(record.draft.workflow_id, "wf-1");
    assert!(
        reads
            .feedback_for(&["wf-1"])
            .await
            .expect("read")
            .is_empty()
    );
    store
        .record_feedback(
            &FeedbackDraft {
                workflow_id: "wf-1".into(),
                verdict: "LEGITIMATE".into(),
                note_code: String::new(),
            },
            2,
        )
        .await
        .expect("record")
        .expect("decided");
    let feedback = reads.feedback_for(&["wf-1"]).await.expect("read");
    assert_eq!(feedback.len(), 1);
    assert_eq!(feedback[0].decision_id, appended[0].decision_id);
}

async fn the_same_judgement_again_is_the_recorded_feedback(location: &str) {
    let store = open(location).await;
    store
        .append(&[draft("wf-1", "a", "APPROVE", "01")], &[], 1)
        .await
        .expect("append");
    let judge = |verdict: &str, note: &str| FeedbackDraft {
        workflow_id: "wf-1".into(),
        verdict: verdict.into(),
        note_code: note.into(),
    };
    let first = store
        .record_feedback(&judge("FRAUD_CONFIRMED", "CHARGEBACK"), 10)
        .await
        .expect("record")
        .expect("decided");
    assert!(!first.already_recorded);
    // A retried call: the record, nothing written.
    let again = store
        .record_feedback(&judge("FRAUD_CONFIRMED", "CHARGEBACK"), 20)
        .await
        .expect("record")
        .expect("decided");
    assert!(again.already_recorded);
    assert_eq!(again.record, first.record);
    // Another note, or another verdict, is another judgement.
    for (verdict, note, seq) in [
        ("FRAUD_CONFIRMED", "POLICE_REPORT", 2),
        ("LEGITIMATE", "POLICE_REPORT", 3),
        ("FRAUD_CONFIRMED", "CHARGEBACK", 4),
    ] {
        let given = store
            .record_feedback(&judge(verdict, note), 30 + seq)
            .await
            .expect("record")
            .expect("decided");
        assert!(!given.already_recorded, "{verdict} {note}");
        assert_eq!(given.record.seq, seq);
    }
    // The workflow decided again: the same judgement of the new decision is new.
    store
        .append(&[draft("wf-1", "a", "DECLINE", "02")], &[], 40)
        .await
        .expect("append");
    let newer = store
        .record_feedback(&judge("FRAUD_CONFIRMED", "CHARGEBACK"), 50)
        .await
        .expect("record")
        .expect("decided");
    assert!(!newer.already_recorded);
    assert_eq!(store.verify().await.expect("verifies").feedback, 5);
}

async fn the_latest_feedback_of_each_workflow_is_read_however_much_others_have(location: &str) {
    let store = open(location).await;
    store
        .append(
            &[
                draft("wf-1", "a", "APPROVE", "01"),
                draft("wf-2", "b", "APPROVE", "02"),
            ],
            &[],
            1,
        )
        .await
        .expect("append");
    give(&store, "wf-1", "FRAUD_CONFIRMED", 10).await;
    // More feedback on wf-2 than one read of feedback_for returns.
    for n in 0..=MAX_FEEDBACK {
        give(&store, "wf-2", "INCONCLUSIVE", 100 + n).await;
    }
    let latest = store
        .reads()
        .latest_feedback(&["wf-2", "wf-1", "wf-9", ""])
        .await
        .expect("read");
    let seen: Vec<_> = latest
        .iter()
        .map(|given| (given.workflow_id.as_str(), given.verdict.as_str()))
        .collect();
    assert_eq!(
        seen,
        [("wf-1", "FRAUD_CONFIRMED"), ("wf-2", "INCONCLUSIVE")]
    );
    assert_eq!(latest[1].seq, MAX_FEEDBACK + 2, "wf-2's last");
}

async fn an_accounts_retries_are_read_newest_first_for_several_accounts_at_once(location: &str) {
    let store = open(location).await;
    for (n, (workflow, account, outcome)) in [
        ("wf-1", "acct-a", "RETRY"),
        ("wf-2", "acct-a", "APPROVE"),
        ("wf-3", "acct-b", "RETRY"),
        ("wf-4", "acct-a", "RETRY"),
        ("wf-5", "acct-c", "RETRY"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut retry = draft(workflow, account, outcome, workflow);
        retry.completed_at = format!("2026-05-0{}T10:00:00Z", n + 1);
        let at = i64::try_from(n).expect("small") * 100;
        store.append(&[retry], &[], at).await.expect("append");
    }
    let found = store
        .reads()
        .retries_of(&["acct-a", "acct-b", ""], 0, 10)
        .await
        .expect("read");
    let seen: Vec<_> = found
        .iter()
        .map(|retry| {
            (
                retry.account_id.as_str(),
                retry.workflow_id.as_str(),
                retry.completed_at.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("acct-a", "wf-4", "2026-05-04T10:00:00Z"),
            ("acct-b", "wf-3", "2026-05-03T10:00:00Z"),
            ("acct-a", "wf-1", "2026-05-01T10:00:00Z"),
        ]
    );
    // Recorded from a time on: wf-1 (recorded at 0) is left out.
    let since = store
        .reads()
        .retries_of(&["acct-a"], 1, 10)
        .await
        .expect("read");
    assert_eq!(since.len(), 1);
    assert_eq!(since[0].workflow_id, "wf-4");
    // At most `per_account` rows for each account asked: acct-a's two
    // retries newer than acct-b's do not crowd it out.
    store
        .append(&[draft("wf-6", "acct-a", "RETRY", "wf-6")], &[], 600)
        .await
        .expect("append");
    let capped = store
        .reads()
        .retries_of(&["acct-a", "acct-b"], 0, 1)
        .await
        .expect("read");
    let seen: Vec<_> = capped
        .iter()
        .map(|retry| (retry.account_id.as_str(), retry.workflow_id.as_str()))
        .collect();
    assert_eq!(seen, [("acct-a", "wf-6"), ("acct-b", "wf-3")]);
}

verdict_ledger::on_both_stores!(
    appended_records_read_back_as_written,
    reads_on_one_connection_see_what_was_committed_between_them,
    the_same_judgement_again_is_the_recorded_feedback,
    the_latest_feedback_of_each_workflow_is_read_however_much_others_have,
    an_accounts_retries_are_read_newest_first_for_several_accounts_at_once,
    the_same_input_returns_the_recorded_decision_and_a_new_input_is_a_new_version,
    lists_filter_by_account_outcome_and_time_and_page_in_order,
    the_text_of_each_deciding_policy_is_kept_by_digest,
    a_changed_outcome_is_detected_at_its_record,
    unreadable_reasons_are_reported_at_their_record,
    a_deleted_record_is_detected_in_the_middle_and_at_the_end,
    pruning_leaves_a_checkpoint_and_the_rest_still_verifies,
    two_writers_on_one_database_extend_one_chain,
    feedback_on_an_unknown_workflow_is_none_and_writes_nothing,
    feedback_links_the_latest_decision_of_its_workflow,
    feedback_for_returns_only_the_asked_workflows_in_chain_order,
    feedback_for_returns_at_most_the_newest_max_feedback,
    latest_of_gives_each_workflow_s_latest_version_in_the_order_asked,
    verify_counts_feedback_and_finds_an_altered_feedback_record,
    a_deleted_feedback_record_is_detected_in_the_middle_and_at_the_end,
    feedback_never_changes_a_decision_and_retention_keeps_it,
    feedback_writers_on_two_stores_extend_one_feedback_chain_beside_appends,
    shadow_disagreements_are_kept_beside_their_record_listed_and_pruned_with_it,
);

fn shadow(id: &str, digest: &str, outcome: &str) -> ShadowRecord {
    ShadowRecord {
        policy: PolicyKey {
            id: id.into(),
            version: "2".into(),
            digest: format!("sha256:{digest}"),
        },
        outcome: outcome.into(),
        result_code: format!("{outcome}_BY_{id}")
            .to_uppercase()
            .replace('-', "_"),
        rule_id: format!("{id}.rule"),
    }
}

async fn shadow_disagreements_are_kept_beside_their_record_listed_and_pruned_with_it(
    location: &str,
) {
    let store = open(location).await;
    let mut plain = draft("wf-0", "a", "APPROVE", "0");
    let mut shadowed = draft("wf-1", "a", "APPROVE", "1");
    shadowed.shadows = vec![
        shadow("strict", "s1", "REVIEW"),
        shadow("lenient", "l1", "DECLINE"),
    ];
    let appended = store
        .append(&[plain.clone(), shadowed.clone()], &[], 100)
        .await
        .expect("append");
    let seqs: Vec<i64> = appended.iter().map(|a| a.seq).collect();
    let found = store.reads().shadows_of(&seqs).await.expect("read shadows");
    assert_eq!(
        found,
        [
            (seqs[1], shadow("lenient", "l1", "DECLINE")),
            (seqs[1], shadow("strict", "s1", "REVIEW"))
        ]
    );
    // The chain is the decisions' alone: shadows do not change it.
    assert_eq!(store.verify().await.expect("verifies").records, 2);

    // The same decision again, now with a third shadow: recorded once each.
    shadowed.shadows.push(shadow("strict", "s2", "RETRY"));
    let again = store.append(&[shadowed], &[], 200).await.expect("append");
    assert_eq!(again[0].kind, AppendKind::Existing);
    assert_eq!(
        store.reads().shadows_of(&seqs).await.expect("read").len(),
        3
    );

    // Listed by shadow id: only the records it disagreed with.
    plain.workflow_id = "wf-2".into();
    plain.input_sha256 = "sha256:2".into();
    plain.shadows = vec![shadow("lenient", "l1", "REVIEW")];
    store.append(&[plain], &[], 300).await.expect("append");
    let listed = |shadow: &str| {
        let query = ListQuery {
            shadow_policy_id: Some(shadow.into()),
            limit: 10,
            ..ListQuery::default()
        };
        let store = store.clone();
        async move {
            store
                .reads()
                .list(&query)
                .await
                .expect("list")
                .into_iter()
                .map(|record| record.draft.workflow_id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed("strict").await, ["wf-1"]);
    assert_eq!(listed("lenient").await, ["wf-1", "wf-2"]);
    assert!(listed("nobody").await.is_empty());
    let strict_after_first = ListQuery {
        shadow_policy_id: Some("lenient".into()),
        account_id: Some("a".into()),
        after_seq: seqs[1],
        limit: 10,
        ..ListQuery::default()
    };
    assert_eq!(
        store
            .reads()
            .count(&strict_after_first)
            .await
            .expect("count"),
        1
    );

    // Pruning the record prunes what stood beside it.
    assert_eq!(store.prune(150, 5_000).await.expect("prune"), 2);
    assert!(
        store
            .reads()
            .shadows_of(&seqs)
            .await
            .expect("read")
            .is_empty()
    );
    assert_eq!(listed("lenient").await, ["wf-2"]);
}

fn policy(digest: &str) -> PolicyKey {
    PolicyKey {
        id: "jumio-default".into(),
        version: "1.2.0".into(),
        digest: format!("sha256:{digest}"),
    }
}

fn draft(workflow: &str, account: &str, outcome: &str, input: &str) -> Draft {
    Draft {
        workflow_id: workflow.into(),
        account_id: account.into(),
        completed_at: "2026-05-01T10:00:00Z".into(),
        outcome: outcome.into(),
        result_code: if outcome == "APPROVE" {
            "APPROVED".into()
        } else {
            "DOCUMENT_FRAUD_FAKE".into()
        },
        reasons: vec![ReasonRecord {
            capability: "imageChecks".into(),
            decision_type: "REJECTED".into(),
            label: "MANIPULATED_DOCUMENT".into(),
            outcome: outcome.into(),
            rule_id: "imageChecks.REJECTED.MANIPULATED_DOCUMENT".into(),
            code: "DOCUMENT_FRAUD_FAKE".into(),
            root_cause: true,
            entry_id: "entry-1".into(),
        }],
        policy: policy("aaaa"),
        input_sha256: format!("sha256:{input}"),
        facts: format!(r#"{{"v":1,"workflow_id":"{workflow}"}}"#),
        shadows: Vec::new(),
    }
}

fn feedback(workflow: &str, verdict: &str) -> FeedbackDraft {
    FeedbackDraft {
        workflow_id: workflow.into(),
        verdict: verdict.into(),
        note_code: "CHARGEBACK_RECEIVED".into(),
    }
}

/// Records new feedback on a workflow the ledger has a decision for: its
/// note names the time, so that no two are the same judgement.
async fn give(store: &Store, workflow: &str, verdict: &str, now_ms: i64) -> FeedbackRecord {
    let given = store
        .record_feedback(
            &FeedbackDraft {
                note_code: format!("NOTE_{now_ms}"),
                ..feedback(workflow, verdict)
            },
            now_ms,
        )
        .await
        .expect("record feedback")
        .unwrap_or_else(|| panic!("{workflow} has a decision"));
    assert!(!given.already_recorded);
    given.record
}

/// `count` workflow ids no decision has, sorting after `prefix`: asked beside
/// known ids, they spread a lookup over several `IN (...)` chunks.
fn fillers(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|n| format!("{prefix}-x{n:04}")).collect()
}

async fn open(location: &str) -> Store {
    Store::open(location).await.expect("ledger opens")
}

/// Runs raw SQL on the ledger's database, as someone tampering with it would.
async fn tamper(location: &str, sql: &str) {
    verdict_ledger::testing::run_sql(location, sql).await;
}

async fn appended_records_read_back_as_written(location: &str) {
    let store = open(location).await;
    let drafts = vec![
        draft("wf-1", "acct-1", "APPROVE", "01"),
        draft("wf-2", "acct-1", "DECLINE", "02"),
        draft("wf-3", "acct-2", "APPROVE", "03"),
    ];
    let appended = store.append(&drafts, &[], 1_000).await.expect("append");
    assert_eq!(
        appended.iter().map(|a| a.seq).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(
        appended
            .iter()
            .all(|a| a.kind == AppendKind::New && a.workflow_version == 1)
    );
    // UUIDv7: time-ordered, so ids sort in the order they were recorded.
    let ids: Vec<&str> = appended.iter().map(|a| a.decision_id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);

    let record = store
        .reads()
        .by_id(&appended[1].decision_id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(record.draft, drafts[1]);
    assert_eq!(record.seq, 2);
    assert_eq!(record.recorded_at_ms, 1_000);
    assert_eq!(store.reads().by_id("no-such-id").await.expect("read"), None);
    let versions = store.reads().by_workflow("wf-3").await.expect("read");
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].draft.account_id, "acct-2");

    // A store opened again (migrations already applied) sees the same chain.
    drop(store);
    let store = open(location).await;
    let verified = store.verify().await.expect("chain verifies");
    assert_eq!((verified.records, verified.head_seq), (3, 3));
}

async fn the_same_input_returns_the_recorded_decision_and_a_new_input_is_a_new_version(
    location: &str,
) {
    let store = open(location).await;
    let first = store
        .append(&[draft("wf-1", "a", "DECLINE", "aa")], &[], 1)
        .await
        .expect("append");
    let again = store
        .append(&[draft("wf-1", "a", "DECLINE", "aa")], &[], 2)
        .await
        .expect("append");
    assert_eq!(again[0].kind, AppendKind::Existing);
    assert_eq!(again[0].decision_id, first[0].decision_id);
    assert_eq!(again[0].workflow_version, 1);

    let changed = store
        .append(&[draft("wf-1", "a", "APPROVE", "bb")], &[], 3)
        .await
        .expect("append");
    assert_eq!(
        changed[0].kind,
        AppendKind::NewVersion {
            previous: first[0].decision_id.clone()
        }
    );
    assert_eq!(changed[0].workflow_version, 2);

    // The first input under another policy is another decision too.
    let mut other_policy = draft("wf-1", "a", "DECLINE", "aa");
    other_policy.policy = policy("bbbb");
    let third = store
        .append(&[other_policy.clone()], &[], 4)
        .await
        .expect("append");
    assert_eq!(third[0].workflow_version, 3);

    // The first input under the first policy, decided with other evidence
    // (the facts carry it): a new version, not the first record.
    let mut new_evidence = draft("wf-1", "a", "DECLINE", "aa");
    new_evidence.facts = r#"{"v":2,"workflow_id":"wf-1","evidence":{"retries":[]}}"#.into();
    let fourth = store.append(&[new_evidence], &[], 4).await.expect("append");
    assert_eq!(fourth[0].workflow_version, 4);
    assert_ne!(fourth[0].decision_id, first[0].decision_id);
    // The first input once more: only the latest version is "the same", so
    // the latest version stays the latest answer.
    let fifth = store
        .append(&[draft("wf-1", "a", "DECLINE", "aa")], &[], 5)
        .await
        .expect("append");
    assert_eq!(
        fifth[0].kind,
        AppendKind::NewVersion {
            previous: fourth[0].decision_id.clone()
        }
    );
    let sixth = store
        .append(&[draft("wf-1", "a", "DECLINE", "aa")], &[], 6)
        .await
        .expect("append");
    assert_eq!(sixth[0].kind, AppendKind::Existing);
    assert_eq!(sixth[0].decision_id, fifth[0].decision_id);

    // Within one group: the second copy returns the first's id.
    let twice = store
        .append(
            &[
                draft("wf-9", "a", "APPROVE", "99"),
                draft("wf-9", "a", "APPROVE", "99"),
            ],
            &[],
            5,
        )
        .await
        .expect("append");
    assert_eq!(twice[1].kind, AppendKind::Existing);
    assert_eq!(twice[0].decision_id, twice[1].decision_id);

    let versions = store.reads().by_workflow("wf-1").await.expect("read");
    assert_eq!(
        versions
            .iter()
            .map(|r| r.workflow_version)
            .collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(store.verify().await.expect("verifies").records, 6);
}

async fn lists_filter_by_account_outcome_and_time_and_page_in_order(location: &str) {
    let store = open(location).await;
    for n in 0..25 {
        let account = if n % 2 == 0 { "even" } else { "odd" };
        let outcome = if n % 5 == 0 { "DECLINE" } else { "APPROVE" };
        store
            .append(
                &[draft(
                    &format!("wf-{n}"),
                    account,
                    outcome,
                    &format!("{n:02}"),
                )],
                &[],
                1_000 + n,
            )
            .await
            .expect("append");
    }
    let mut query = ListQuery {
        account_id: Some("even".into()),
        limit: 5,
        ..ListQuery::default()
    };
    let mut pages = Vec::new();
    loop {
        let page = store.reads().list(&query).await.expect("list");
        let Some(last) = page.last() else { break };
        query.after_seq = last.seq;
        pages.push(
            page.iter()
                .map(|r| r.draft.workflow_id.clone())
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(pages.len(), 3, "13 records in pages of 5");
    assert_eq!(
        pages.concat(),
        (0..25)
            .step_by(2)
            .map(|n| format!("wf-{n}"))
            .collect::<Vec<_>>()
    );

    let declined = store
        .reads()
        .list(&ListQuery {
            outcome: Some("DECLINE".into()),
            limit: 100,
            ..ListQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(
        declined
            .iter()
            .map(|r| r.draft.workflow_id.as_str())
            .collect::<Vec<_>>(),
        ["wf-0", "wf-5", "wf-10", "wf-15", "wf-20"]
    );
    let window = store
        .reads()
        .list(&ListQuery {
            from_ms: Some(1_010),
            to_ms: Some(1_013),
            limit: 100,
            ..ListQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(
        window
            .iter()
            .map(|r| r.draft.workflow_id.as_str())
            .collect::<Vec<_>>(),
        ["wf-10", "wf-11", "wf-12"]
    );

    // What a replay reads: the same records and filters, fewer columns.
    let even_declined = ListQuery {
        account_id: Some("even".into()),
        outcome: Some("DECLINE".into()),
        limit: 100,
        ..ListQuery::default()
    };
    let facts = store
        .reads()
        .list_facts(&even_declined)
        .await
        .expect("list facts");
    let full = store.reads().list(&even_declined).await.expect("list");
    assert_eq!(
        facts
            .iter()
            .map(|r| (
                r.seq,
                r.decision_id.as_str(),
                r.workflow_id.as_str(),
                r.outcome.as_str(),
                r.result_code.as_str(),
                r.facts.as_str()
            ))
            .collect::<Vec<_>>(),
        full.iter()
            .map(|r| (
                r.seq,
                r.decision_id.as_str(),
                r.draft.workflow_id.as_str(),
                r.draft.outcome.as_str(),
                r.draft.result_code.as_str(),
                r.draft.facts.as_str()
            ))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        facts
            .iter()
            .map(|r| r.workflow_id.as_str())
            .collect::<Vec<_>>(),
        ["wf-0", "wf-10", "wf-20"]
    );
    // count ignores the limit, not the position.
    assert_eq!(
        store
            .reads()
            .count(&ListQuery {
                limit: 1,
                ..even_declined.clone()
            })
            .await
            .expect("count"),
        3
    );
    let after_first = ListQuery {
        after_seq: facts[0].seq,
        ..even_declined
    };
    assert_eq!(store.reads().count(&after_first).await.expect("count"), 2);
    assert_eq!(
        store
            .reads()
            .count(&ListQuery::default())
            .await
            .expect("count"),
        25
    );
}

async fn the_text_of_each_deciding_policy_is_kept_by_digest(location: &str) {
    let store = open(location).await;
    let text = PolicyText {
        key: policy("aaaa"),
        content: "id = \"jumio-default\"\n".into(),
    };
    store
        .append(
            &[draft("wf-1", "a", "APPROVE", "01")],
            std::slice::from_ref(&text),
            1,
        )
        .await
        .expect("append");
    // Written once: a second copy changes nothing.
    store
        .append(
            &[draft("wf-2", "a", "APPROVE", "02")],
            std::slice::from_ref(&text),
            2,
        )
        .await
        .expect("append");
    assert_eq!(
        store.reads().policy("sha256:aaaa").await.expect("read"),
        Some(text)
    );
    assert_eq!(
        store.reads().policy("sha256:ffff").await.expect("read"),
        None
    );
}

async fn a_changed_outcome_is_detected_at_its_record(location: &str) {
    let store = open(location).await;
    let drafts: Vec<Draft> = (0..5)
        .map(|n| draft(&format!("wf-{n}"), "a", "DECLINE", &format!("{n}")))
        .collect();
    let appended = store.append(&drafts, &[], 1).await.expect("append");
    store.verify().await.expect("intact chain verifies");
    tamper(
        location,
        "UPDATE decisions SET outcome = 'APPROVE' WHERE seq = 3",
    )
    .await;
    match store.verify().await {
        Err(LedgerError::Broken(error @ Break::Altered { chain, seq, .. })) => {
            assert_eq!((chain, seq), ("decision", 3));
            assert_eq!(
                error.to_string(),
                format!(
                    "record 3 ({}) of the decision chain: its content does not match its hash \
                     (changed after it was written)",
                    appended[2].decision_id
                )
            );
        }
        other => panic!("expected the altered record 3, got {other:?}"),
    }
}

async fn a_deleted_record_is_detected_in_the_middle_and_at_the_end(location: &str) {
    let store = open(location).await;
    let drafts: Vec<Draft> = (0..5)
        .map(|n| draft(&format!("wf-{n}"), "a", "APPROVE", &format!("{n}")))
        .collect();
    store.append(&drafts, &[], 1).await.expect("append");
    tamper(location, "DELETE FROM decisions WHERE seq = 5").await;
    assert!(
        matches!(
            store.verify().await,
            Err(LedgerError::Broken(Break::Truncated {
                chain: "decision",
                last: 4,
                head: 5
            }))
        ),
        "the last record's removal is seen"
    );
    tamper(location, "DELETE FROM decisions WHERE seq = 2").await;
    let error = store.verify().await.expect_err("a gap breaks the chain");
    assert!(
        matches!(
            error,
            LedgerError::Broken(Break::Missing {
                chain: "decision",
                from: 2,
                to: 2
            })
        ),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "the ledger's chain is broken: records 2 to 2 of the decision chain are missing"
    );
}

async fn pruning_leaves_a_checkpoint_and_the_rest_still_verifies(location: &str) {
    let store = open(location).await;
    let mut ids = Vec::new();
    for n in 0..10 {
        let appended = store
            .append(
                &[draft(&format!("wf-{n}"), "a", "APPROVE", &format!("{n}"))],
                &[],
                100 * n,
            )
            .await
            .expect("append");
        ids.push(appended[0].decision_id.clone());
    }
    // Records at 0..=300 ms go.
    assert_eq!(store.prune(400, 5_000).await.expect("prune"), 4);
    assert_eq!(store.reads().by_id(&ids[3]).await.expect("read"), None);
    assert!(store.reads().by_id(&ids[4]).await.expect("read").is_some());
    let verified = store.verify().await.expect("verifies from the checkpoint");
    assert_eq!((verified.records, verified.from_checkpoint), (6, Some(4)));
    let checkpoint = store.checkpoint().await.expect("read").expect("checkpoint");
    assert_eq!((checkpoint.seq, checkpoint.pruned_records), (4, 4));
    // Pruning again with nothing older is a no-op; appends go on.
    assert_eq!(store.prune(400, 6_000).await.expect("prune"), 0);
    store
        .append(&[draft("wf-new", "a", "APPROVE", "new")], &[], 2_000)
        .await
        .expect("append");
    assert_eq!(store.verify().await.expect("verifies").records, 7);
    // The first record after the checkpoint is still bound to it.
    tamper(
        location,
        "UPDATE decisions SET prev_hash = hash WHERE seq = 5",
    )
    .await;
    assert!(matches!(store.verify().await, Err(LedgerError::Broken(_))));
    // And pruning refuses to launder the break.
    assert!(matches!(
        store.prune(10_000, 7_000).await,
        Err(LedgerError::Broken(_))
    ));
}

async fn two_writers_on_one_database_extend_one_chain(location: &str) {
    let (one, two) = (open(location).await, open(location).await);
    let writers = [Ledger::start(one, |_| {}), Ledger::start(two, |_| {})];
    let policy = Arc::new(PolicyText {
        key: policy("aaaa"),
        content: "text".into(),
    });
    let mut tasks = Vec::new();
    for task in 0..16 {
        let ledger = writers[task % 2].clone();
        let policy = Arc::clone(&policy);
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 0..20 {
                let drafts = vec![draft(
                    &format!("wf-{task}-{n}"),
                    "a",
                    "APPROVE",
                    &format!("{task}-{n}"),
                )];
                let appended = ledger
                    .append(vec![Arc::clone(&policy)], drafts)
                    .await
                    .expect("append");
                ids.push(appended[0].decision_id.clone());
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        ids.extend(task.await.expect("task"));
    }
    // Each decision is readable through either writer's store.
    for (n, id) in ids.iter().enumerate() {
        let reader = writers[(n + 1) % 2].store();
        assert!(
            reader.reads().by_id(id).await.expect("read").is_some(),
            "{id} not found"
        );
    }
    let verified = writers[0].store().verify().await.expect("one chain");
    assert_eq!((verified.records, verified.head_seq), (320, 320));
}

async fn unreadable_reasons_are_reported_at_their_record(location: &str) {
    let store = open(location).await;
    let drafts: Vec<Draft> = (0..3)
        .map(|n| draft(&format!("wf-{n}"), "a", "DECLINE", &format!("{n}")))
        .collect();
    store.append(&drafts, &[], 1).await.expect("append");
    tamper(
        location,
        "UPDATE decisions SET reasons = 'not json' WHERE seq = 2",
    )
    .await;
    let error = store.verify().await.expect_err("unreadable");
    assert!(
        matches!(
            error,
            LedgerError::Corrupt {
                seq: 2,
                field: "reasons"
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.to_string(), "ledger record 2: unreadable reasons");
}

async fn feedback_on_an_unknown_workflow_is_none_and_writes_nothing(location: &str) {
    let store = open(location).await;
    assert_eq!(
        store
            .record_feedback(&feedback("wf-1", "FRAUD_CONFIRMED"), 1)
            .await
            .expect("record"),
        None,
        "an empty ledger has no workflow"
    );
    store
        .append(
            &[
                draft("wf-1", "a", "DECLINE", "01"),
                // A decision without a workflow id is no workflow.
                draft("", "a", "DECLINE", "02"),
            ],
            &[],
            1,
        )
        .await
        .expect("append");
    for unknown in ["wf-2", "", "WF-1", "wf-1 "] {
        assert_eq!(
            store
                .record_feedback(&feedback(unknown, "FRAUD_CONFIRMED"), 2)
                .await
                .expect("record"),
            None,
            "{unknown:?}"
        );
    }
    assert!(
        store
            .reads()
            .feedback_for(&["wf-1", "wf-2", ""])
            .await
            .expect("read")
            .is_empty()
    );
    let verified = store.verify().await.expect("verifies");
    assert_eq!((verified.records, verified.feedback), (2, 0));
    // Nothing was written: the first feedback recorded is the chain's first.
    let first = give(&store, "wf-1", "LEGITIMATE", 3).await;
    assert_eq!((first.seq, first.prev_hash.as_str()), (1, GENESIS));
    assert_eq!(store.verify().await.expect("verifies").feedback, 1);
}

async fn feedback_links_the_latest_decision_of_its_workflow(location: &str) {
    let store = open(location).await;
    let first = store
        .append(&[draft("wf-1", "acct-old", "DECLINE", "01")], &[], 10)
        .await
        .expect("append");
    let second = store
        .append(&[draft("wf-1", "acct-new", "APPROVE", "02")], &[], 20)
        .await
        .expect("append");
    assert_eq!(second[0].workflow_version, 2);
    store
        .append(&[draft("wf-2", "acct-other", "APPROVE", "03")], &[], 30)
        .await
        .expect("append");

    let draft_feedback = FeedbackDraft {
        workflow_id: "wf-1".into(),
        verdict: "FRAUD_CONFIRMED".into(),
        note_code: "CHARGEBACK_RECEIVED".into(),
    };
    let given = store
        .record_feedback(&draft_feedback, 1_000)
        .await
        .expect("record")
        .expect("wf-1 was decided")
        .record;
    assert_eq!(given.decision_id, second[0].decision_id);
    assert_ne!(given.decision_id, first[0].decision_id);
    assert_eq!(given.account_id, "acct-new");
    assert_eq!(
        (
            given.seq,
            given.workflow_id.as_str(),
            given.verdict.as_str(),
            given.note_code.as_str(),
            given.recorded_at_ms
        ),
        (1, "wf-1", "FRAUD_CONFIRMED", "CHARGEBACK_RECEIVED", 1_000)
    );
    assert_eq!(given.prev_hash, GENESIS);
    assert_eq!(given.hash, feedback_hash(GENESIS, &given));
    let id = uuid::Uuid::parse_str(&given.feedback_id).expect("a UUID");
    assert_eq!(id.get_version_num(), 7);

    // The same input again is no new version: feedback still links version 2.
    let same = store
        .append(&[draft("wf-1", "acct-new", "APPROVE", "02")], &[], 40)
        .await
        .expect("append");
    assert_eq!(same[0].kind, AppendKind::Existing);
    let again = store
        .record_feedback(
            &FeedbackDraft {
                workflow_id: "wf-1".into(),
                verdict: "LEGITIMATE".into(),
                note_code: String::new(),
            },
            2_000,
        )
        .await
        .expect("record")
        .expect("wf-1 was decided")
        .record;
    assert_eq!(again.decision_id, second[0].decision_id);
    assert_eq!((again.seq, again.note_code.as_str()), (2, ""));
    assert_eq!(again.prev_hash, given.hash);

    // A new version: the next feedback links it.
    let third = store
        .append(&[draft("wf-1", "acct-third", "DECLINE", "04")], &[], 50)
        .await
        .expect("append");
    let later = give(&store, "wf-1", "INCONCLUSIVE", 3_000).await;
    assert_eq!(
        (later.decision_id.as_str(), later.account_id.as_str()),
        (third[0].decision_id.as_str(), "acct-third")
    );
    assert!(given.feedback_id < again.feedback_id && again.feedback_id < later.feedback_id);

    // Read back as written.
    assert_eq!(
        store.reads().feedback_for(&["wf-1"]).await.expect("read"),
        vec![given, again, later]
    );
}

async fn feedback_for_returns_only_the_asked_workflows_in_chain_order(location: &str) {
    let store = open(location).await;
    let drafts: Vec<Draft> = (1..=3)
        .map(|n| draft(&format!("wf-{n}"), "a", "DECLINE", &format!("{n}")))
        .collect();
    store.append(&drafts, &[], 1).await.expect("append");
    for (n, workflow) in ["wf-2", "wf-1", "wf-3", "wf-1"].iter().enumerate() {
        give(
            &store,
            workflow,
            "FRAUD_CONFIRMED",
            100 + i64::try_from(n).unwrap_or(0),
        )
        .await;
    }
    let order = |records: &[FeedbackRecord]| {
        records
            .iter()
            .map(|r| (r.seq, r.workflow_id.clone()))
            .collect::<Vec<_>>()
    };
    let asked = store
        .reads()
        .feedback_for(&["wf-1", "wf-2", "wf-1", "", "wf-unknown"])
        .await
        .expect("read");
    assert_eq!(
        order(&asked),
        [(1, "wf-2".into()), (2, "wf-1".into()), (4, "wf-1".into())]
    );
    assert!(
        store
            .reads()
            .feedback_for(&[])
            .await
            .expect("read")
            .is_empty()
    );
    assert!(
        store
            .reads()
            .feedback_for(&["wf-unknown", ""])
            .await
            .expect("read")
            .is_empty()
    );

    // More ids than one lookup takes: wf-1 and wf-3 fall in different ones,
    // and the answer is still one chain order.
    let fillers = fillers("wf-2", 1_200);
    let mut ids: Vec<&str> = vec!["wf-3"];
    ids.extend(fillers.iter().map(String::as_str));
    ids.push("wf-1");
    let asked = store.reads().feedback_for(&ids).await.expect("read");
    assert_eq!(
        order(&asked),
        [(2, "wf-1".into()), (3, "wf-3".into()), (4, "wf-1".into())]
    );
}

async fn feedback_for_returns_at_most_the_newest_max_feedback(location: &str) {
    let store = open(location).await;
    store
        .append(
            &[
                draft("wf-1", "a", "DECLINE", "1"),
                draft("wf-3", "a", "DECLINE", "3"),
            ],
            &[],
            1,
        )
        .await
        .expect("append");
    let total = MAX_FEEDBACK + 5;
    for n in 0..total {
        let workflow = if n % 2 == 0 { "wf-1" } else { "wf-3" };
        give(&store, workflow, "LEGITIMATE", n).await;
    }
    let newest: Vec<i64> = (6..=total).collect();
    let seqs = |records: Vec<FeedbackRecord>| records.iter().map(|r| r.seq).collect::<Vec<_>>();
    assert_eq!(
        seqs(
            store
                .reads()
                .feedback_for(&["wf-1", "wf-3"])
                .await
                .expect("read")
        ),
        newest
    );
    // Also when the ids are looked up in several chunks.
    let fillers = fillers("wf-2", 1_200);
    let mut ids: Vec<&str> = vec!["wf-1", "wf-3"];
    ids.extend(fillers.iter().map(String::as_str));
    assert_eq!(
        seqs(store.reads().feedback_for(&ids).await.expect("read")),
        newest
    );
    let verified = store.verify().await.expect("verifies");
    assert_eq!(verified.feedback, u64::try_from(total).unwrap_or(0));
}

async fn latest_of_gives_each_workflow_s_latest_version_in_the_order_asked(location: &str) {
    let store = open(location).await;
    store
        .append(&[draft("wf-a", "acct-1", "DECLINE", "a1")], &[], 1)
        .await
        .expect("append");
    store
        .append(&[draft("wf-a", "acct-1", "APPROVE", "a2")], &[], 2)
        .await
        .expect("append");
    let b = store
        .append(&[draft("wf-b", "acct-b", "APPROVE", "b1")], &[], 3)
        .await
        .expect("append");
    let a3 = store
        .append(&[draft("wf-a", "acct-2", "DECLINE", "a3")], &[], 4)
        .await
        .expect("append");
    // An earlier input again is the latest answer: version 4.
    let again = store
        .append(&[draft("wf-a", "acct-1", "APPROVE", "a2")], &[], 5)
        .await
        .expect("append");
    assert_eq!(
        again[0].kind,
        AppendKind::NewVersion {
            previous: a3[0].decision_id.clone()
        }
    );

    let wf_a = WorkflowSummary {
        workflow_id: "wf-a".into(),
        account_id: "acct-1".into(),
        outcome: "APPROVE".into(),
        result_code: "APPROVED".into(),
        decision_id: again[0].decision_id.clone(),
        workflow_version: 4,
    };
    let wf_b = WorkflowSummary {
        workflow_id: "wf-b".into(),
        account_id: "acct-b".into(),
        outcome: "APPROVE".into(),
        result_code: "APPROVED".into(),
        decision_id: b[0].decision_id.clone(),
        workflow_version: 1,
    };
    assert_eq!(
        store
            .reads()
            .latest_of(&["wf-b", "", "wf-unknown", "wf-a", "wf-b"])
            .await
            .expect("read"),
        vec![wf_b.clone(), wf_a.clone()]
    );
    assert_eq!(
        store.reads().latest_of(&["wf-a"]).await.expect("read"),
        vec![wf_a.clone()]
    );
    assert!(store.reads().latest_of(&[]).await.expect("read").is_empty());
    assert!(
        store
            .reads()
            .latest_of(&["wf-unknown", ""])
            .await
            .expect("read")
            .is_empty()
    );

    // More ids than one lookup takes: still the order asked.
    let fillers = fillers("wf-a", 1_200);
    let mut ids: Vec<&str> = vec!["wf-b"];
    ids.extend(fillers.iter().map(String::as_str));
    ids.push("wf-a");
    assert_eq!(
        store.reads().latest_of(&ids).await.expect("read"),
        vec![wf_b, wf_a]
    );
}

async fn verify_counts_feedback_and_finds_an_altered_feedback_record(location: &str) {
    let store = open(location).await;
    let drafts: Vec<Draft> = (0..3)
        .map(|n| draft(&format!("wf-{n}"), "a", "DECLINE", &format!("{n}")))
        .collect();
    store.append(&drafts, &[], 1).await.expect("append");
    let mut given = Vec::new();
    for n in 0..4 {
        given.push(give(&store, &format!("wf-{}", n % 3), "FRAUD_CONFIRMED", 10 + n).await);
    }
    let verified = store.verify().await.expect("intact chains verify");
    assert_eq!(
        (verified.records, verified.head_seq, verified.feedback),
        (3, 3, 4)
    );

    tamper(
        location,
        "UPDATE feedback SET verdict = 'LEGITIMATE' WHERE seq = 2",
    )
    .await;
    let error = store.verify().await.expect_err("an altered verdict");
    match &error {
        LedgerError::Broken(Break::Altered { chain, seq, id }) => {
            assert_eq!((*chain, *seq), ("feedback", 2));
            assert_eq!(id, &given[1].feedback_id);
        }
        other => panic!("expected the altered feedback record 2, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        format!(
            "the ledger's chain is broken: record 2 ({}) of the feedback chain: its content \
             does not match its hash (changed after it was written)",
            given[1].feedback_id
        )
    );

    // Put back as it was, the chain verifies again; another field changed
    // elsewhere is found there.
    tamper(
        location,
        "UPDATE feedback SET verdict = 'FRAUD_CONFIRMED' WHERE seq = 2",
    )
    .await;
    assert_eq!(store.verify().await.expect("restored").feedback, 4);
    tamper(
        location,
        "UPDATE feedback SET decision_id = 'another' WHERE seq = 4",
    )
    .await;
    assert!(matches!(
        store.verify().await,
        Err(LedgerError::Broken(Break::Altered {
            chain: "feedback",
            seq: 4,
            ..
        }))
    ));
    tamper(
        location,
        &format!(
            "UPDATE feedback SET decision_id = '{}' WHERE seq = 4",
            given[3].decision_id
        ),
    )
    .await;
    // A record forged with a hash that matches its new content: the next
    // record no longer follows it.
    let forged = FeedbackRecord {
        verdict: "LEGITIMATE".into(),
        ..given[1].clone()
    };
    let forged_hash = feedback_hash(&forged.prev_hash, &forged);
    tamper(
        location,
        &format!(
            "UPDATE feedback SET verdict = 'LEGITIMATE', hash = '{forged_hash}' WHERE seq = 2"
        ),
    )
    .await;
    match store.verify().await {
        Err(LedgerError::Broken(Break::Unlinked {
            chain,
            seq,
            id,
            expected_prev,
        })) => {
            assert_eq!((chain, seq, expected_prev), ("feedback", 3, 2));
            assert_eq!(id, given[2].feedback_id);
        }
        other => panic!("expected record 3 unlinked, got {other:?}"),
    }
    tamper(
        location,
        &format!(
            "UPDATE feedback SET verdict = 'FRAUD_CONFIRMED', hash = '{}' WHERE seq = 2",
            given[1].hash
        ),
    )
    .await;
    // A head rewritten to another hash.
    tamper(
        location,
        &format!("UPDATE feedback_head SET hash = '{GENESIS}' WHERE id = 1"),
    )
    .await;
    assert!(matches!(
        store.verify().await,
        Err(LedgerError::Broken(Break::HeadMismatch {
            chain: "feedback",
            seq: 4
        }))
    ));
}

async fn a_deleted_feedback_record_is_detected_in_the_middle_and_at_the_end(location: &str) {
    let store = open(location).await;
    store
        .append(&[draft("wf-1", "a", "DECLINE", "01")], &[], 1)
        .await
        .expect("append");
    for n in 0..5 {
        give(&store, "wf-1", "FRAUD_CONFIRMED", 10 + n).await;
    }
    tamper(location, "DELETE FROM feedback WHERE seq = 5").await;
    let error = store.verify().await.expect_err("the last record's removal");
    assert!(
        matches!(
            error,
            LedgerError::Broken(Break::Truncated {
                chain: "feedback",
                last: 4,
                head: 5
            })
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the ledger's chain is broken: the feedback chain ends at record 4 but its head says 5 \
         (records at the end were removed)"
    );
    tamper(location, "DELETE FROM feedback WHERE seq = 2").await;
    let error = store.verify().await.expect_err("a gap breaks the chain");
    assert!(
        matches!(
            error,
            LedgerError::Broken(Break::Missing {
                chain: "feedback",
                from: 2,
                to: 2
            })
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the ledger's chain is broken: records 2 to 2 of the feedback chain are missing"
    );
}

async fn feedback_never_changes_a_decision_and_retention_keeps_it(location: &str) {
    let store = open(location).await;
    for n in 0..5 {
        store
            .append(
                &[draft(&format!("wf-{n}"), "a", "DECLINE", &format!("{n}"))],
                &[],
                100 * n,
            )
            .await
            .expect("append");
    }
    let all = ListQuery {
        limit: 100,
        ..ListQuery::default()
    };
    let before = store.reads().list(&all).await.expect("list");
    let wf_1 = store.reads().by_workflow("wf-1").await.expect("read");
    let verified_before = store.verify().await.expect("verifies");

    let mut given = vec![
        give(&store, "wf-1", "FRAUD_CONFIRMED", 1_000).await,
        give(&store, "wf-1", "LEGITIMATE", 1_001).await,
        give(&store, "wf-3", "INCONCLUSIVE", 1_002).await,
    ];
    assert_eq!(store.reads().list(&all).await.expect("list"), before);
    assert_eq!(store.reads().by_workflow("wf-1").await.expect("read"), wf_1);
    let verified = store.verify().await.expect("verifies");
    assert_eq!(
        (verified.records, verified.head_seq, verified.feedback),
        (verified_before.records, verified_before.head_seq, 3)
    );

    // Two chains: the next decision is the decisions' 6th, the next feedback
    // the feedback's 4th.
    let appended = store
        .append(&[draft("wf-new", "a", "APPROVE", "new")], &[], 2_000)
        .await
        .expect("append");
    assert_eq!(appended[0].seq, 6);
    given.push(give(&store, "wf-new", "LEGITIMATE", 2_001).await);
    assert_eq!(given[3].seq, 4);

    // Retention prunes decisions (0, 100 and 200 ms) and keeps every feedback.
    assert_eq!(store.prune(250, 3_000).await.expect("prune"), 3);
    assert_eq!(
        store
            .reads()
            .feedback_for(&["wf-1", "wf-3", "wf-new"])
            .await
            .expect("read"),
        given
    );
    // wf-1 has no decision left: nothing to give feedback on, nothing latest.
    assert_eq!(
        store
            .reads()
            .latest_of(&["wf-1", "wf-3"])
            .await
            .expect("read")
            .iter()
            .map(|s| s.workflow_id.as_str())
            .collect::<Vec<_>>(),
        ["wf-3"]
    );
    assert_eq!(
        store
            .record_feedback(&feedback("wf-1", "FRAUD_CONFIRMED"), 3_001)
            .await
            .expect("record"),
        None
    );
    let verified = store.verify().await.expect("verifies");
    assert_eq!(
        (
            verified.records,
            verified.from_checkpoint,
            verified.feedback
        ),
        (3, Some(3), 4)
    );
}

async fn feedback_writers_on_two_stores_extend_one_feedback_chain_beside_appends(location: &str) {
    let (one, two) = (open(location).await, open(location).await);
    let drafts: Vec<Draft> = (0..8)
        .map(|n| draft(&format!("wf-{n}"), "a", "DECLINE", &format!("{n}")))
        .collect();
    one.append(&drafts, &[], 1).await.expect("append");
    let mut tasks = Vec::new();
    for task in 0..8_i64 {
        let store = if task % 2 == 0 {
            one.clone()
        } else {
            two.clone()
        };
        tasks.push(tokio::spawn(async move {
            for n in 0..10 {
                give(&store, &format!("wf-{task}"), "FRAUD_CONFIRMED", 10 + n).await;
                // A decision appended between feedback writes, on the other
                // chain.
                store
                    .append(
                        &[draft(
                            &format!("wf-{task}-{n}"),
                            "a",
                            "APPROVE",
                            &format!("{task}-{n}"),
                        )],
                        &[],
                        10 + n,
                    )
                    .await
                    .expect("append");
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let ids: Vec<String> = (0..8).map(|n| format!("wf-{n}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let recorded = two.reads().feedback_for(&ids).await.expect("read");
    assert_eq!(
        recorded.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=80).collect::<Vec<i64>>()
    );
    let verified = one.verify().await.expect("two chains");
    assert_eq!(
        (verified.records, verified.head_seq, verified.feedback),
        (88, 88, 80)
    );
}

/// The read-only SQLite scan a replay uses reads what `list_facts` reads,
/// page by page, with the same filters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_scan_reads_what_list_facts_reads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("ledger.sqlite");
    let store = open(&format!("sqlite:{}", file.display())).await;
    for n in 0..25 {
        let account = if n % 2 == 0 { "even" } else { "odd" };
        let mut recorded = draft(&format!("wf-{n}"), account, "APPROVE", &format!("{n}"));
        if n % 3 == 0 {
            recorded.shadows = vec![shadow("strict", "s1", "REVIEW")];
        }
        store
            .append(&[recorded], &[], 1_000 + n)
            .await
            .expect("append");
    }
    for query in [
        ListQuery {
            limit: 4,
            ..ListQuery::default()
        },
        ListQuery {
            account_id: Some("even".into()),
            from_ms: Some(1_004),
            limit: 3,
            ..ListQuery::default()
        },
        ListQuery {
            shadow_policy_id: Some("strict".into()),
            to_ms: Some(1_020),
            limit: 2,
            ..ListQuery::default()
        },
    ] {
        let mut listed = Vec::new();
        let mut paged = query.clone();
        loop {
            let page = store.reads().list_facts(&paged).await.expect("list facts");
            let Some(last) = page.last() else { break };
            paged.after_seq = last.seq;
            listed.extend(page);
        }
        let mut scanned = Vec::new();
        let mut pages = 0;
        verdict_ledger::scan::sqlite_facts(&file, query.clone(), |page| {
            assert!(page.len() <= usize::try_from(query.limit).expect("small"));
            pages += 1;
            scanned.extend(page);
            true
        })
        .expect("scan");
        assert!(!listed.is_empty(), "{query:?}");
        assert_eq!(scanned, listed, "{query:?}");
        assert!(pages > 1, "{query:?} read in pages");
    }
    // Stopping after the first page stops the scan.
    let mut pages = 0;
    verdict_ledger::scan::sqlite_facts(
        &file,
        ListQuery {
            limit: 2,
            ..ListQuery::default()
        },
        |_| {
            pages += 1;
            false
        },
    )
    .expect("scan");
    assert_eq!(pages, 1);
    // A file that is not there is an error, not a new ledger.
    let missing = dir.path().join("missing.sqlite");
    assert!(verdict_ledger::scan::sqlite_facts(&missing, ListQuery::default(), |_| true).is_err());
    assert!(!missing.exists());
}
