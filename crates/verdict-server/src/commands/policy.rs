//! `verdict policy check | test | diff`: the policy tooling a risk team runs
//! before a policy ships. Each writes its report to `out` and returns the
//! process exit code (0 fine, 1 errors or failures, 2 unusable arguments).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use verdict_core::authoring::check::check;
use verdict_core::authoring::diff::{diff, markdown};
use verdict_core::authoring::files::{golden_path, payload_reader, policy_files};
use verdict_core::authoring::golden::{coverage, run_golden};
use verdict_core::{Policy, evaluate, load_policy, parse_workflow_json};

use crate::cli::PolicyCommand;

/// Runs a `verdict policy` command, its report on stdout.
pub fn run(command: &PolicyCommand) -> ExitCode {
    let mut out = io::stdout().lock();
    let code = match command {
        PolicyCommand::Check { paths } => policy_check(paths, &mut out),
        PolicyCommand::Test { dir, coverage } => policy_test(dir, *coverage, &mut out),
        PolicyCommand::Diff { old, new, payloads } => {
            policy_diff(old, new, payloads.as_deref(), &mut out)
        }
    };
    match code {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        // The reader closed the pipe (`| head`): it has what it wants.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("verdict: {error}");
            ExitCode::from(2)
        }
    }
}

/// Names the embedded default policy where a file is expected.
pub const EMBEDDED_ARG: &str = "embedded";

/// Policy files named by `paths`: files as given, directories expanded.
fn expand(paths: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            files.extend(policy_files(path)?);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn read_policy(path: &Path) -> Result<(Policy, String), String> {
    if path.as_os_str() == EMBEDDED_ARG {
        return Ok((Policy::embedded_default(), EMBEDDED_ARG.to_owned()));
    }
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| format!("{shown}: {error}"))?;
    let policy = load_policy(&shown, &text).map_err(|errors| errors.to_string())?;
    Ok((policy, shown))
}

/// The policy at `path`, or `None` after writing why it cannot be used.
fn read_or_report(path: &Path, out: &mut impl Write) -> io::Result<Option<(Policy, String)>> {
    match read_policy(path) {
        Ok(loaded) => Ok(Some(loaded)),
        Err(errors) => {
            writeln!(out, "{errors}")?;
            Ok(None)
        }
    }
}

/// `verdict policy check PATH…`: validation errors (exit 1), then every
/// catalogued finding only a fallback decides and every rule that can never
/// fire, as warnings.
pub fn policy_check(paths: &[PathBuf], out: &mut impl Write) -> io::Result<i32> {
    let files = expand(paths)?;
    if files.is_empty() {
        writeln!(out, "no policy files found")?;
        return Ok(2);
    }
    let mut code = 0;
    for file in files {
        let Some((policy, shown)) = read_or_report(&file, out)? else {
            code = 1;
            continue;
        };
        let report = check(&policy);
        let reference = policy.reference();
        writeln!(
            out,
            "{shown}: policy {} {}: {} combinations of finding and facts walked",
            reference.id, reference.version, report.points
        )?;
        for (finding, facts, rule) in &report.fall_throughs {
            let at = if facts.is_empty() {
                String::new()
            } else {
                format!(" with {facts}")
            };
            writeln!(
                out,
                "{shown}: warning: {finding}{at} falls through to the fallback {rule}"
            )?;
        }
        for rule in &report.shadowed {
            writeln!(
                out,
                "{shown}: warning: rule {rule} can never fire: no combination reaches it"
            )?;
        }
        writeln!(
            out,
            "{shown}: {} fall-through(s), {} rule(s) that can never fire",
            report.fall_throughs.len(),
            report.shadowed.len()
        )?;
    }
    Ok(code)
}

/// `verdict policy test DIR`: runs every policy's golden cases
/// (`NAME.test.toml`) and reports per-rule coverage.
pub fn policy_test(dir: &Path, all_rules: bool, out: &mut impl Write) -> io::Result<i32> {
    let files = expand(&[dir.to_owned()])?;
    let mut code = 0;
    let mut cases_run = 0;
    for file in files {
        let Some((policy, shown)) = read_or_report(&file, out)? else {
            code = 1;
            continue;
        };
        let golden_file = golden_path(&file);
        let Ok(text) = std::fs::read_to_string(&golden_file) else {
            writeln!(
                out,
                "{shown}: no golden cases ({} not found)",
                golden_file.display()
            )?;
            continue;
        };
        let label = golden_file.display().to_string();
        let base = golden_file.parent().unwrap_or(Path::new("."));
        let report = match run_golden(&label, &text, &payload_reader(base), &policy) {
            Ok(report) => report,
            Err(errors) => {
                writeln!(out, "{errors}")?;
                code = 1;
                continue;
            }
        };
        for case in &report.cases {
            match &case.failure {
                None => writeln!(out, "PASS {label}:{} {}", case.line, case.name)?,
                Some(failure) => {
                    code = 1;
                    writeln!(out, "FAIL {label}:{} {}: {failure}", case.line, case.name)?;
                }
            }
        }
        cases_run += report.cases.len();
        let failed = report.failed().count();
        let counts = coverage(&policy, std::slice::from_ref(&report));
        let covered = counts.iter().filter(|(_, count)| *count > 0).count();
        writeln!(
            out,
            "{shown}: {} passed, {failed} failed; rule coverage {covered}/{} ({:.0}%)",
            report.cases.len() - failed,
            counts.len(),
            percent(covered, counts.len())
        )?;
        if all_rules {
            for (rule, count) in &counts {
                writeln!(out, "  {count:>4}  {rule}")?;
            }
        } else {
            let uncovered: Vec<&str> = counts
                .iter()
                .filter(|(_, count)| *count == 0)
                .map(|(rule, _)| *rule)
                .collect();
            if !uncovered.is_empty() {
                let shown = uncovered.len().min(UNCOVERED_SHOWN);
                let more = uncovered.len() - shown;
                let tail = if more > 0 {
                    format!(" … and {more} more (--coverage lists every rule)")
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "  not covered: {}{tail}",
                    uncovered[..shown].join(", ")
                )?;
            }
        }
    }
    if cases_run == 0 && code == 0 {
        writeln!(out, "no golden cases found in {}", dir.display())?;
    }
    Ok(code)
}

/// Uncovered rules named in the summary; `--coverage` lists them all.
const UNCOVERED_SHOWN: usize = 12;

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        return 100.0;
    }
    // Counts of rules are far below 2^52: exact as f64.
    #[expect(clippy::cast_precision_loss, reason = "small counts")]
    let ratio = part as f64 / whole as f64;
    ratio * 100.0
}

/// `verdict policy diff OLD NEW [--payloads DIR]`: every combination whose
/// outcome or code changes, and the stored payloads whose decision changes.
pub fn policy_diff(
    old: &Path,
    new: &Path,
    payloads: Option<&Path>,
    out: &mut impl Write,
) -> io::Result<i32> {
    let (Some((old_policy, old_name)), Some((new_policy, new_name))) =
        (read_or_report(old, out)?, read_or_report(new, out)?)
    else {
        return Ok(1);
    };
    let (a, b) = (old_policy.reference(), new_policy.reference());
    writeln!(
        out,
        "## {} {} ({old_name}) → {} {} ({new_name})\n",
        a.id, a.version, b.id, b.version
    )?;
    let changes = diff(&old_policy, &new_policy);
    if changes.is_empty() {
        writeln!(out, "No combination changes outcome or code.")?;
    } else {
        writeln!(
            out,
            "{} combination(s) change outcome or code:\n",
            changes.len()
        )?;
        write!(out, "{}", markdown(&changes))?;
    }
    if let Some(dir) = payloads {
        backtest(dir, &old_policy, &new_policy, out)?;
    }
    Ok(0)
}

fn backtest(dir: &Path, old: &Policy, new: &Policy, out: &mut impl Write) -> io::Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut rows = Vec::new();
    let mut undecided = 0;
    for file in &files {
        let name = file
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Ok(body) = std::fs::read_to_string(file) else {
            undecided += 1;
            continue;
        };
        let Ok(workflow) = parse_workflow_json(&body) else {
            undecided += 1;
            continue;
        };
        match (evaluate(&workflow, old), evaluate(&workflow, new)) {
            (Ok(before), Ok(after)) => {
                if before.outcome != after.outcome || before.result_code != after.result_code {
                    rows.push(format!(
                        "| {name} | {} `{}` | {} `{}` |",
                        before.outcome.name(),
                        before.result_code,
                        after.outcome.name(),
                        after.result_code
                    ));
                }
            }
            _ => undecided += 1,
        }
    }
    writeln!(
        out,
        "\n### Backtest over {}: {} payload(s), {} changed, {undecided} not decidable\n",
        dir.display(),
        files.len(),
        rows.len()
    )?;
    if !rows.is_empty() {
        writeln!(out, "| payload | old | new |\n|---|---|---|")?;
        for row in rows {
            writeln!(out, "{row}")?;
        }
    }
    Ok(())
}
