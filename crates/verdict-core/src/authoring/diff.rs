//! `verdict policy diff`: what changes between two policies, over the whole
//! input space, the transaction rules and the checks.

use super::space::points;
use crate::policy::{CascadeSpec, CompiledRule, Policy, TransactionRule};

/// One combination whose outcome or code differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `capability.TYPE.LABEL`, or a transaction rule / check id.
    pub finding: String,
    /// The facts that matter, empty when none do.
    pub facts: String,
    /// `OUTCOME CODE (rule id)`, or `-` when the rule does not exist.
    pub old: String,
    pub new: String,
}

fn shown(rule: Option<&CompiledRule>) -> String {
    rule.map_or_else(
        || "-".to_owned(),
        |rule| {
            format!(
                "{} {} ({})",
                rule.action.outcome.name(),
                rule.action.code,
                rule.id
            )
        },
    )
}

fn differs(old: Option<&CompiledRule>, new: Option<&CompiledRule>) -> bool {
    match (old, new) {
        (Some(old), Some(new)) => {
            old.action.outcome != new.action.outcome || old.action.code != new.action.code
        }
        (None, None) => false,
        _ => true,
    }
}

/// Every point of the combined space, transaction rule and check whose
/// outcome or code changes from `old` to `new`.
pub fn diff(old: &Policy, new: &Policy) -> Vec<Change> {
    let mut changes = Vec::new();
    for point in points(&[old, new]) {
        let (capability, label) = (point.capability, point.label);
        let before = old.rule_for(capability, point.decision_type, label, &point.facts);
        let after = new.rule_for(capability, point.decision_type, label, &point.facts);
        if differs(before, after) {
            changes.push(Change {
                finding: point.finding(),
                facts: point.describe_facts(),
                old: shown(before),
                new: shown(after),
            });
        }
    }
    let (before, after) = (table_rows(old), table_rows(new));
    let mut ids: Vec<&String> = before.iter().chain(&after).map(|row| &row.0).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        let find = |rows: &[TableRow]| rows.iter().find(|row| &row.0 == id).cloned();
        let (old_row, new_row) = (find(&before), find(&after));
        let params_changed = matches!((&old_row, &new_row), (Some(a), Some(b)) if a.2 != b.2);
        if differs(
            old_row.as_ref().map(|row| &row.1),
            new_row.as_ref().map(|row| &row.1),
        ) || params_changed
        {
            changes.push(Change {
                finding: id.clone(),
                facts: String::new(),
                old: shown_row(old_row.as_ref()),
                new: shown_row(new_row.as_ref()),
            });
        }
    }
    for (id, before, after) in settings(old)
        .into_iter()
        .zip(settings(new))
        .map(|((id, before), (_, after))| (id, before, after))
    {
        if before != after {
            changes.push(Change {
                finding: id.to_owned(),
                facts: String::new(),
                old: before,
                new: after,
            });
        }
    }
    changes
}

/// (id, value in words) of each setting that is not a rule, in a fixed order.
fn settings(policy: &Policy) -> [(&'static str, String); 1] {
    let cascade = policy
        .spec()
        .cascade
        .clone()
        .unwrap_or_else(CascadeSpec::jumio);
    [("cascade", cascade.describe())]
}

/// (id, rule, parameters) of a transaction rule or check.
type TableRow = (String, CompiledRule, String);

fn shown_row(row: Option<&TableRow>) -> String {
    match row {
        Some((_, rule, params)) if !params.is_empty() => {
            format!("{} [{params}]", shown(Some(rule)))
        }
        Some((_, rule, _)) => shown(Some(rule)),
        None => "-".to_owned(),
    }
}

fn table_rows(policy: &Policy) -> Vec<TableRow> {
    let transaction = TransactionRule::ALL
        .into_iter()
        .map(|rule| (policy.transaction_rules().get(rule), String::new()));
    transaction
        .chain(policy.checks().rules())
        .map(|(rule, params)| (rule.id.to_string(), rule.clone(), params))
        .collect()
}

/// The changes as a Markdown table a reviewer can read in a pull request.
pub fn markdown(changes: &[Change]) -> String {
    let mut table = String::from("| finding | facts | old | new |\n|---|---|---|---|\n");
    for change in changes {
        table.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            change.finding, change.facts, change.old, change.new
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::default::{DEFAULT_POLICY_TOML, load_policy};

    #[test]
    fn a_policy_has_no_differences_with_itself() {
        let policy = Policy::embedded_default();
        assert_eq!(diff(&policy, &policy), Vec::<Change>::new());
    }

    #[test]
    fn a_changed_cascade_setting_is_shown_in_words() {
        let edited = DEFAULT_POLICY_TOML.replace(
            "input_labels = [\"PRECONDITION_NOT_FULFILLED\", \"VALIDATION_FAILED\", ",
            "input_labels = [\"PRECONDITION_NOT_FULFILLED\", ",
        );
        assert_ne!(edited, DEFAULT_POLICY_TOML);
        let new = load_policy("new.toml", &edited).unwrap_or_else(|errors| panic!("{errors}"));
        let changes = diff(&Policy::embedded_default(), &new);
        let cascade: Vec<(&str, &str)> = changes
            .iter()
            .filter(|change| change.finding == "cascade")
            .map(|change| {
                (
                    change.old.split(';').next().unwrap_or_default(),
                    change.new.split(';').next().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            cascade,
            [(
                "input_labels=PRECONDITION_NOT_FULFILLED,VALIDATION_FAILED,EXTRACTION_NOT_DONE,NO_VALID_ID_CREDENTIAL",
                "input_labels=PRECONDITION_NOT_FULFILLED,EXTRACTION_NOT_DONE,NO_VALID_ID_CREDENTIAL"
            )]
        );
    }

    #[test]
    fn a_changed_rule_and_a_country_override_show_exactly_where_they_apply() {
        let edited = DEFAULT_POLICY_TOML.replace(
            "code = \"DOCUMENT_PUNCHED\"",
            "code = \"DOCUMENT_PUNCHED_ACCEPTED\"",
        ).replace(
            "[[rule]]\ncapability = \"imageChecks\"\ntype = \"REJECTED\"\nlabel = \"PUNCHED\"\noutcome = \"REVIEW\"",
            "[[rule]]\ncapability = \"imageChecks\"\ntype = \"REJECTED\"\nlabel = \"PUNCHED\"\noutcome = \"APPROVE\"",
        ) + r#"
[[rule]]
capability = "similarity"
type = "REJECTED"
label = "NO_MATCH"
when = { country = ["USA"] }
outcome = "REVIEW"
code = "FACE_MISMATCH_US_REVIEW"
message = "m"
"#;
        let new = load_policy("new.toml", &edited).unwrap_or_else(|errors| panic!("{errors}"));
        let changes = diff(&Policy::embedded_default(), &new);
        let rows: Vec<(&str, &str, &str, &str)> = changes
            .iter()
            .map(|c| {
                (
                    c.finding.as_str(),
                    c.facts.as_str(),
                    c.old.as_str(),
                    c.new.as_str(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            // Catalogue order: similarity comes before imageChecks.
            [
                (
                    "similarity.REJECTED.NO_MATCH",
                    "country=USA",
                    "DECLINE FACE_MISMATCH (similarity.REJECTED.NO_MATCH)",
                    "REVIEW FACE_MISMATCH_US_REVIEW (similarity.REJECTED.NO_MATCH[country=USA])"
                ),
                (
                    "imageChecks.REJECTED.PUNCHED",
                    "",
                    "REVIEW DOCUMENT_PUNCHED (imageChecks.REJECTED.PUNCHED)",
                    "APPROVE DOCUMENT_PUNCHED_ACCEPTED (imageChecks.REJECTED.PUNCHED)"
                ),
            ]
        );
        assert!(markdown(&changes).starts_with("| finding | facts | old | new |\n|---|---|---|---|\n| `similarity.REJECTED.NO_MATCH` | country=USA | "));
    }
}
