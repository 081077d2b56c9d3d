//! The policies a server decides with: the embedded default plus every file of
//! `--policy-dir`, swapped atomically on reload.
//!
//! A request takes the current [`PolicySet`] once and keeps it to the end, so
//! a reload never changes the policy under a request in flight, and no request
//! ever sees a half-loaded set: the new set is built aside, then swapped in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::SystemTime;

use verdict_core::authoring::files::{
    LoadedFile, declared_policy_id, load_policy_file, policy_files,
};
use verdict_core::policy::default::DEFAULT_POLICY_TOML;
use verdict_core::{DEFAULT_POLICY_ID, Policy};
use verdict_ledger::{PolicyKey, PolicyText};

use crate::errors::ServiceError;

/// Where the embedded default comes from, as `PolicyInfo.source` says it.
pub const EMBEDDED: &str = "embedded";

/// One loaded version of a policy.
#[derive(Debug)]
pub struct LoadedPolicy {
    pub policy: Arc<Policy>,
    /// The file it came from, or [`EMBEDDED`].
    pub source: String,
    /// The text it was loaded from.
    pub content: String,
    pub loaded_at: SystemTime,
    /// Golden cases it passed before it was loaded.
    pub golden_cases: usize,
    /// Its id, version, digest and text, as the ledger keeps them.
    pub ledger_text: Arc<PolicyText>,
}

impl LoadedPolicy {
    fn embedded() -> Self {
        Self::new(
            Policy::embedded_default(),
            EMBEDDED.to_owned(),
            DEFAULT_POLICY_TOML.to_owned(),
            0,
        )
    }

    fn from_file(file: LoadedFile) -> Self {
        let golden_cases = file.golden.map_or(0, |report| report.cases.len());
        Self::new(
            file.policy,
            file.path.display().to_string(),
            file.text,
            golden_cases,
        )
    }

    fn new(policy: Policy, source: String, content: String, golden_cases: usize) -> Self {
        let reference = policy.reference();
        let ledger_text = Arc::new(PolicyText {
            key: PolicyKey {
                id: reference.id.clone(),
                version: reference.version.clone(),
                digest: reference.digest.clone(),
            },
            content: content.clone(),
        });
        Self {
            policy: Arc::new(policy),
            source,
            content,
            loaded_at: SystemTime::now(),
            golden_cases,
            ledger_text,
        }
    }

    fn id(&self) -> &str {
        &self.policy.reference().id
    }
}

/// A policy file that did not load: it fails validation or its golden cases,
/// or its id is taken. Its previous version, if any, keeps serving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedFile {
    /// The file.
    pub source: String,
    /// The id the file declares, when that much of it can be read.
    pub id: Option<String>,
    /// Every problem, one per line.
    pub reason: String,
}

/// A consistent set of policies: what one request sees from start to end.
#[derive(Debug, Clone)]
pub struct PolicySet {
    /// Also in `policies`, under its id.
    default: Arc<LoadedPolicy>,
    policies: BTreeMap<String, Arc<LoadedPolicy>>,
    /// Files of the policy directory that did not load, by file.
    failed: BTreeMap<String, FailedFile>,
}

impl PolicySet {
    /// The policy `id` names, or the default for an empty id. An id whose
    /// file failed to load, with no earlier version serving, is
    /// FAILED_PRECONDITION (fix the file), not NOT_FOUND.
    pub fn get(&self, id: &str) -> Result<&Arc<LoadedPolicy>, ServiceError> {
        if id.is_empty() {
            return Ok(&self.default);
        }
        self.policies.get(id).ok_or_else(|| {
            match self
                .failed
                .values()
                .find(|failed| failed.id.as_deref() == Some(id))
            {
                Some(failed) => ServiceError::policy_not_loaded(id, &failed.source),
                None => ServiceError::unknown_policy(id),
            }
        })
    }

    /// Files that did not load, by file name.
    pub fn failed(&self) -> impl Iterator<Item = &FailedFile> {
        self.failed.values()
    }

    /// Why the file `source` is not what serves, if it failed.
    pub fn failure_of(&self, source: &str) -> Option<&FailedFile> {
        self.failed.get(source)
    }

    /// The policy requests get when they name none.
    pub fn default_policy(&self) -> &Arc<LoadedPolicy> {
        &self.default
    }

    pub fn default_id(&self) -> &str {
        self.default.id()
    }

    /// Every policy, the default first, then by id.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<LoadedPolicy>> {
        std::iter::once(&self.default).chain(
            self.policies
                .iter()
                .filter(|(id, _)| id.as_str() != self.default_id())
                .map(|(_, policy)| policy),
        )
    }
}

/// What a reload did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadReport {
    /// (id, version) of every policy loaded anew or changed.
    pub loaded: Vec<(String, String)>,
    /// Ids whose files disappeared.
    pub removed: Vec<String>,
    /// (file, reason) of every file refused; its previous version, if any,
    /// keeps serving.
    pub failed: Vec<(String, String)>,
}

/// The policies a server decides with.
#[derive(Debug)]
pub struct PolicyStore {
    current: RwLock<Arc<PolicySet>>,
    dir: Option<PathBuf>,
    /// One reload at a time (SIGHUP and the file watcher may both ask).
    reloading: Mutex<()>,
}

impl PolicyStore {
    /// Only the embedded default policy.
    pub fn embedded_only() -> Self {
        let embedded = Arc::new(LoadedPolicy::embedded());
        Self {
            current: RwLock::new(Arc::new(PolicySet {
                default: Arc::clone(&embedded),
                policies: BTreeMap::from([(DEFAULT_POLICY_ID.to_owned(), embedded)]),
                failed: BTreeMap::new(),
            })),
            dir: None,
            reloading: Mutex::new(()),
        }
    }

    /// The embedded default plus every policy file of `dir`; `default_id`
    /// names the default (the embedded one when `None`). A file that does not
    /// load is recorded as failed and the others serve, so a broken file left
    /// in place does not turn the next restart into an outage; `strict`
    /// refuses to start instead. The default policy itself must load: without
    /// it requests that name no policy cannot be answered.
    pub fn from_dir(dir: &Path, default_id: Option<&str>, strict: bool) -> Result<Self, String> {
        let embedded = Arc::new(LoadedPolicy::embedded());
        let mut policies = BTreeMap::from([(DEFAULT_POLICY_ID.to_owned(), embedded)]);
        let mut failed = BTreeMap::new();
        let files = policy_files(dir).map_err(|error| format!("{}: {error}", dir.display()))?;
        for path in files {
            match load_checked(&path, &policies) {
                Ok(loaded) => {
                    policies.insert(loaded.id().to_owned(), Arc::new(loaded));
                }
                Err(reason) => {
                    let failure = failed_file(&path, reason);
                    failed.insert(failure.source.clone(), failure);
                }
            }
        }
        let default_id = default_id.unwrap_or(DEFAULT_POLICY_ID);
        let mut problems: Vec<String> = if strict {
            failed
                .values()
                .map(|failed| failed.reason.clone())
                .collect()
        } else {
            Vec::new()
        };
        let default = policies.get(default_id).cloned();
        if default.is_none() {
            let why = failed
                .values()
                .find(|failed| failed.id.as_deref() == Some(default_id))
                .map_or_else(String::new, |failed| format!(":\n{}", failed.reason));
            problems.push(format!(
                "the default policy {default_id:?} is not among the loaded policies{why}"
            ));
        }
        let (Some(default), true) = (default, problems.is_empty()) else {
            return Err(problems.join("\n"));
        };
        Ok(Self {
            current: RwLock::new(Arc::new(PolicySet {
                default,
                policies,
                failed,
            })),
            dir: Some(dir.to_owned()),
            reloading: Mutex::new(()),
        })
    }

    /// The policies a server or `verdict eval` starts with: those of `dir`
    /// beside the embedded default, or the embedded default alone.
    pub fn open(dir: Option<&Path>, default: Option<&str>, strict: bool) -> Result<Self, String> {
        match dir {
            Some(dir) => Self::from_dir(dir, default, strict),
            None if default.is_some_and(|id| id != DEFAULT_POLICY_ID) => {
                Err("--default-policy names a policy, but no --policy-dir was given".to_owned())
            }
            None => Ok(Self::embedded_only()),
        }
    }

    /// The current set; hold it for the whole request.
    pub fn current(&self) -> Arc<PolicySet> {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(&current)
    }

    /// The policy directory, if there is one.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Reads the policy directory again. Each file is parsed, validated and
    /// run against its golden cases; only then does it replace its previous
    /// version. A file that fails keeps its previous version serving. The new
    /// set is swapped in at once. Blocking: call it off the async workers.
    pub fn reload(&self) -> ReloadReport {
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut report = ReloadReport::default();
        let Some(dir) = &self.dir else {
            return report;
        };
        let previous = self.current();
        let files = match policy_files(dir) {
            Ok(files) => files,
            Err(error) => {
                report
                    .failed
                    .push((dir.display().to_string(), error.to_string()));
                return report;
            }
        };
        let by_source = |source: &str| {
            previous
                .policies
                .values()
                .find(|policy| policy.source == source)
                .cloned()
        };
        let mut policies: BTreeMap<String, Arc<LoadedPolicy>> = previous
            .policies
            .iter()
            .filter(|(_, policy)| policy.source == EMBEDDED)
            .map(|(id, policy)| (id.clone(), Arc::clone(policy)))
            .collect();
        let mut failed = BTreeMap::new();
        for path in &files {
            let source = path.display().to_string();
            match load_checked(path, &policies) {
                Ok(loaded) => {
                    let unchanged = by_source(&source).filter(|old| {
                        old.policy.reference() == loaded.policy.reference()
                            && old.content == loaded.content
                    });
                    let entry = match unchanged {
                        Some(old) => old,
                        None => {
                            let reference = loaded.policy.reference();
                            report
                                .loaded
                                .push((reference.id.clone(), reference.version.clone()));
                            Arc::new(loaded)
                        }
                    };
                    policies.insert(entry.id().to_owned(), entry);
                }
                Err(reason) => {
                    report.failed.push((source.clone(), reason.clone()));
                    failed.insert(source, failed_file(path, reason));
                    if let Some(old) = by_source(&path.display().to_string())
                        && !policies.contains_key(old.id())
                    {
                        policies.insert(old.id().to_owned(), old);
                    }
                }
            }
        }
        // The default must survive whatever happened to its file; a new
        // version of it that loaded takes its place.
        let default = Arc::clone(
            policies
                .entry(previous.default_id().to_owned())
                .or_insert_with(|| Arc::clone(previous.default_policy())),
        );
        report.removed = previous
            .policies
            .keys()
            .filter(|id| !policies.contains_key(*id))
            .cloned()
            .collect();
        let next = Arc::new(PolicySet {
            default,
            policies,
            failed,
        });
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = next;
        report
    }
}

fn failed_file(path: &Path, reason: String) -> FailedFile {
    FailedFile {
        source: path.display().to_string(),
        id: declared_policy_id(path),
        reason,
    }
}

/// Loads a file and checks its id is free among `loaded`.
fn load_checked(
    path: &Path,
    loaded: &BTreeMap<String, Arc<LoadedPolicy>>,
) -> Result<LoadedPolicy, String> {
    let file = load_policy_file(path)?;
    let id = &file.policy.reference().id;
    if let Some(other) = loaded.get(id) {
        return Err(format!(
            "{}: policy id {id:?} is already taken by {}",
            path.display(),
            other.source
        ));
    }
    Ok(LoadedPolicy::from_file(file))
}
