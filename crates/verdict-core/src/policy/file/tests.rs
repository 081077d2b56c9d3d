//! The policy file format: what parses, what each condition and check decides,
//! precedence, and validation messages asserted verbatim.

use super::*;
use crate::evaluate;
use crate::json::parse_workflow_json;
use crate::model::DecisionType;
use crate::model::Outcome;
use crate::policy::default::load_policy;

/// The tables every policy must have, plus the four fallbacks: a policy with
/// no opinion beyond "an analyst looks". Lines 1–40.
const BASE: &str = r#"id = "test"
version = "1"
[status.SESSION_EXPIRED]
outcome = "RETRY"
code = "SESSION_EXPIRED"
message = "m"
[status.TOKEN_EXPIRED]
outcome = "RETRY"
code = "TOKEN_EXPIRED"
message = "m"
[top_level.WARNING]
outcome = "REVIEW"
code = "TOP_WARNING"
message = "m"
[top_level.REJECTED]
outcome = "REVIEW"
code = "TOP_REJECTED"
message = "m"
[top_level.NOT_EXECUTED]
outcome = "REVIEW"
code = "TOP_NOT_EXECUTED"
message = "m"
[top_level.UNRECOGNISED]
outcome = "REVIEW"
code = "TOP_UNRECOGNISED"
message = "m"
[workflow.nothing_verified]
outcome = "REVIEW"
code = "NOTHING_VERIFIED"
message = "m"
[watchlist.search_results]
outcome = "REVIEW"
code = "WATCHLIST_HIT"
message = "m"
[document.expired]
outcome = "RETRY"
code = "DOCUMENT_EXPIRED"
message = "m"
[[rule]]
capability = "*"
type = "WARNING"
label = "*"
outcome = "REVIEW"
code = "ANY_WARNING"
message = "m"
[[rule]]
capability = "*"
type = "REJECTED"
label = "*"
outcome = "REVIEW"
code = "ANY_REJECTION"
message = "m"
[[rule]]
capability = "*"
type = "NOT_EXECUTED"
label = "*"
outcome = "REVIEW"
code = "ANY_NOT_EXECUTED"
message = "m"
[[rule]]
capability = "*"
type = "UNRECOGNISED"
label = "*"
outcome = "REVIEW"
code = "ANY_UNRECOGNISED"
message = "m"
"#;

fn policy(extra: &str) -> Policy {
    let text = format!("{BASE}{extra}");
    load_policy("test.toml", &text).unwrap_or_else(|errors| panic!("{errors}"))
}

fn errors(extra: &str) -> String {
    let text = format!("{BASE}{extra}");
    match load_policy("test.toml", &text) {
        Ok(_) => panic!("expected the policy to be refused"),
        Err(errors) => errors.to_string(),
    }
}

/// The line of `extra` (1-based) once appended to BASE.
fn line(of_extra: usize) -> usize {
    BASE.lines().count() + of_extra
}

/// A PROCESSED body completed on 2026-06-15 with one finding and an extraction
/// entry carrying the given document facts.
fn body(finding: (&str, &str, &str), country: &str, birth: &str, expiry: &str) -> String {
    let (capability, decision_type, label) = finding;
    format!(
        r#"{{"workflow": {{"id": "w", "status": "PROCESSED", "definitionKey": "10013"}},
            "completedAt": "2026-06-15T10:00:00.000Z",
            "decision": {{"type": "WARNING", "risk": {{"score": 55}}}},
            "capabilities": {{
              "{capability}": [{{"decision": {{"type": "{decision_type}", "details": {{"label": "{label}"}}}}}}],
              "extraction": [{{"decision": {{"type": "PASSED", "details": {{"label": "OK"}}}},
                              "data": {{"type": "PASSPORT", "issuingCountry": "{country}",
                                        "dateOfBirth": "{birth}", "expiryDate": "{expiry}"}}}}]
            }}}}"#
    )
}

/// (outcome, codes of the root causes in decision order).
fn decide(policy: &Policy, body: &str) -> (Outcome, Vec<String>) {
    let workflow = parse_workflow_json(body).expect("test body parses");
    let decision = evaluate(&workflow, policy).expect("final");
    let codes = decision
        .reasons
        .iter()
        .filter(|reason| reason.root_cause)
        .map(|reason| reason.code.to_owned())
        .collect();
    (decision.outcome, codes)
}

const GLARE: (&str, &str, &str) = ("usability", "REJECTED", "GLARE");
const ADULT: &str = "1990-01-01";
const VALID: &str = "2030-01-01";

#[test]
fn the_base_policy_sends_everything_to_an_analyst() {
    let policy = policy("");
    assert_eq!(
        decide(&policy, &body(GLARE, "DEU", ADULT, VALID)),
        // The top-level WARNING floor (REVIEW) is met, so it adds no reason.
        (Outcome::Review, vec!["ANY_REJECTION".to_owned()])
    );
}

#[test]
fn a_country_override_beats_the_general_rule_for_that_country_only() {
    let policy = policy(
        r#"
[[rule]]
capability = "usability"
type = "REJECTED"
label = "GLARE"
outcome = "RETRY"
code = "GLARE"
message = "m"
user_message = "Please try again away from direct light."
[[rule]]
capability = "usability"
type = "REJECTED"
label = "GLARE"
when = { country = ["USA", "CAN"] }
outcome = "DECLINE"
code = "GLARE_NORTH_AMERICA"
message = "m"
"#,
    );
    assert_eq!(
        decide(&policy, &body(GLARE, "USA", ADULT, VALID)).1[0],
        "GLARE_NORTH_AMERICA"
    );
    assert_eq!(
        decide(&policy, &body(GLARE, "DEU", ADULT, VALID)).1[0],
        "GLARE"
    );
}

#[test]
fn the_exact_label_wins_over_a_conditioned_wildcard_capability_before_label() {
    let policy = policy(
        r#"
[[rule]]
capability = "usability"
type = "REJECTED"
label = "*"
when = { country = ["DEU"], risk_score = { min = 50 } }
outcome = "DECLINE"
code = "CAPABILITY_ANY_LABEL_WITH_CONDITIONS"
message = "m"
[[rule]]
capability = "*"
type = "REJECTED"
label = "GLARE"
outcome = "RETRY"
code = "ANY_CAPABILITY_GLARE"
message = "m"
user_message = "u"
"#,
    );
    // Level 2 (usability.REJECTED.*) outranks level 3 (*.REJECTED.GLARE)
    // whatever the conditions count.
    assert_eq!(
        decide(&policy, &body(GLARE, "DEU", ADULT, VALID)).1[0],
        "CAPABILITY_ANY_LABEL_WITH_CONDITIONS"
    );
    // Its condition fails: the next level decides.
    assert_eq!(
        decide(&policy, &body(GLARE, "FRA", ADULT, VALID)).1[0],
        "ANY_CAPABILITY_GLARE"
    );
}

#[test]
fn more_conditions_are_more_specific_within_a_level() {
    let policy = policy(
        r#"
[[rule]]
capability = "usability"
type = "REJECTED"
label = "GLARE"
when = { country = ["DEU"] }
outcome = "REVIEW"
code = "GERMAN"
message = "m"
[[rule]]
capability = "usability"
type = "REJECTED"
label = "GLARE"
when = { country = ["DEU"], document_type = ["PASSPORT"], definition_key = ["10013"], top_level = ["WARNING"] }
outcome = "RETRY"
code = "GERMAN_PASSPORT"
message = "m"
user_message = "u"
"#,
    );
    assert_eq!(
        decide(&policy, &body(GLARE, "DEU", ADULT, VALID)).1[0],
        "GERMAN_PASSPORT"
    );
}

#[test]
fn equally_specific_rules_that_can_both_match_are_a_tie() {
    let message = errors(
        r#"[[rule]]
capability = "usability"
type = "REJECTED"
label = "GLARE"
when = { country = ["USA"] }
outcome = "REVIEW"
code = "A"
message = "m"
[[rule]]
capability = "usability"
type = "REJECTED"
label = "GLARE"
when = { document_type = ["PASSPORT"] }
outcome = "RETRY"
code = "B"
message = "m"
"#,
    );
    assert_eq!(
        message,
        format!(
            "test.toml:{}:1: rules usability.REJECTED.GLARE[country=USA] and usability.REJECTED.GLARE[document_type=PASSPORT] tie: both match some usability.REJECTED.GLARE finding with 1 condition(s) each; make one more specific or their conditions disjoint",
            line(9)
        )
    );
}

#[test]
fn disjoint_conditions_do_not_tie_and_duplicates_are_named() {
    policy(
        r#"[[rule]]
capability = "usability"
type = "REJECTED"
label = "GLARE"
when = { country = ["USA"] }
outcome = "REVIEW"
code = "A"
message = "m"
[[rule]]
capability = "usability"
type = "REJECTED"
label = "GLARE"
when = { country_not = ["USA"] }
outcome = "RETRY"
code = "B"
message = "m"
user_message = "u"
"#,
    );
    let message = errors(
        r#"[[rule]]
capability = "imageChecks"
type = "REJECTED"
label = "FAKE"
outcome = "DECLINE"
code = "A"
message = "m"
[[rule]]
capability = "imageChecks"
type = "REJECTED"
label = "FAKE"
outcome = "DECLINE"
code = "B"
message = "m"
"#,
    );
    assert_eq!(
        message,
        format!(
            "test.toml:{}:1: rule imageChecks.REJECTED.FAKE is defined more than once (rules 5 and 6)",
            line(8)
        )
    );
}

#[test]
fn misspelt_labels_capabilities_and_outcomes_get_the_closest_known_spelling() {
    let message = errors(
        r#"[[rule]]
capability = "usability"
type = "REJECTED"
label = "GLAER"
outcome = "REVEIW"
code = "A"
message = "m"
[[rule]]
capability = "usabilty"
type = "REJECTED"
label = "GLARE"
outcome = "REVIEW"
code = "B"
message = "m"
"#,
    );
    let escape =
        "set `uncatalogued = true` on the rule if Jumio added it after verdict's catalogue";
    assert_eq!(
        message,
        [
            format!(
                "test.toml:{}:9: label \"GLAER\" is not a REJECTED label of usability (did you mean GLARE?); {escape}",
                line(4)
            ),
            format!(
                "test.toml:{}:11: unknown outcome \"REVEIW\" (did you mean REVIEW?)",
                line(5)
            ),
            format!(
                "test.toml:{}:14: unknown capability \"usabilty\" (did you mean usability?); {escape}",
                line(9)
            ),
        ]
        .join("\n")
    );
}

#[test]
fn a_label_under_the_wrong_type_says_which_type_it_has() {
    let message = errors(
        r#"[[rule]]
capability = "usability"
type = "WARNING"
label = "GLARE"
outcome = "REVIEW"
code = "A"
message = "m"
"#,
    );
    assert!(
        message.starts_with(&format!(
            "test.toml:{}:9: label \"GLARE\" is a REJECTED label of usability, not WARNING;",
            line(4)
        )),
        "{message}"
    );
}

#[test]
fn uncatalogued_rules_skip_the_spelling_check() {
    policy(
        r#"[[rule]]
capability = "usability"
type = "REJECTED"
label = "HOLOGRAM_MISSING"
uncatalogued = true
outcome = "DECLINE"
code = "A"
message = "m"
"#,
    );
}

#[test]
fn syntax_and_shape_errors_point_at_their_line_and_column() {
    let message = errors("[[rule]]\ncapability = \"usability\"\ntype = REJECTED\n");
    assert!(
        message.starts_with(&format!("test.toml:{}:8: ", line(3))),
        "{message}"
    );
    let message = errors(
        "[document.expiring]\noutcome = \"REVIEW\"\ncode = \"SOON\"\nmessage = \"m\"\nyears = 3\n",
    );
    assert_eq!(
        message,
        [
            format!(
                "test.toml:{}:1: [document.expiring] takes no `years`",
                line(1)
            ),
            format!(
                "test.toml:{}:1: [document.expiring] needs `within_days`",
                line(1)
            ),
        ]
        .join("\n")
    );
    let message = errors("colour = \"red\"\n");
    assert!(message.contains("unknown field `colour`"), "{message}");
}

#[test]
fn fallbacks_codes_and_outcome_order_are_validated() {
    let text = BASE.replace(
        "[[rule]]\ncapability = \"*\"\ntype = \"UNRECOGNISED\"",
        "[[rule]]\ncapability = \"*\"\ntype = \"UNRECOGNISED\"\nwhen = { top_level = [\"WARNING\"] }",
    );
    let errors = load_policy("test.toml", &format!("{text}outcome_order = 3"));
    assert!(errors.is_err());
    let errors = load_policy("test.toml", &text).expect_err("no unconditional fallback");
    assert_eq!(
        errors.to_string(),
        "test.toml:1:6: no fallback rule *.UNRECOGNISED.* without conditions: every non-PASSED decision type needs one"
    );
    let text = BASE.replace(
        "version = \"1\"",
        "version = \"1\"\noutcome_order = [\"REVIEW\", \"APPROVE\", \"RETRY\", \"DECLINE\"]",
    );
    let errors = load_policy("test.toml", &text).expect_err("APPROVE not first");
    assert_eq!(
        errors.to_string(),
        "test.toml:1:6: outcome_order must list APPROVE, REVIEW, RETRY and DECLINE once each, APPROVE first"
    );
    let message = errors_of_code("glare-ish");
    assert_eq!(
        message,
        format!(
            "test.toml:{}:1: rule usability.REJECTED.GLARE: code \"glare-ish\" is not SCREAMING_SNAKE_CASE",
            line(1)
        )
    );
}

fn errors_of_code(code: &str) -> String {
    errors(&format!(
        "[[rule]]\ncapability = \"usability\"\ntype = \"REJECTED\"\nlabel = \"GLARE\"\noutcome = \"REVIEW\"\ncode = \"{code}\"\nmessage = \"m\"\n"
    ))
}

#[test]
fn the_outcome_order_decides_which_root_cause_wins() {
    let rules = r#"
[[rule]]
capability = "usability"
type = "REJECTED"
label = "GLARE"
outcome = "RETRY"
code = "GLARE"
message = "m"
user_message = "u"
[[rule]]
capability = "liveness"
type = "REJECTED"
label = "BLACK_WHITE"
outcome = "REVIEW"
code = "LIVENESS"
message = "m"
"#;
    let body = body(GLARE, "DEU", ADULT, VALID).replace(
        r#""extraction":"#,
        r#""liveness": [{"decision": {"type": "REJECTED", "details": {"label": "BLACK_WHITE"}}}], "extraction":"#,
    );
    let retry_worse = policy(rules);
    assert_eq!(decide(&retry_worse, &body).0, Outcome::Retry);
    let text = format!("{BASE}{rules}").replace(
        "version = \"1\"",
        "version = \"1\"\noutcome_order = [\"APPROVE\", \"RETRY\", \"REVIEW\", \"DECLINE\"]",
    );
    let review_worse = load_policy("test.toml", &text).expect("valid");
    assert_eq!(
        decide(&review_worse, &body),
        (
            Outcome::Review,
            vec!["LIVENESS".to_owned(), "GLARE".to_owned()]
        )
    );
}

const CHECKS: &str = r#"
[document.expiring]
within_days = 30
outcome = "REVIEW"
code = "DOCUMENT_EXPIRING_SOON"
message = "m"
[document.country]
deny = ["PRK", "IRN"]
outcome = "DECLINE"
code = "COUNTRY_NOT_ACCEPTED"
message = "m"
[document.type]
allow = ["PASSPORT", "ID_CARD"]
outcome = "RETRY"
code = "DOCUMENT_TYPE_NOT_ACCEPTED"
message = "m"
user_message = "Please use a passport or an identity card."
[age.minimum]
years = 18
outcome = "DECLINE"
code = "UNDERAGE"
message = "m"
[[risk]]
min = 90
outcome = "DECLINE"
code = "RISK_HIGH"
message = "m"
[[risk]]
min = 50
max = 89
outcome = "REVIEW"
code = "RISK_MEDIUM"
message = "m"
"#;

#[test]
fn checks_fire_on_their_boundaries_as_of_completed_at() {
    let policy = policy(CHECKS);
    let passed = ("usability", "PASSED", "OK");
    let codes = |country: &str, birth: &str, expiry: &str| {
        decide(&policy, &body(passed, country, birth, expiry)).1
    };
    // Completed 2026-06-15, score 55 (medium band), top-level WARNING.
    assert_eq!(codes("DEU", ADULT, VALID), ["RISK_MEDIUM"]);
    // Expiring on day 30 fires; day 31 does not; already expired is not "expiring".
    assert!(codes("DEU", ADULT, "2026-07-15").contains(&"DOCUMENT_EXPIRING_SOON".to_owned()));
    assert!(!codes("DEU", ADULT, "2026-07-16").contains(&"DOCUMENT_EXPIRING_SOON".to_owned()));
    assert!(!codes("DEU", ADULT, "2026-06-14").contains(&"DOCUMENT_EXPIRING_SOON".to_owned()));
    // 18 on the day of completion is old enough; a day younger is not.
    assert!(!codes("DEU", "2008-06-15", VALID).contains(&"UNDERAGE".to_owned()));
    assert_eq!(codes("DEU", "2008-06-16", VALID)[0], "UNDERAGE");
    assert_eq!(codes("PRK", ADULT, VALID)[0], "COUNTRY_NOT_ACCEPTED");
    let licence = body(passed, "DEU", ADULT, VALID).replace("PASSPORT", "DRIVING_LICENSE");
    assert!(
        decide(&policy, &licence)
            .1
            .contains(&"DOCUMENT_TYPE_NOT_ACCEPTED".to_owned())
    );
}

#[test]
fn overlapping_risk_bands_and_empty_lists_are_refused() {
    let message = errors(
        "[[risk]]\nmin = 50\noutcome = \"REVIEW\"\ncode = \"A\"\nmessage = \"m\"\n[[risk]]\nmin = 80\nmax = 100\noutcome = \"DECLINE\"\ncode = \"B\"\nmessage = \"m\"\n",
    );
    assert_eq!(
        message,
        format!(
            "test.toml:{}:1: risk bands risk[50..=] and risk[80..=100] overlap: a score may fall in one band only",
            line(6)
        )
    );
    let message = errors(
        "[[rule]]\ncapability = \"usability\"\ntype = \"REJECTED\"\nlabel = \"GLARE\"\nwhen = { country = [] }\noutcome = \"REVIEW\"\ncode = \"A\"\nmessage = \"m\"\n",
    );
    assert_eq!(
        message,
        format!(
            "test.toml:{}:1: rule usability.REJECTED.GLARE[country=]: country is an empty list, which nothing matches",
            line(1)
        )
    );
}

/// A body where usability rejected the ID and screening then failed validation.
const GLARE_THEN_SCREENING: &str = r#"{"workflow": {"id": "w", "status": "PROCESSED"},
    "decision": {"type": "REJECTED"},
    "capabilities": {
      "usability": [{"decision": {"type": "REJECTED", "details": {"label": "GLARE"}}}],
      "watchlistScreening": [{"decision": {"type": "NOT_EXECUTED", "details": {"label": "VALIDATION_FAILED"}}}]
    }}"#;

#[test]
fn a_policy_without_cascade_settings_uses_jumios_documented_graph() {
    // BASE says nothing about cascades: screening that failed validation
    // after a usability rejection is its consequence.
    let base = policy("");
    let workflow = parse_workflow_json(GLARE_THEN_SCREENING).expect("parses");
    let decision = evaluate(&workflow, &base).expect("final");
    let roots: Vec<&str> = decision
        .reasons
        .iter()
        .filter(|reason| reason.root_cause)
        .map(|reason| reason.label)
        .collect();
    assert_eq!(roots, ["GLARE"]);
    // Without VALIDATION_FAILED among the input labels, it is a root cause.
    let strict = policy("[cascade]\ninput_labels = [\"PRECONDITION_NOT_FULFILLED\"]\n");
    let decision = evaluate(&workflow, &strict).expect("final");
    assert_eq!(decision.reasons.iter().filter(|r| r.root_cause).count(), 2);
    // Or without screening in the graph.
    let no_graph = policy("[cascade.upstream]\nliveness = [\"usability\"]\n");
    let decision = evaluate(&workflow, &no_graph).expect("final");
    assert_eq!(decision.reasons.iter().filter(|r| r.root_cause).count(), 2);
}

#[test]
fn cascade_settings_are_checked_against_the_catalogue_with_their_position() {
    let message = errors(
        "[cascade]\ninput_labels = [\"PRECONDITON_NOT_FULFILLED\"]\n[cascade.upstream]\nwatchlistScreening = [\"extracton\"]\ndatachecks = [\"usability\"]\n",
    );
    assert_eq!(
        message,
        [
            format!(
                "test.toml:{}:17: label \"PRECONDITON_NOT_FULFILLED\" is not a NOT_EXECUTED label of any capability (did you mean PRECONDITION_NOT_FULFILLED?); set `uncatalogued = true` in [cascade] if Jumio added it after verdict's catalogue",
                line(2)
            ),
            format!(
                "test.toml:{}:14: [cascade.upstream]: unknown capability \"datachecks\" (did you mean dataChecks?); set `uncatalogued = true` in [cascade] if Jumio added it after verdict's catalogue",
                line(5)
            ),
            format!(
                "test.toml:{}:23: [cascade.upstream]: unknown capability \"extracton\" (did you mean extraction?); set `uncatalogued = true` in [cascade] if Jumio added it after verdict's catalogue",
                line(4)
            ),
        ]
        .join("\n")
    );
    let message = errors("[cascade.upstream]\nliveness = [\"usability\", \"liveness\"]\n");
    assert_eq!(
        message,
        format!(
            "test.toml:{}:12: [cascade.upstream] liveness cannot depend on itself",
            line(2)
        )
    );
    // Jumio's new labels and capabilities are allowed when declared so.
    policy(
        "[cascade]\nuncatalogued = true\ninput_labels = [\"INPUT_GONE\"]\n[cascade.upstream]\nselfieAgeCheck = [\"usability\"]\n",
    );
}

#[test]
fn conditions_on_the_finding_decide_by_credential_and_by_what_ran_downstream() {
    let policy = policy(
        "[[rule]]\ncapability = \"usability\"\ntype = \"NOT_EXECUTED\"\nlabel = \"NOT_UPLOADED\"\nwhen = { credential = [\"FACEMAP\"], dependents_ran = true }\noutcome = \"APPROVE\"\ncode = \"NOT_NEEDED\"\nmessage = \"m\"\n",
    );
    let body = |liveness_type: &str, liveness_label: &str| {
        format!(
            r#"{{"workflow": {{"id": "w", "status": "PROCESSED"}},
                "capabilities": {{
                  "usability": [{{"credentials": [{{"category": "FACEMAP"}}],
                                  "decision": {{"type": "NOT_EXECUTED", "details": {{"label": "NOT_UPLOADED"}}}}}}],
                  "liveness": [{{"credentials": [{{"category": "SELFIE"}}, {{"category": "FACEMAP"}}],
                                 "decision": {{"type": "{liveness_type}", "details": {{"label": "{liveness_label}"}}}}}}]
                }}}}"#
        )
    };
    assert_eq!(
        decide(&policy, &body("PASSED", "OK")),
        (Outcome::Approve, vec!["NOT_NEEDED".to_owned()])
    );
    assert_eq!(
        decide(&policy, &body("NOT_EXECUTED", "PRECONDITION_NOT_FULFILLED")),
        (Outcome::Review, vec!["ANY_NOT_EXECUTED".to_owned()])
    );
    let message = errors(
        "[[rule]]\ncapability = \"usability\"\ntype = \"NOT_EXECUTED\"\nlabel = \"NOT_UPLOADED\"\nwhen = { credential = [\"FACE\"] }\noutcome = \"APPROVE\"\ncode = \"NOT_NEEDED\"\nmessage = \"m\"\n",
    );
    assert_eq!(
        message,
        format!(
            "test.toml:{}:1: rule usability.NOT_EXECUTED.NOT_UPLOADED[credential=FACE]: credential \"FACE\" is not a credential category; expected one of ID, SELFIE, FACEMAP, DOCUMENT, DATA",
            line(1)
        )
    );
}

#[test]
fn the_fraud_warning_rule_names_codes_the_policy_gives_and_is_inherited() {
    let message = errors(
        "[retry.fraud_warning]\ncodes = [\"ANY_WARNING\", \"REPEATED_FAEC\"]\noutcome = \"REVIEW\"\ncode = \"SPARED\"\nmessage = \"m\"\n",
    );
    assert_eq!(
        message,
        format!(
            "test.toml:{}:1: rule retry.fraud_warning: no rule of this policy gives the code \"REPEATED_FAEC\"",
            line(1)
        )
    );
    let message =
        errors("[retry.fraud_warning]\noutcome = \"REVIEW\"\ncode = \"SPARED\"\nmessage = \"m\"\n");
    assert_eq!(
        message,
        format!(
            "test.toml:{}:1: [retry.fraud_warning] needs `codes`",
            line(1)
        )
    );
    let message = errors(
        "[document.expiring]\nwithin_days = 3\ncodes = [\"X\"]\noutcome = \"REVIEW\"\ncode = \"SOON\"\nmessage = \"m\"\n",
    );
    assert_eq!(
        message,
        format!(
            "test.toml:{}:1: [document.expiring] takes no `codes`",
            line(1)
        )
    );
    // BASE has no such rule: a RETRY stays a RETRY. A policy extending the
    // default inherits the default's.
    assert!(policy("").checks().fraud_warning.is_none());
    let extending = load_policy(
        "ext.toml",
        "extends = \"jumio-default\"\nid = \"ext\"\nversion = \"1\"\n",
    )
    .unwrap_or_else(|errors| panic!("{errors}"));
    assert_eq!(
        extending
            .checks()
            .fraud_warning
            .as_ref()
            .map(|(_, rule)| rule.action.code.as_str()),
        Some("RETRY_WITH_FRAUD_WARNING")
    );
}

#[test]
fn the_digest_ignores_formatting_but_not_content() {
    let plain = policy("");
    let commented = load_policy(
        "other.toml",
        &format!(
            "# a comment\n\n{}",
            BASE.replace("message = \"m\"", "message   =   \"m\"")
        ),
    )
    .expect("valid");
    assert_eq!(plain.reference().digest, commented.reference().digest);
    let changed =
        load_policy("test.toml", &BASE.replace("ANY_WARNING", "SOME_WARNING")).expect("valid");
    assert_ne!(plain.reference().digest, changed.reference().digest);
}

#[test]
fn closest_ignores_case_and_refuses_far_guesses() {
    let known = ["GLARE", "BLURRED", "PHOTOCOPY"];
    assert_eq!(closest("glare", known.into_iter()), Some("GLARE"));
    assert_eq!(closest("BLURED", known.into_iter()), Some("BLURRED"));
    assert_eq!(closest("HOLOGRAM", known.into_iter()), None);
}

#[test]
fn extending_the_default_replaces_only_the_rules_redefined() {
    let policy = load_policy(
        "ext.toml",
        "extends = \"jumio-default\"\nid = \"ext\"\nversion = \"1\"\n[[rule]]\ncapability = \"imageChecks\"\ntype = \"REJECTED\"\nlabel = \"PUNCHED\"\noutcome = \"APPROVE\"\ncode = \"PUNCHED_OK\"\nmessage = \"m\"\n",
    )
    .unwrap_or_else(|errors| panic!("{errors}"));
    let default = Policy::embedded_default();
    assert_eq!(policy.rules().len(), default.rules().len());
    let facts = crate::policy::Facts::default();
    let code = |capability, label| {
        policy
            .rule_for(capability, DecisionType::Rejected, label, &facts)
            .map(|rule| rule.action.code.clone())
    };
    assert_eq!(
        code("imageChecks", "PUNCHED").as_deref(),
        Some("PUNCHED_OK")
    );
    assert_eq!(
        code("usability", "GLARE").as_deref(),
        Some("IMAGE_QUALITY_GLARE")
    );
    let session_expired = |policy: &Policy| {
        policy
            .transaction_rules()
            .get(TransactionRule::SessionExpired)
            .action
            .clone()
    };
    assert_eq!(session_expired(&policy), session_expired(&default));
    assert_ne!(policy.reference().digest, default.reference().digest);
}

#[test]
fn without_extends_every_table_is_required_and_only_the_default_can_be_extended() {
    let message = match load_policy("bare.toml", "id = \"bare\"\nversion = \"1\"\n") {
        Ok(_) => panic!("incomplete policy accepted"),
        Err(errors) => errors.0[0].to_string(),
    };
    assert_eq!(
        message,
        "bare.toml:1:6: missing table [status.SESSION_EXPIRED] (or extend the default: extends = \"jumio-default\")"
    );
    let message = match load_policy(
        "x.toml",
        "extends = \"acme\"\nid = \"x\"\nversion = \"1\"\n",
    ) {
        Ok(_) => panic!("unknown base accepted"),
        Err(errors) => errors.0[0].to_string(),
    };
    assert_eq!(
        message,
        "x.toml:1:11: a policy can extend only the embedded \"jumio-default\", not \"acme\""
    );
}

#[test]
fn the_worked_example_loads_and_passes_its_golden_cases() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/examples/acme-eu.toml");
    let loaded =
        crate::authoring::files::load_policy_file(&path).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(loaded.policy.reference().id, "acme-eu");
    assert_eq!(loaded.golden.map(|report| report.cases.len()), Some(13));
    let report = crate::authoring::check::check(&loaded.policy);
    assert!(report.fall_throughs.is_empty() && report.shadowed.is_empty());
}

/// A policy written before `[cascade]`, `[retry.fraud_warning]` and
/// `[passed.uncatalogued]` existed says nothing of them, and keeps the digest
/// it had then (printed by `verdict eval` on the commit before they were
/// added).
#[test]
fn a_policy_that_names_none_of_the_newer_settings_keeps_its_digest() {
    assert_eq!(
        policy("").reference().digest,
        "sha256:13214df31d6e7a25ffdff828101f1b8c125fa98725f21965b594c5dc5d03b5a2"
    );
}

/// The digest is the policy's identity in every decision (and, later, in the
/// ledger): reorganising the code must not change it, only a change of
/// content may. The default's digest changes with its content (and its
/// version with it); acme-eu extends the default, so its content includes
/// every inherited rule and its digest moves when a default rule is added.
#[test]
fn digests_of_the_shipped_policies_are_pinned() {
    assert_eq!(
        Policy::embedded_default().reference().digest,
        "sha256:cecc5629663313d71d9a30e27f956a719a653a2904061c57f971697367bb3d81"
    );
    let example = include_str!("../../../policies/examples/acme-eu.toml");
    let policy = load_policy("acme-eu.toml", example).unwrap_or_else(|errors| panic!("{errors}"));
    assert_eq!(
        policy.reference().digest,
        "sha256:bf76ee683dfb583e5ec2cd0164d406b0e70875490738653c9b9af18f9377e919"
    );
}
