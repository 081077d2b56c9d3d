//! A policy's optional checks over facts of the whole workflow: document
//! expiring soon, issuing country, document type, minimum age, risk bands.
//! Dates are judged as of `completedAt`, never the clock: the model holds them
//! as days to expiry and age in years on that day.

use crate::policy::{CompiledRule, Facts, Policy};

/// (area, label, rule) of every check that fires, in a fixed order.
pub(super) fn fired<'p>(
    facts: &Facts<'_>,
    policy: &'p Policy,
) -> Vec<(&'static str, &'static str, &'p CompiledRule)> {
    let checks = policy.checks();
    let mut fired = Vec::new();
    if let (Some((days, rule)), Some(left)) = (&checks.document_expiring, facts.days_to_expiry) {
        // Expired documents are `document.expired`'s; this is the notice period.
        if (0..=i64::from(*days)).contains(&left) {
            fired.push(("document", "EXPIRING", rule));
        }
    }
    if let (Some((list, rule)), Some(country)) = (&checks.document_country, facts.country)
        && list.fails(country)
    {
        fired.push(("document", "ISSUING_COUNTRY", rule));
    }
    if let (Some((list, rule)), Some(document_type)) = (&checks.document_type, facts.document_type)
        && list.fails(document_type)
    {
        fired.push(("document", "DOCUMENT_TYPE", rule));
    }
    // Born after the transaction: the document was misread or forged. The
    // age check below sees the negative age too; this says what it is.
    if let (Some(rule), Some(age)) = (&checks.birth_after_completion, facts.age_years)
        && age < 0
    {
        fired.push(("document", "BIRTH_AFTER_COMPLETION", rule));
    }
    if let (Some((years, rule)), Some(age)) = (&checks.minimum_age, facts.age_years)
        && age < i64::from(*years)
    {
        fired.push(("age", "MINIMUM_AGE", rule));
    }
    if let Some(score) = facts.risk_score
        && let Some((_, rule)) = checks.risk.iter().find(|(range, _)| range.contains(score))
    {
        fired.push(("risk", "RISK_SCORE", rule));
    }
    fired
}
