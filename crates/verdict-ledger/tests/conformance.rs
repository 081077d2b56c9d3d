//! One suite, run against both stores: every test runs on an embedded SQLite
//! file and on a fresh PostgreSQL database (when `LEDGER_TEST_POSTGRES_URL`
//! names a server; CI requires one).

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "a test that cannot go on should fail loudly"
)]

use std::sync::Arc;

use sqlx::{Connection as _, Executor as _};
use verdict_ledger::{
    AppendKind, Break, Draft, Ledger, LedgerError, ListQuery, PolicyKey, PolicyText, ReasonRecord,
    Store,
};

verdict_ledger::on_both_stores!(
    appended_records_read_back_as_written,
    the_same_input_returns_the_recorded_decision_and_a_new_input_is_a_new_version,
    lists_filter_by_account_outcome_and_time_and_page_in_order,
    the_text_of_each_deciding_policy_is_kept_by_digest,
    a_changed_outcome_is_detected_at_its_record,
    unreadable_reasons_are_reported_at_their_record,
    a_deleted_record_is_detected_in_the_middle_and_at_the_end,
    pruning_leaves_a_checkpoint_and_the_rest_still_verifies,
    two_writers_on_one_database_extend_one_chain,
);

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
    }
}

async fn open(location: &str) -> Store {
    Store::open(location).await.expect("ledger opens")
}

/// Runs raw SQL on the ledger's database, as someone tampering with it would.
async fn tamper(location: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let url = match location.strip_prefix("sqlite:") {
        Some(path) => format!("sqlite://{path}"),
        None => location.to_owned(),
    };
    let mut connection = sqlx::AnyConnection::connect(&url).await.expect("connect");
    connection.execute(sql).await.expect("tamper");
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
        .by_id(&appended[1].decision_id)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(record.draft, drafts[1]);
    assert_eq!(record.seq, 2);
    assert_eq!(record.recorded_at_ms, 1_000);
    assert_eq!(store.by_id("no-such-id").await.expect("read"), None);
    let versions = store.by_workflow("wf-3").await.expect("read");
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

    let versions = store.by_workflow("wf-1").await.expect("read");
    assert_eq!(
        versions
            .iter()
            .map(|r| r.workflow_version)
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(store.verify().await.expect("verifies").records, 4);
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
        let page = store.list(&query).await.expect("list");
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
    assert_eq!(store.policy("sha256:aaaa").await.expect("read"), Some(text));
    assert_eq!(store.policy("sha256:ffff").await.expect("read"), None);
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
        Err(LedgerError::Broken(Break::Altered { seq, decision_id })) => {
            assert_eq!(seq, 3);
            assert_eq!(decision_id, appended[2].decision_id);
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
            Err(LedgerError::Broken(Break::Truncated { last: 4, head: 5 }))
        ),
        "the last record's removal is seen"
    );
    tamper(location, "DELETE FROM decisions WHERE seq = 2").await;
    let error = store.verify().await.expect_err("a gap breaks the chain");
    assert!(
        matches!(
            error,
            LedgerError::Broken(Break::Missing { from: 2, to: 2 })
        ),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "the ledger's chain is broken: records 2 to 2 are missing"
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
    assert_eq!(store.by_id(&ids[3]).await.expect("read"), None);
    assert!(store.by_id(&ids[4]).await.expect("read").is_some());
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
                    .append(Arc::clone(&policy), drafts)
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
            reader.by_id(id).await.expect("read").is_some(),
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
