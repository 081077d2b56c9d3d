//! A policy file's text: loading never panics, and a policy that loads decides
//! a real payload and survives `policy check`.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use verdict_core::authoring::check::check;
use verdict_core::{WorkflowResult, evaluate, load_policy, parse_workflow_json};

static BODY: &str = include_str!("../../../../tests/fixtures/02-usability-rejected-blurred.json");
static WORKFLOW: LazyLock<WorkflowResult<'static>> =
    LazyLock::new(|| parse_workflow_json(BODY).expect("the fixture parses"));

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policy) = load_policy("fuzz.toml", text) else {
        return;
    };
    let _ = evaluate(&WORKFLOW, &policy);
    let _ = check(&policy);
});
