//! The one place in verdict-core that touches the filesystem.
//!
//! A policy directory: every `NAME.toml` is a policy, and `NAME.test.toml`
//! beside it holds its golden cases, whose payload files are read relative to
//! it. Used by `--policy-dir`, reloads and the `verdict policy` commands alike,
//! so all of them accept exactly the same.

use std::io;
use std::path::{Path, PathBuf};

use super::golden::{GoldenReport, run_golden};
use crate::policy::Policy;
use crate::policy::default::load_policy;

/// The suffix of golden-case files.
pub const GOLDEN_SUFFIX: &str = ".test.toml";

/// A policy file that parsed, validated and passed its golden cases.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    pub path: PathBuf,
    pub text: String,
    pub policy: Policy,
    /// The golden cases' results, when the policy has some.
    pub golden: Option<GoldenReport>,
}

/// The policy files of `dir` (not the golden-case files), sorted by name.
pub fn policy_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        if path.is_file() && name.ends_with(".toml") && !name.ends_with(GOLDEN_SUFFIX) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// `NAME.test.toml` for `NAME.toml`.
pub fn golden_path(policy_file: &Path) -> PathBuf {
    let stem = policy_file
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or_default();
    policy_file.with_file_name(format!("{stem}{GOLDEN_SUFFIX}"))
}

/// The `id` a policy file declares, read leniently (nothing else of the file
/// needs to be valid): to say which policy a file that fails to load was
/// meant to be.
pub fn declared_policy_id(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let table: toml::Table = toml::from_str(&text).ok()?;
    table.get("id")?.as_str().map(str::to_owned)
}

/// Reads golden cases' payload files relative to `base` (the folder of the
/// cases file).
pub fn payload_reader(base: &Path) -> impl Fn(&str) -> io::Result<String> + use<> {
    let base = base.to_owned();
    move |path| std::fs::read_to_string(base.join(path))
}

/// Reads, validates and tests one policy file. A policy whose golden cases
/// fail is refused like one that does not validate: the error says why, one
/// problem per line.
pub fn load_policy_file(path: &Path) -> Result<LoadedFile, String> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| format!("{shown}: {error}"))?;
    let policy = load_policy(&shown, &text).map_err(|errors| errors.to_string())?;
    let golden_file = golden_path(path);
    let golden = match std::fs::read_to_string(&golden_file) {
        Ok(cases) => {
            let base = golden_file.parent().unwrap_or(Path::new("."));
            let label = golden_file.display().to_string();
            let report = run_golden(&label, &cases, &payload_reader(base), &policy)
                .map_err(|errors| errors.to_string())?;
            if !report.passed() {
                let failures: Vec<String> = report
                    .failed()
                    .map(|case| {
                        format!(
                            "{label}:{}: case {:?} failed: {}",
                            case.line,
                            case.name,
                            case.failure.as_deref().unwrap_or_default()
                        )
                    })
                    .collect();
                return Err(failures.join("\n"));
            }
            Some(report)
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(format!("{label}: {error}", label = golden_file.display())),
    };
    Ok(LoadedFile {
        path: path.to_owned(),
        text,
        policy,
        golden,
    })
}
