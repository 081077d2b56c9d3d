//! The facts record of every payload of `tests/fixtures/`: deciding again
//! from the record gives the same decision and the same explanation under
//! each shipped policy, and the record carries none of the payload's
//! personal data.

#![allow(
    clippy::expect_used,
    reason = "a test that cannot go on should fail loudly"
)]

use std::sync::LazyLock;

use serde_json::Value;
use verdict_core::{
    Evidence, Policy, WorkflowResult, evaluate, explain, facts_from_json, facts_to_json,
    load_policy, parse_workflow_json,
};

/// (file name, body) of every fixture, by name.
fn corpus() -> Vec<(String, String)> {
    let dir = format!("{}/../../tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut payloads: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("the fixtures")
        .map(|entry| {
            let path = entry.expect("an entry").path();
            let body = std::fs::read_to_string(&path).expect("readable");
            let name = path.file_name().expect("a name").to_string_lossy().into();
            (name, body)
        })
        .collect();
    payloads.sort();
    assert!(payloads.len() >= 29, "the corpus is missing");
    payloads
}

/// The shipped policies: the embedded default and the worked example.
static POLICIES: LazyLock<[(&str, Policy); 2]> = LazyLock::new(|| {
    let acme = load_policy(
        "acme-eu.toml",
        include_str!("../policies/examples/acme-eu.toml"),
    )
    .expect("the worked example loads");
    [("default", Policy::embedded_default()), ("acme-eu", acme)]
});

/// Decides `workflow` and the workflow read back from its facts record with
/// every shipped policy, and requires the same decision (or the same
/// not-final error) and the same explanation. Returns the codes of the
/// decisions' reasons.
fn decides_the_same_from_its_facts(name: &str, workflow: &WorkflowResult<'_>) -> Vec<String> {
    let mut codes = Vec::new();
    let json = facts_to_json(workflow, &Evidence::default());
    let (replayed, _) = facts_from_json(&json).unwrap_or_else(|error| panic!("{name}: {error}"));
    assert_eq!(
        &replayed, workflow,
        "{name}: the record reads back as itself"
    );
    for (policy_name, policy) in POLICIES.iter() {
        assert_eq!(
            evaluate(&replayed, policy),
            evaluate(workflow, policy),
            "{name} under {policy_name}"
        );
        assert_eq!(
            explain(&replayed, policy),
            explain(workflow, policy),
            "{name} under {policy_name}: explanation"
        );
        if let Ok(decision) = evaluate(workflow, policy) {
            codes.extend(decision.reasons.iter().map(|reason| reason.code.to_owned()));
        }
    }
    codes
}

#[test]
fn every_payload_decides_the_same_from_its_facts_under_every_shipped_policy() {
    let mut decided = 0;
    for (name, body) in corpus() {
        // A body that does not parse has no facts to record.
        let Ok(workflow) = parse_workflow_json(&body) else {
            continue;
        };
        decides_the_same_from_its_facts(&name, &workflow);
        decided += 1;
    }
    assert!(decided >= 25, "only {decided} payloads parsed");
}

/// `body` with every `key` whose value is a string set to `value`.
fn with_string(body: &str, key: &str, value: &str) -> String {
    fn set(node: &mut Value, key: &str, value: &str) {
        match node {
            Value::Object(map) => {
                for (name, child) in map.iter_mut() {
                    if name == key && child.is_string() {
                        *child = Value::String(value.to_owned());
                    } else {
                        set(child, key, value);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| set(item, key, value)),
            _ => {}
        }
    }
    let mut tree: Value = serde_json::from_str(body).expect("JSON");
    set(&mut tree, key, value);
    tree.to_string()
}

#[test]
fn documents_expiring_and_holders_coming_of_age_around_completion_decide_the_same() {
    // The corpus' documents are far from expiry and their holders adults, so
    // the date checks barely fire there: move the dates to either side of
    // each edge (completion on 2025-03-04 in the corpus; acme-eu's 30 days'
    // notice and minimum age of 18, the default's expired and born-after
    // checks).
    let mut codes = Vec::new();
    for (name, body) in corpus() {
        if !body.contains("\"dateOfBirth\"") || parse_workflow_json(&body).is_err() {
            continue;
        }
        for expiry in [
            "2025-03-03",
            "2025-03-04",
            "2025-03-05",
            "2025-04-03",
            "2025-04-04",
        ] {
            for birth in [
                "2007-03-04",
                "2007-03-05",
                "2025-03-04",
                "2025-03-05",
                "1960-02-29",
            ] {
                let body = with_string(
                    &with_string(&body, "expiryDate", expiry),
                    "dateOfBirth",
                    birth,
                );
                let workflow = parse_workflow_json(&body).expect("still a workflow result");
                let name = format!("{name} ({expiry}, {birth})");
                codes.extend(decides_the_same_from_its_facts(&name, &workflow));
            }
        }
    }
    for check in [
        "DOCUMENT_EXPIRED",
        "DOCUMENT_EXPIRING_SOON",
        "UNDERAGE",
        "DATE_OF_BIRTH_AFTER_COMPLETION",
    ] {
        assert!(
            codes.iter().any(|code| code == check),
            "{check} never fired"
        );
    }
}

/// Personal data the fixtures carry, spelled out (as in tests/e2e/privacy.rs,
/// with the other name and the postal code and issuing dates).
const PERSONAL: &[&str] = &[
    "JORDAN",
    "EXAMPLEMAN",
    "MUSTERPERSON",
    "ALEX",
    "1990-06-15",
    "1988-02-29",
    "2021-06-10",
    "2021-10-01",
    "X0000123",
    "P0000000",
    "SAMPLE ST",
    "SPRINGFIELD",
    "90000",
    "http",
];

/// The keys of a workflow result whose values are personal data or links to
/// it (images, screening results): names, dates, numbers, addresses, URLs.
const PERSONAL_KEYS: &[&str] = &[
    "firstName",
    "lastName",
    "dateOfBirth",
    "documentNumber",
    "issuingDate",
    // Of the address: its country is the issuing country's, which policies
    // read, and two-letter states turn up inside labels.
    "formattedAddress",
    "line1",
    "city",
    "postalCode",
    "href",
    "searchResultUrl",
];

/// Every string under a [`PERSONAL_KEYS`] key of `node`.
fn personal_values(node: &Value, personal: bool, found: &mut Vec<String>) {
    match node {
        Value::String(text) if personal => found.push(text.clone()),
        Value::Object(map) => {
            for (key, child) in map {
                personal_values(
                    child,
                    personal || PERSONAL_KEYS.contains(&key.as_str()),
                    found,
                );
            }
        }
        Value::Array(items) => {
            for item in items {
                personal_values(item, personal, found);
            }
        }
        _ => {}
    }
}

#[test]
fn no_payload_leaves_personal_data_in_its_facts() {
    let mut checked = 0;
    for (name, body) in corpus() {
        let Ok(workflow) = parse_workflow_json(&body) else {
            continue;
        };
        let facts = facts_to_json(&workflow, &Evidence::default());
        let mut personal: Vec<String> = PERSONAL.iter().map(|text| (*text).to_owned()).collect();
        personal_values(
            &serde_json::from_str(&body).expect("JSON"),
            false,
            &mut personal,
        );
        for value in &personal {
            assert!(
                !facts.contains(value.as_str()),
                "{name}: {value} in {facts}"
            );
        }
        for key in ["birth", "expiry_date", "url"] {
            assert!(!facts.contains(key), "{name}: {key} in {facts}");
        }
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} payloads parsed");
}

#[test]
fn a_payload_with_a_document_records_what_the_rules_read_of_it() {
    // 01: completed 2025-03-04T10:20:05.871Z, a driving licence expiring
    // 2029-06-15 of someone born 1990-06-15.
    let body = std::fs::read_to_string(format!(
        "{}/../../tests/fixtures/01-clean-pass-score-0.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture 01");
    let workflow = parse_workflow_json(&body).expect("parses");
    let facts: Value =
        serde_json::from_str(&facts_to_json(&workflow, &Evidence::default())).expect("JSON");
    // Decided without evidence: the version-1 record.
    assert_eq!(facts["v"], 1);
    let capabilities = facts["workflow"]["capabilities"]
        .as_array()
        .expect("capabilities");
    let extraction = capabilities
        .iter()
        .find(|capability| capability["name"] == "extraction")
        .expect("extraction");
    let data = &extraction["entries"][0]["data"];
    assert_eq!(
        facts["workflow"]["completed_at"],
        "2025-03-04T10:20:05.871Z"
    );
    assert_eq!(data["days_to_expiry"], 1564, "{data}");
    assert_eq!(data["age_years"], 34, "{data}");
    assert_eq!(data["issuing_country"], "USA", "{data}");
}
