//! A retrieval body, as bytes: parsing never panics, the parser's fast path
//! reads it as serde_json does or leaves it to serde_json, and whatever parses
//! is decided the same way twice and can be explained.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use verdict_core::{Policy, evaluate, explain, parse_workflow_json, too_deep};

static POLICY: LazyLock<Policy> = LazyLock::new(Policy::embedded_default);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = too_deep(text, 8);
    let (fast, serde) = verdict_core::json::read_both_ways(text);
    if fast.is_some() {
        assert_eq!(fast, serde, "the fast path read what serde_json reads differently");
    }
    let Ok(workflow) = parse_workflow_json(text) else {
        return;
    };
    if let Ok(first) = evaluate(&workflow, &POLICY) {
        let again = evaluate(&workflow, &POLICY).expect("decided once, decided twice");
        assert_eq!(first, again, "evaluation is deterministic");
        let _ = explain(&workflow, &POLICY);
    }
});
