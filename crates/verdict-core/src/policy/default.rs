//! The embedded default policy: `default.toml` beside this file, compiled in
//! and parsed once. Jumio's "How to Handle Workflow Results" guidance row by
//! row, refined per label with the catalogue.
//!
//! Every rule is listed in the default policy tables of
//! `crates/verdict-core/README.md`; a test keeps the two in step.

use std::sync::LazyLock;

use super::file::{FileErrors, read_policy};
use super::{Policy, PolicySpec};

/// The id requests use to name this policy explicitly.
pub const DEFAULT_POLICY_ID: &str = "jumio-default";

/// The policy file, as shipped. Start your own policies from a copy of it.
pub const DEFAULT_POLICY_TOML: &str = include_str!("default.toml");

static DEFAULT_POLICY: LazyLock<Policy> = LazyLock::new(|| {
    // The embedded file is a constant of this crate; its validity is tested,
    // so failing here is a build defect, not an input error.
    #[expect(
        clippy::expect_used,
        reason = "the embedded policy is tested to compile"
    )]
    read_policy("default.toml", DEFAULT_POLICY_TOML, None)
        .expect("the embedded default policy compiles")
});

impl Policy {
    /// The embedded default policy: the seed guidance, refined by the catalogue.
    pub fn embedded_default() -> Self {
        DEFAULT_POLICY.clone()
    }
}

/// The embedded default policy's content.
pub fn default_policy_spec() -> PolicySpec {
    DEFAULT_POLICY.spec().clone()
}

/// Parses and validates a policy file's text; the file may extend the
/// embedded default. `file` names it in errors.
pub fn load_policy(file: &str, text: &str) -> Result<Policy, FileErrors> {
    read_policy(file, text, Some(DEFAULT_POLICY.spec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue;
    use crate::model::DecisionType;
    use crate::model::Outcome::{Approve, Retry};
    use crate::policy::{Facts, TransactionRule};

    #[test]
    fn the_default_policy_compiles() {
        let policy = Policy::embedded_default();
        assert_eq!(policy.reference().id, DEFAULT_POLICY_ID);
        assert_eq!(policy.spec().rules.len(), 129);
    }

    #[test]
    fn the_default_states_the_built_in_cascade_graph() {
        // A policy without [cascade] gets the built-in graph; the default
        // writes the same one down, so that a copy of it can be edited.
        assert_eq!(
            default_policy_spec().cascade,
            Some(crate::policy::CascadeSpec::jumio())
        );
    }

    #[test]
    fn the_default_states_the_built_in_rule_for_an_uncatalogued_pass() {
        assert_eq!(
            default_policy_spec().passed_uncatalogued,
            Some(crate::policy::Action::uncatalogued_pass())
        );
    }

    #[test]
    fn no_catalogued_rejection_or_warning_is_approved() {
        let policy = Policy::embedded_default();
        for entry in catalogue::CATALOGUE
            .iter()
            .filter(|entry| entry.decision_type != DecisionType::Passed)
        {
            let rule = policy
                .rule_for(
                    entry.capability,
                    entry.decision_type,
                    entry.label,
                    &Facts::default(),
                )
                .expect("non-PASSED findings have a rule");
            assert_ne!(rule.action.outcome, Approve, "{} approves", rule.id);
        }
    }

    #[test]
    fn the_readme_lists_every_rule_with_its_outcome_and_code() {
        let readme = include_str!("../../README.md");
        let policy = Policy::embedded_default();
        let spec = policy.spec();
        let rows = spec
            .rules
            .iter()
            .map(|rule| (rule.id(), &rule.action))
            .chain(TransactionRule::ALL.into_iter().map(|rule| {
                let compiled = policy.transaction_rules().get(rule);
                (rule.id().to_owned(), &compiled.action)
            }))
            .chain(
                policy
                    .checks()
                    .rules()
                    .into_iter()
                    .map(|(rule, _)| (rule.id.to_string(), &rule.action)),
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
