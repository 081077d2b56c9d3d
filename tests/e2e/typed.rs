//! Evaluate with the typed `workflow` input: the same content as the JSON body
//! must give the same decision.

use serde_json::Value;
use verdict_api::v1::{self as pb, evaluate_request};

use crate::support::{TestServer, evaluate_json, fixture, violated_field, workflow_fixtures};

fn decision_type(name: &str) -> i32 {
    (match name {
        "PASSED" => pb::DecisionType::Passed,
        "WARNING" => pb::DecisionType::Warning,
        "REJECTED" => pb::DecisionType::Rejected,
        "NOT_EXECUTED" => pb::DecisionType::NotExecuted,
        other => panic!("fixture uses decision type {other}"),
    }) as i32
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn body_has_an_entry_without_a_decision_type(body: &str) -> bool {
    let json: Value = serde_json::from_str(body).expect("fixture is JSON");
    json["capabilities"]
        .as_object()
        .into_iter()
        .flat_map(|capabilities| capabilities.values())
        .filter_map(Value::as_array)
        .flatten()
        .any(|entry| entry["decision"]["type"].is_null())
}

/// The typed message a client holding this body would build. Written here,
/// independently of the server's JSON parser.
pub(crate) fn typed_from_json(body: &str) -> pb::WorkflowResult {
    let json: Value = serde_json::from_str(body).expect("fixture is JSON");
    let status = match json["workflow"]["status"].as_str() {
        Some("PROCESSED") => pb::WorkflowStatus::Processed,
        Some("TOKEN_EXPIRED") => pb::WorkflowStatus::TokenExpired,
        Some("SESSION_EXPIRED") => pb::WorkflowStatus::SessionExpired,
        other => panic!("fixture status {other:?}"),
    };
    let capabilities = json["capabilities"]
        .as_object()
        .expect("capabilities")
        .iter()
        .map(|(name, entries)| pb::Capability {
            name: name.clone(),
            entries: entries
                .as_array()
                .expect("array")
                .iter()
                .map(|entry| {
                    let data = &entry["data"];
                    pb::CapabilityEntry {
                        id: text(&entry["id"]),
                        decision_type: decision_type(
                            entry["decision"]["type"].as_str().expect("type"),
                        ),
                        label: text(&entry["decision"]["details"]["label"]),
                        credential_categories: entry["credentials"]
                            .as_array()
                            .map(|credentials| {
                                credentials.iter().map(|c| text(&c["category"])).collect()
                            })
                            .unwrap_or_default(),
                        data: match name.as_str() {
                            "extraction" => Some(pb::CapabilityData {
                                r#type: text(&data["type"]),
                                sub_type: text(&data["subType"]),
                                issuing_country: text(&data["issuingCountry"]),
                                expiry_date: text(&data["expiryDate"]),
                                date_of_birth: text(&data["dateOfBirth"]),
                                ..Default::default()
                            }),
                            "imageChecks" => Some(pb::CapabilityData {
                                face_search_findings: data["faceSearchFindings"].as_object().map(
                                    |search| pb::FaceSearchFindings {
                                        status: search.get("status").map(text).unwrap_or_default(),
                                        findings: search
                                            .get("findings")
                                            .and_then(Value::as_array)
                                            .map(|ids| ids.iter().map(text).collect())
                                            .unwrap_or_default(),
                                    },
                                ),
                                ..Default::default()
                            }),
                            "watchlistScreening" => Some(pb::CapabilityData {
                                search_results: data["searchResults"].as_u64(),
                                ..Default::default()
                            }),
                            _ => None,
                        },
                    }
                })
                .collect(),
        })
        .collect();
    pb::WorkflowResult {
        workflow: Some(pb::Workflow {
            id: text(&json["workflow"]["id"]),
            status: status as i32,
            definition_key: text(&json["workflow"]["definitionKey"]),
        }),
        account_id: text(&json["account"]["id"]),
        completed_at: json["completedAt"]
            .as_str()
            .map(|at| at.parse().expect("RFC 3339 timestamp")),
        decision: Some(pb::TopLevelDecision {
            r#type: decision_type(json["decision"]["type"].as_str().expect("top-level type")),
            label: text(&json["decision"]["details"]["label"]),
            risk_score: json["decision"]["risk"]["score"].as_f64(),
        }),
        capabilities,
    }
}

#[tokio::test]
async fn typed_input_decides_exactly_like_the_json_body() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    for name in workflow_fixtures() {
        let body = fixture(&name);
        // The typed form states every entry's decision type; a body with an
        // entry that has none has no typed equivalent.
        if body_has_an_entry_without_a_decision_type(&body) {
            continue;
        }
        let from_json = evaluate_json(&mut client, body.clone()).await;
        let request = pb::EvaluateRequest {
            evidence: None,
            policy_id: String::new(),
            explain: false,
            input: Some(evaluate_request::Input::Workflow(typed_from_json(&body))),
        };
        let from_typed = client
            .evaluate(request)
            .await
            .expect("typed evaluate")
            .into_inner()
            .decision;
        assert_eq!(from_typed, Some(from_json), "{name}");
    }
}

#[tokio::test]
async fn typed_dates_are_validated() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let mut typed = typed_from_json(&fixture("01-clean-pass-score-0.json"));
    let extraction = typed
        .capabilities
        .iter_mut()
        .find(|c| c.name == "extraction")
        .expect("extraction");
    extraction.entries[0]
        .data
        .as_mut()
        .expect("data")
        .expiry_date = "15/06/2029".to_owned();
    let index = typed
        .capabilities
        .iter()
        .position(|c| c.name == "extraction")
        .expect("extraction");
    let request = pb::EvaluateRequest {
        evidence: None,
        policy_id: String::new(),
        explain: false,
        input: Some(evaluate_request::Input::Workflow(typed)),
    };
    let status = client.evaluate(request).await.expect_err("bad date");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    let details = crate::support::details(&status);
    assert_eq!(
        violated_field(&details),
        format!("workflow.capabilities[{index}].entries[0].data.expiry_date")
    );
}
