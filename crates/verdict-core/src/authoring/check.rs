//! `verdict policy check`: walks the whole input space and reports every
//! catalogued finding that only the fallback decides, and every rule that no
//! point of the space reaches. (Duplicates and ties are validation errors.)

use std::collections::BTreeSet;

use super::space::{UNCATALOGUED, points};
use crate::policy::Policy;

/// What `check` found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckReport {
    /// Points walked.
    pub points: usize,
    /// Catalogued findings (with the facts, when they matter) decided by a
    /// `*.TYPE.*` fallback, as (finding, facts, fallback rule id).
    pub fall_throughs: Vec<(String, String, String)>,
    /// Finding rules that decide no point: another rule always wins first.
    pub shadowed: Vec<String>,
}

/// Walks `policy`'s space.
pub fn check(policy: &Policy) -> CheckReport {
    let points = points(&[policy]);
    // The `*.TYPE.*` rules, by id.
    let fallbacks: BTreeSet<&str> = policy
        .spec()
        .rules
        .iter()
        .zip(policy.rules())
        .filter(|(spec, _)| spec.capability.is_none() && spec.label.is_none())
        .map(|(_, compiled)| &*compiled.id)
        .collect();
    let mut chosen = BTreeSet::new();
    let mut fall_throughs = Vec::new();
    for point in &points {
        let Some(rule) = policy.rule_for(
            point.capability,
            point.decision_type,
            point.label,
            &point.facts,
        ) else {
            continue;
        };
        chosen.insert(rule.id.clone());
        let catalogued = point.capability != UNCATALOGUED && point.label != UNCATALOGUED;
        let is_fallback = fallbacks.contains(&*rule.id);
        if catalogued && is_fallback {
            fall_throughs.push((point.finding(), point.describe_facts(), rule.id.to_string()));
        }
    }
    let shadowed = policy
        .rules()
        .iter()
        .filter(|rule| !chosen.contains(&rule.id))
        .map(|rule| rule.id.to_string())
        .collect();
    CheckReport {
        points: points.len(),
        fall_throughs,
        shadowed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::default::load_policy;

    fn with_rules(rules: &str) -> Policy {
        let text = format!("{}{rules}", crate::policy::default::DEFAULT_POLICY_TOML);
        load_policy("crafted.toml", &text).unwrap_or_else(|errors| panic!("{errors}"))
    }

    #[test]
    fn the_default_policy_names_every_catalogued_finding() {
        let report = check(&Policy::embedded_default());
        assert_eq!(report.fall_throughs, Vec::<(String, String, String)>::new());
        assert_eq!(report.shadowed, Vec::<String>::new());
        assert!(report.points > 150, "{} points", report.points);
    }

    #[test]
    fn a_known_gap_and_rules_that_can_never_fire_are_reported() {
        // Limit usability.WARNING.* to French documents: for every other
        // country, LIVENESS_UNDETERMINED (no rule of its own) reaches the
        // *.WARNING.* fallback.
        let text = crate::policy::default::DEFAULT_POLICY_TOML.replace(
            "[[rule]]\ncapability = \"usability\"\ntype = \"WARNING\"\nlabel = \"*\"",
            "[[rule]]\ncapability = \"usability\"\ntype = \"WARNING\"\nlabel = \"*\"\nwhen = { country = [\"FRA\"] }",
        );
        assert_ne!(text, crate::policy::default::DEFAULT_POLICY_TOML);
        let gap = load_policy("gap.toml", &text).unwrap_or_else(|errors| panic!("{errors}"));
        let report = check(&gap);
        let finding = "usability.WARNING.LIVENESS_UNDETERMINED";
        let gaps: Vec<&str> = report
            .fall_throughs
            .iter()
            .filter(|(at, _, rule)| at == finding && rule == "*.WARNING.*")
            .map(|(_, facts, _)| facts.as_str())
            .collect();
        assert_eq!(gaps, ["country=(other)", "country=(absent)"]);
        assert_eq!(report.shadowed, Vec::<String>::new());

        let unreachable = with_rules(
            r#"
[[rule]]
capability = "similarity"
type = "REJECTED"
label = "NO_MATCH"
when = { country = ["USA"], country_not = ["USA"] }
outcome = "DECLINE"
code = "CONTRADICTION"
message = "m"
[[rule]]
capability = "similarity"
type = "REJECTED"
label = "NO_MATCH"
when = { risk_score = { min = 101 } }
outcome = "DECLINE"
code = "OFF_THE_SCALE"
message = "m"
"#,
        );
        assert_eq!(
            check(&unreachable).shadowed,
            [
                "similarity.REJECTED.NO_MATCH[country=USA; country!=USA]",
                "similarity.REJECTED.NO_MATCH[risk=101..=]"
            ]
        );
    }
}
