//! Policy files over gRPC: choosing a policy by id, ListPolicies/GetPolicy,
//! explain, and reloads — refused when broken or failing their golden cases,
//! and never disturbing requests, even hundreds of times under load.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tonic::Code;
use verdict_api::v1::{self as pb, rule_considered::Verdict};
use verdict_core::policy::default::DEFAULT_POLICY_TOML;
use verdict_server::PolicyStore;

use crate::support::{TestServer, batch_evaluate, batch_item, details, fixture, json_request};

/// The default policy as `acme` at `version`, where a punched document is
/// accepted, and US documents with glare are declined.
fn acme(version: &str) -> String {
    DEFAULT_POLICY_TOML
        .replace("id = \"jumio-default\"", "id = \"acme\"")
        .replace("version = \"1.3.0\"", &format!("version = \"{version}\""))
        .replace(
            "label = \"PUNCHED\"\noutcome = \"REVIEW\"\ncode = \"DOCUMENT_PUNCHED\"",
            "label = \"PUNCHED\"\noutcome = \"APPROVE\"\ncode = \"PUNCHED_ACCEPTED\"",
        )
        + r#"
[[rule]]
capability = "usability"
type = "REJECTED"
label = "GLARE"
when = { country = ["USA"] }
outcome = "DECLINE"
code = "GLARE_US"
message = "glare on a US document"
"#
}

/// The codes of the root-cause reasons, in decision order.
fn codes(decision: &pb::Decision) -> Vec<&str> {
    decision
        .reasons
        .iter()
        .filter(|reason| reason.root_cause)
        .map(|reason| reason.code.as_str())
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write a policy file");
}

async fn evaluate(
    server: &TestServer,
    policy_id: &str,
    body: String,
    explain: bool,
) -> Result<pb::Decision, tonic::Status> {
    let mut client = server.client().await;
    let mut request = json_request(body);
    request.policy_id = policy_id.to_owned();
    request.explain = explain;
    client
        .evaluate(request)
        .await
        .map(|response| response.into_inner().decision.expect("a decision"))
}

#[tokio::test]
async fn requests_choose_a_policy_file_by_id_and_the_default_stays() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "acme.toml", &acme("2.0.0"));
    let store = Arc::new(PolicyStore::from_dir(dir.path(), None, false).expect("loads"));
    let server = TestServer::start_with_policies(store).await;
    let punched = fixture("04-imagechecks-rejected-punched.json");

    let decision = evaluate(&server, "acme", punched.clone(), false)
        .await
        .expect("decided");
    // Accepted by acme; Jumio's top-level REJECTED still floors it at REVIEW.
    assert_eq!(codes(&decision), ["TOP_LEVEL_REJECTED", "PUNCHED_ACCEPTED"]);
    let policy = decision.policy.expect("policy ref");
    assert_eq!(
        (policy.id.as_str(), policy.version.as_str()),
        ("acme", "2.0.0")
    );
    assert!(policy.digest.starts_with("sha256:"));

    let decision = evaluate(&server, "", punched, false)
        .await
        .expect("decided");
    assert_eq!(codes(&decision)[0], "DOCUMENT_PUNCHED");
    assert_eq!(decision.policy.expect("policy ref").id, "jumio-default");
}

#[tokio::test]
async fn list_and_get_policies_say_what_is_loaded_from_where() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = acme("2.0.0");
    write(dir.path(), "acme.toml", &text);
    let store = Arc::new(PolicyStore::from_dir(dir.path(), Some("acme"), false).expect("loads"));
    let server = TestServer::start_with_policies(store).await;
    let mut client = server.client().await;

    let list = client
        .list_policies(pb::ListPoliciesRequest {})
        .await
        .expect("listed")
        .into_inner()
        .policies;
    let summary: Vec<(&str, &str, bool)> = list
        .iter()
        .map(|p| (p.id.as_str(), p.version.as_str(), p.is_default))
        .collect();
    assert_eq!(
        summary,
        [("acme", "2.0.0", true), ("jumio-default", "1.3.0", false)]
    );
    assert_eq!(
        list[0].source,
        dir.path().join("acme.toml").display().to_string()
    );
    assert_eq!(list[1].source, "embedded");
    assert!(
        list.iter()
            .all(|p| p.loaded_at.is_some() && p.rule_count > 100)
    );

    let got = client
        .get_policy(pb::GetPolicyRequest::default())
        .await
        .expect("the default")
        .into_inner();
    assert_eq!(got.policy.expect("info").id, "acme");
    assert_eq!(got.content, text);

    let status = client
        .get_policy(pb::GetPolicyRequest {
            id: "nope".to_owned(),
            ..Default::default()
        })
        .await
        .expect_err("unknown");
    assert_eq!(status.code(), Code::NotFound);
    let details = details(&status);
    let resource = details.resource_info().expect("resource info");
    assert_eq!(
        (
            resource.resource_type.as_str(),
            resource.resource_name.as_str()
        ),
        ("verdict.v1.Policy", "nope")
    );
}

#[tokio::test]
async fn explain_shows_each_rule_considered_and_why_and_is_off_by_default() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "acme.toml", &acme("2.0.0"));
    let store = Arc::new(PolicyStore::from_dir(dir.path(), None, false).expect("loads"));
    let server = TestServer::start_with_policies(store).await;
    // A German document with glare: the US-only rule is considered first and
    // does not match; the plain GLARE rule decides; usability.REJECTED.* and
    // the fallback also hold but are outranked.
    let glare = fixture("02-usability-rejected-blurred.json").replace("\"BLURRED\"", "\"GLARE\"");
    assert!(glare.contains("\"GLARE\""));

    let plain = evaluate(&server, "acme", glare.clone(), false)
        .await
        .expect("decided");
    assert!(plain.explanations.is_empty());

    let explained = evaluate(&server, "acme", glare, true)
        .await
        .expect("decided");
    let finding = explained
        .explanations
        .iter()
        .find(|finding| finding.label == "GLARE")
        .expect("the GLARE finding is explained");
    let rules: Vec<(&str, Verdict, &str)> = finding
        .rules
        .iter()
        .map(|rule| (rule.rule_id.as_str(), rule.verdict(), rule.why.as_str()))
        .collect();
    assert_eq!(rules[0].0, "usability.REJECTED.GLARE[country=USA]");
    assert_eq!(rules[0].1, Verdict::NotMatched);
    assert!(rules[0].2.starts_with("country ") && rules[0].2.ends_with(" is not one of USA"));
    assert_eq!(
        rules[1],
        (
            "usability.REJECTED.GLARE",
            Verdict::Chosen,
            "most specific rule for this finding"
        )
    );
    assert_eq!(
        rules[2..]
            .iter()
            .map(|(id, verdict, _)| (*id, *verdict))
            .collect::<Vec<_>>(),
        [
            ("usability.REJECTED.*", Verdict::Outranked),
            ("*.REJECTED.*", Verdict::Outranked)
        ]
    );
    // The reason itself names the chosen rule.
    let reason = explained
        .reasons
        .iter()
        .find(|reason| reason.label == "GLARE")
        .expect("reason");
    assert_eq!(reason.rule_id, "usability.REJECTED.GLARE");
}

#[tokio::test]
async fn explain_names_the_upstream_finding_each_consequence_is_attributed_to() {
    // The ID had glare; screening then reports VALIDATION_FAILED and the other
    // ID checks PRECONDITION_NOT_FULFILLED: each is attributed to the glare.
    let server = TestServer::start().await;
    let body = fixture("11-usability-rejected-screening-validation-failed.json");
    let explained = evaluate(&server, "", body, true).await.expect("decided");
    // The id of the usability entry of the ID in that payload.
    const GLARE_ENTRY: &str = "96f6e174-8aad-528e-95bb-0c34e04243dd";
    // (capability, label, the upstream label and entry it is attributed to)
    type Attribution<'a> = (&'a str, &'a str, Option<(&'a str, &'a str)>);
    let attributed: Vec<Attribution<'_>> = explained
        .explanations
        .iter()
        .map(|finding| {
            (
                finding.capability.as_str(),
                finding.label.as_str(),
                finding
                    .caused_by
                    .as_ref()
                    .map(|upstream| (upstream.label.as_str(), upstream.entry_id.as_str())),
            )
        })
        .collect();
    assert_eq!(
        attributed,
        [
            ("usability", "GLARE", None),
            (
                "similarity",
                "PRECONDITION_NOT_FULFILLED",
                Some(("GLARE", GLARE_ENTRY))
            ),
            (
                "imageChecks",
                "PRECONDITION_NOT_FULFILLED",
                Some(("GLARE", GLARE_ENTRY))
            ),
            (
                "extraction",
                "PRECONDITION_NOT_FULFILLED",
                Some(("GLARE", GLARE_ENTRY))
            ),
            (
                "dataChecks",
                "PRECONDITION_NOT_FULFILLED",
                Some(("GLARE", GLARE_ENTRY))
            ),
            (
                "watchlistScreening",
                "VALIDATION_FAILED",
                Some(("GLARE", GLARE_ENTRY))
            ),
        ]
    );
    let screening = explained
        .reasons
        .iter()
        .find(|reason| reason.capability == "watchlistScreening")
        .expect("reported");
    assert!(!screening.root_cause);
}

#[tokio::test]
async fn a_broken_or_failing_policy_is_refused_and_the_previous_version_serves() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "acme.toml", &acme("1.0.0"));
    let store = Arc::new(PolicyStore::from_dir(dir.path(), None, false).expect("loads"));
    let server = TestServer::start_with_policies(Arc::clone(&store)).await;
    let punched = fixture("04-imagechecks-rejected-punched.json");
    let version = |decision: pb::Decision| decision.policy.expect("policy").version;

    // A typo: refused with its line, 1.0.0 keeps serving.
    write(
        dir.path(),
        "acme.toml",
        &acme("1.1.0").replace("label = \"PUNCHED\"", "label = \"PUNCHD\""),
    );
    let report = store.reload();
    assert_eq!(report.loaded, Vec::<(String, String)>::new());
    assert_eq!(report.failed.len(), 1);
    assert!(
        report.failed[0].1.contains(
            "label \"PUNCHD\" is not a REJECTED label of imageChecks (did you mean PUNCHED?)"
        ),
        "{}",
        report.failed[0].1
    );
    let decision = evaluate(&server, "acme", punched.clone(), false)
        .await
        .expect("decided");
    assert_eq!(version(decision), "1.0.0");
    // ListPolicies says the serving 1.0.0 is not what the file says now, and why.
    let mut client = server.client().await;
    let listed = client
        .list_policies(pb::ListPoliciesRequest {})
        .await
        .expect("listed")
        .into_inner();
    let acme_info = listed
        .policies
        .iter()
        .find(|policy| policy.id == "acme")
        .expect("acme listed");
    assert_eq!(acme_info.version, "1.0.0");
    assert!(acme_info.load_error.contains("PUNCHD"), "{acme_info:?}");
    assert_eq!(listed.failures.len(), 1);
    assert_eq!(listed.failures[0].id, "acme");

    // Valid, but its golden case fails: refused too.
    write(dir.path(), "acme.toml", &acme("1.2.0"));
    write(
        dir.path(),
        "acme.test.toml",
        "[[case]]\nname = \"punched documents go to an analyst\"\nfindings = [\"imageChecks.REJECTED.PUNCHED\"]\ntop_level = \"PASSED\"\noutcome = \"REVIEW\"\n",
    );
    let report = store.reload();
    assert_eq!(report.failed.len(), 1);
    assert!(
        report.failed[0].1.ends_with(
            "acme.test.toml:1: case \"punched documents go to an analyst\" failed: outcome APPROVE where REVIEW was expected"
        ),
        "{}",
        report.failed[0].1
    );
    let decision = evaluate(&server, "acme", punched.clone(), false)
        .await
        .expect("decided");
    assert_eq!(version(decision), "1.0.0");

    // Fix the expectation: 1.2.0 loads, having passed its case.
    write(
        dir.path(),
        "acme.test.toml",
        "[[case]]\nname = \"punched documents are accepted\"\nfindings = [\"imageChecks.REJECTED.PUNCHED\"]\ntop_level = \"PASSED\"\noutcome = \"APPROVE\"\ncodes = [\"PUNCHED_ACCEPTED\"]\n",
    );
    let report = store.reload();
    assert_eq!(report.loaded, [("acme".to_owned(), "1.2.0".to_owned())]);
    let decision = evaluate(&server, "acme", punched, false)
        .await
        .expect("decided");
    assert_eq!(version(decision), "1.2.0");

    // The file disappears: the policy goes; the default stays.
    std::fs::remove_file(dir.path().join("acme.toml")).expect("remove");
    let report = store.reload();
    assert_eq!(report.removed, ["acme"]);
    let status = evaluate(
        &server,
        "acme",
        fixture("01-clean-pass-score-0.json"),
        false,
    )
    .await
    .expect_err("gone");
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_reloads_under_load_never_fail_a_request() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "acme.toml", &acme("1.0.0"));
    let store = Arc::new(PolicyStore::from_dir(dir.path(), None, false).expect("loads"));
    let server = TestServer::start_with_policies(Arc::clone(&store)).await;
    let body = fixture("04-imagechecks-rejected-punched.json");

    let done = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..4 {
        let mut client = server.client().await;
        let (done, body) = (Arc::clone(&done), body.clone());
        clients.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let mut request = json_request(body.clone());
                request.policy_id = "acme".to_owned();
                let decision = client
                    .evaluate(request)
                    .await
                    .expect("every request succeeds during reloads")
                    .into_inner()
                    .decision
                    .expect("a decision");
                let version = decision.policy.expect("policy").version;
                assert!(
                    version == "1.0.0" || version == "2.0.0",
                    "unexpected version {version}"
                );
                assert!(
                    decision
                        .reasons
                        .iter()
                        .any(|r| r.code == "PUNCHED_ACCEPTED"),
                    "decided by acme"
                );
                seen.push(version);
            }
            seen
        }));
    }

    let reloads = 300;
    for round in 0..reloads {
        let version = if round % 2 == 0 { "2.0.0" } else { "1.0.0" };
        let store = Arc::clone(&store);
        let path = dir.path().to_owned();
        let report = tokio::task::spawn_blocking(move || {
            write(&path, "acme.toml", &acme(version));
            store.reload()
        })
        .await
        .expect("reload ran");
        assert_eq!(report.failed, Vec::<(String, String)>::new());
        assert_eq!(report.loaded, [("acme".to_owned(), version.to_owned())]);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    done.store(true, Ordering::Relaxed);

    let mut answers = Vec::new();
    for client in clients {
        answers.extend(client.await.expect("client task"));
    }
    assert!(answers.len() > reloads, "only {} answers", answers.len());
    assert!(answers.iter().any(|v| v == "1.0.0") && answers.iter().any(|v| v == "2.0.0"));
}

#[tokio::test]
async fn a_changed_file_is_picked_up_by_the_watcher() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "acme.toml", &acme("1.0.0"));
    let store = Arc::new(PolicyStore::from_dir(dir.path(), None, false).expect("loads"));
    let watcher = tokio::spawn(verdict_server::reload::watch(
        Arc::clone(&store),
        Duration::from_millis(20),
    ));
    // Let the watcher take its first look before the file changes.
    tokio::time::sleep(Duration::from_millis(100)).await;
    write(dir.path(), "acme.toml", &acme("1.0.1-watched"));
    let mut version = String::new();
    for _ in 0..250 {
        version = store
            .current()
            .get("acme")
            .expect("loaded")
            .policy
            .reference()
            .version
            .clone();
        if version == "1.0.1-watched" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    watcher.abort();
    assert_eq!(version, "1.0.1-watched");
}

#[tokio::test]
async fn a_broken_file_at_start_is_reported_and_the_other_policies_serve() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "acme.toml", &acme("1.0.0"));
    // Left in place by a bad deploy: a typo in one rule.
    write(
        dir.path(),
        "broken.toml",
        &acme("3.0.0")
            .replace("id = \"acme\"", "id = \"broken\"")
            .replace("label = \"PUNCHED\"", "label = \"PUNCHD\""),
    );
    assert!(
        PolicyStore::from_dir(dir.path(), None, true).is_err(),
        "strict refuses to start"
    );
    let store = Arc::new(PolicyStore::from_dir(dir.path(), None, false).expect("starts"));
    let server = TestServer::start_with_policies(store).await;
    let punched = fixture("04-imagechecks-rejected-punched.json");

    // The policies that load serve.
    let decision = evaluate(&server, "acme", punched.clone(), false)
        .await
        .expect("acme serves");
    assert_eq!(decision.policy.expect("policy").version, "1.0.0");
    let decision = evaluate(&server, "", punched.clone(), false)
        .await
        .expect("the default serves");
    assert_eq!(decision.result_code, "DOCUMENT_PUNCHED");

    // The broken one is listed with its file, id and reason …
    let mut client = server.client().await;
    let listed = client
        .list_policies(pb::ListPoliciesRequest {})
        .await
        .expect("listed")
        .into_inner();
    let ids: Vec<&str> = listed.policies.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["jumio-default", "acme"]);
    assert_eq!(listed.failures.len(), 1);
    let failure = &listed.failures[0];
    assert_eq!(failure.id, "broken");
    assert!(failure.source.ends_with("broken.toml"), "{failure:?}");
    assert!(
        failure
            .reason
            .contains("label \"PUNCHD\" is not a REJECTED label of imageChecks"),
        "{failure:?}"
    );

    // … and requests naming it fail clearly, not as an unknown id.
    let status = evaluate(&server, "broken", punched, false)
        .await
        .expect_err("not loaded");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    let info = details(&status).error_info().cloned().expect("ErrorInfo");
    assert_eq!(info.reason, "POLICY_NOT_LOADED");
    assert_eq!(
        info.metadata.get("policy").map(String::as_str),
        Some("broken")
    );
    let status = client
        .get_policy(pb::GetPolicyRequest {
            id: "broken".to_owned(),
            ..Default::default()
        })
        .await
        .expect_err("not loaded");
    assert_eq!(status.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn every_batch_decision_is_counted_once_in_the_metrics() {
    // A batch's answers are encoded by the workers that decide them; the
    // decision counters must still see each one, once. A policy of its own
    // keeps other tests' decisions out of these counters.
    let dir = tempfile::tempdir().expect("temp dir");
    let text = DEFAULT_POLICY_TOML.replace("id = \"jumio-default\"", "id = \"batch-counted\"");
    write(dir.path(), "counted.toml", &text);
    let store = Arc::new(PolicyStore::from_dir(dir.path(), None, false).expect("loads"));
    let server = TestServer::start_with_policies(store).await;
    let mut client = server.client().await;
    // Enough items to be split across workers.
    let items = (0..300)
        .map(|index| {
            let name = match index % 3 {
                0 => "01-clean-pass-score-0.json",
                _ => "04-imagechecks-rejected-punched.json",
            };
            batch_item(&format!("item-{index}"), fixture(name))
        })
        .collect();
    let request = pb::BatchEvaluateRequest {
        policy_id: "batch-counted".to_owned(),
        items,
        explain: false,
    };
    let results = batch_evaluate(&mut client, request).await;
    assert_eq!(results.len(), 300);
    let metrics = crate::support::metrics().render();
    for (line, count) in [
        (
            "verdict_decisions_total{policy=\"batch-counted\",outcome=\"OUTCOME_APPROVE\",code=\"APPROVED\"}",
            100,
        ),
        (
            "verdict_decisions_total{policy=\"batch-counted\",outcome=\"OUTCOME_REVIEW\",code=\"DOCUMENT_PUNCHED\"}",
            200,
        ),
    ] {
        assert!(
            metrics.contains(&format!("{line} {count}\n")),
            "{line} is not {count}:\n{metrics}"
        );
    }
}
