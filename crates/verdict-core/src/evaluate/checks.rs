//! A policy's optional checks over facts of the whole workflow: document
//! expiring soon, issuing country, document type, minimum age, risk bands.
//! Dates are judged as of `completedAt`, never the clock.

use time::Date;

use crate::model::WorkflowResult;
use crate::policy::{CompiledRule, Facts, Policy};

/// (area, label, rule) of every check that fires, in a fixed order.
pub(super) fn fired<'p>(
    workflow: &WorkflowResult<'_>,
    facts: &Facts<'_>,
    policy: &'p Policy,
) -> Vec<(&'static str, &'static str, &'p CompiledRule)> {
    let checks = policy.checks();
    let mut fired = Vec::new();
    let today = workflow.completed_on;
    if let (Some((days, rule)), Some(today), Some(expiry)) =
        (&checks.document_expiring, today, facts.expiry_date)
    {
        // Expired documents are `document.expired`'s; this is the notice period.
        let left = (expiry - today).whole_days();
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
    // age check below would see a negative age; this says what it is.
    if let (Some(rule), Some(today), Some(birth)) =
        (&checks.birth_after_completion, today, facts.date_of_birth)
        && birth > today
    {
        fired.push(("document", "BIRTH_AFTER_COMPLETION", rule));
    }
    if let (Some((years, rule)), Some(today), Some(birth)) =
        (&checks.minimum_age, today, facts.date_of_birth)
        && age_on(birth, today) < i64::from(*years)
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

/// Whole years from `birth` to `today`: a birthday counts on its day.
fn age_on(birth: Date, today: Date) -> i64 {
    let years = i64::from(today.year()) - i64::from(birth.year());
    let before_birthday = (today.month() as u8, today.day()) < (birth.month() as u8, birth.day());
    years - i64::from(before_birthday)
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::age_on;

    #[test]
    fn age_counts_whole_years_and_the_birthday_itself() {
        assert_eq!(age_on(date!(2008 - 06 - 15), date!(2026 - 06 - 14)), 17);
        assert_eq!(age_on(date!(2008 - 06 - 15), date!(2026 - 06 - 15)), 18);
        // Born on 29 February: 18 on 1 March of a common year.
        assert_eq!(age_on(date!(2008 - 02 - 29), date!(2026 - 02 - 28)), 17);
        assert_eq!(age_on(date!(2008 - 02 - 29), date!(2026 - 03 - 01)), 18);
    }
}
