//! Group commit: every append goes through one writer task, which takes all
//! the appends waiting when it is free and commits them in one transaction.
//! Under load many decisions share one commit (one fsync); alone, a decision
//! waits for its own.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{mpsc, oneshot};
use tracing::warn;

use crate::record::{AppendKind, Appended, Draft, PolicyText};
use crate::store::{LedgerError, Store};

/// Drafts committed together at most.
const MAX_GROUP: usize = 4096;
/// Appends waiting for the writer at most; more wait for room.
const QUEUE: usize = 1024;
/// After a failed commit, appends fail at once for this long before the
/// store is tried again: while a database is down, each attempt waits for
/// its connect timeout, and requests should not all wait for one.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// One append: drafts decided by one policy (and the shadow policies that
/// disagreed with them), and who waits for them.
struct Job {
    policies: Vec<Arc<PolicyText>>,
    drafts: Vec<Draft>,
    reply: oneshot::Sender<Result<Vec<Appended>, Arc<LedgerError>>>,
}

/// What became of one group of appends, for the caller's metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    /// Committed: `decisions` in the group, `records` of them new (the others
    /// were recorded before, with the same input and policy).
    Written { decisions: usize, records: usize },
    /// The transaction failed.
    Failed,
    /// Not tried: the store failed less than [`RETRY_AFTER`] ago.
    Refused,
}

/// The ledger as the server uses it: appends through the writer, reads
/// straight from the store.
#[derive(Debug, Clone)]
pub struct Ledger {
    store: Store,
    jobs: mpsc::Sender<Job>,
}

impl Ledger {
    /// Starts the writer task on the current runtime. `on_commit` is told
    /// what became of each group.
    pub fn start(store: Store, on_commit: fn(Commit)) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(write(store.clone(), queue, on_commit));
        Self { store, jobs }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Records `drafts`, in order, keeping the text of each of `policies`
    /// (the deciding policy, and the shadows whose disagreements the drafts
    /// carry) by digest, so that every digest a record names can be read
    /// back. Returns once they are committed: an `Ok` is durable.
    pub async fn append(
        &self,
        policies: Vec<Arc<PolicyText>>,
        drafts: Vec<Draft>,
    ) -> Result<Vec<Appended>, Arc<LedgerError>> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                policies,
                drafts,
                reply,
            })
            .await
            .map_err(|_| Arc::new(LedgerError::Stopped))?;
        answer.await.map_err(|_| Arc::new(LedgerError::Stopped))?
    }
}

/// Milliseconds since the epoch, by the wall clock: when a record was
/// written, ledger metadata that no decision reads.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

async fn write(store: Store, mut queue: mpsc::Receiver<Job>, on_commit: fn(Commit)) {
    // Digests whose text is known to be stored: each is written once.
    let mut stored_policies: HashSet<String> = HashSet::new();
    let mut last_failure: Option<(Instant, Arc<LedgerError>)> = None;
    while let Some(first) = queue.recv().await {
        let mut jobs = vec![first];
        let mut drafts = jobs[0].drafts.len();
        while drafts < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => {
                    drafts += job.drafts.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        if let Some((at, error)) = &last_failure
            && at.elapsed() < RETRY_AFTER
        {
            on_commit(Commit::Refused);
            for job in jobs {
                let _ = job.reply.send(Err(Arc::clone(error)));
            }
            continue;
        }
        let mut all = Vec::with_capacity(drafts);
        let mut sizes = Vec::with_capacity(jobs.len());
        let mut policies: Vec<PolicyText> = Vec::new();
        for job in &mut jobs {
            sizes.push(job.drafts.len());
            all.append(&mut job.drafts);
            for policy in &job.policies {
                if !stored_policies.contains(&policy.key.digest)
                    && !policies.iter().any(|p| p.key.digest == policy.key.digest)
                {
                    policies.push(PolicyText::clone(policy));
                }
            }
        }
        match store.append(&all, &policies, now_ms()).await {
            Ok(appended) => {
                last_failure = None;
                on_commit(Commit::Written {
                    decisions: drafts,
                    records: appended
                        .iter()
                        .filter(|appended| appended.kind != AppendKind::Existing)
                        .count(),
                });
                stored_policies.extend(policies.into_iter().map(|p| p.key.digest));
                let mut appended = appended.into_iter();
                for (job, size) in jobs.into_iter().zip(sizes) {
                    // The caller may have given up (deadline): its decisions
                    // are recorded all the same.
                    let _ = job.reply.send(Ok(appended.by_ref().take(size).collect()));
                }
            }
            Err(error) => {
                on_commit(Commit::Failed);
                warn!(%error, drafts, "ledger commit failed");
                let error = Arc::new(error);
                for job in jobs {
                    let _ = job.reply.send(Err(Arc::clone(&error)));
                }
                last_failure = Some((Instant::now(), error));
            }
        }
    }
}
