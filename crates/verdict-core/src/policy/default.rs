//! The embedded default policy: `default.toml` beside this file, compiled in.
//! Jumio's "How to Handle Workflow Results" table (`shared/seeds/000_*`) row by
//! row, refined per label with the catalogue and the domain reference's
//! suggested policy (§7).
//!
//! Every rule is listed in the README's default policy tables; a test keeps the
//! two in step.

use super::PolicySpec;
use super::file::parse_policy;

/// The id requests use to name this policy explicitly.
pub const DEFAULT_POLICY_ID: &str = "jumio-default";

/// The policy file, as shipped. Start your own policies from a copy of it.
pub const DEFAULT_POLICY_TOML: &str = include_str!("default.toml");

/// The embedded default policy's content.
pub fn default_policy_spec() -> PolicySpec {
    // The embedded file is a constant of this crate and tested to parse, so a
    // failure here is a build defect, not an input error.
    #[expect(clippy::expect_used, reason = "the embedded policy is tested to parse")]
    let (spec, _) = parse_policy("default.toml", DEFAULT_POLICY_TOML)
        .expect("the embedded default policy parses");
    spec
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue;
    use crate::decision::Outcome::{Approve, Retry};
    use crate::model::DecisionType;
    use crate::policy::{Facts, Policy};

    #[test]
    fn the_default_policy_compiles() {
        let policy = Policy::compile(default_policy_spec()).expect("default policy compiles");
        assert_eq!(policy.reference().id, DEFAULT_POLICY_ID);
        assert_eq!(policy.spec().rules.len(), 118);
    }

    #[test]
    fn no_catalogued_rejection_or_warning_is_approved() {
        let policy = Policy::embedded_default();
        for entry in catalogue::CATALOGUE
            .iter()
            .filter(|entry| entry.decision_type != DecisionType::Passed)
        {
            let rule = policy.rule_for(
                entry.capability,
                entry.decision_type,
                entry.label,
                &Facts::default(),
            );
            assert_ne!(rule.action.outcome, Approve, "{} approves", rule.id);
        }
    }

    #[test]
    fn the_readme_lists_every_rule_with_its_outcome_and_code() {
        let readme = include_str!("../../../../README.md");
        let policy = Policy::embedded_default();
        let spec = policy.spec();
        let transaction_rules = policy.transaction_rules().all();
        let rows = spec
            .rules
            .iter()
            .map(|rule| (rule.id(), &rule.action))
            .chain(
                transaction_rules
                    .iter()
                    .map(|rule| (rule.id.to_string(), &rule.action)),
            );
        for (id, action) in rows {
            let row = format!("| `{id}` | {}", action.outcome.name());
            let line = readme
                .lines()
                .find(|line| line.starts_with(&row))
                .unwrap_or_else(|| panic!("README has no row starting {row}"));
            assert!(
                line.contains(&format!("`{}`", action.code)),
                "README row for {id} lacks {}",
                action.code
            );
        }
    }

    #[test]
    fn only_outcomes_the_user_can_act_on_carry_a_user_message() {
        for rule in default_policy_spec().rules {
            assert_eq!(
                rule.action.user_message.is_some(),
                rule.action.outcome == Retry,
                "{}",
                rule.id()
            );
        }
    }
}
