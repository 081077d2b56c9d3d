//! An EvaluateRequest as protobuf bytes, through the server's wire check,
//! reading and decision path: never a panic, every error becomes a gRPC
//! status with details, and the server reads the bytes as the generated
//! message does, with prost's own errors; an input parsed once and kept
//! (as with a ledger) is decided as one parsed where it is decided.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use prost::Message;
use prost::bytes::Bytes;
use verdict_api::codec::{EntryLimits, WireCheck};
use verdict_api::received::ReceivedEvaluate;
use verdict_api::v1 as pb;
use verdict_core::Policy;
use verdict_server::decide::{
    DecideOptions, DecideWith, Input, Parsed, Received, decide, wire_decision,
};

static POLICY: LazyLock<Policy> = LazyLock::new(Policy::embedded_default);

/// Small limits, so the fuzzer reaches them.
const LIMITS: EntryLimits = EntryLimits {
    per_capability: 3,
    per_workflow: 5,
    per_message: 8,
};

fuzz_target!(|data: &[u8]| {
    // The wire check walks raw bytes before decoding: it must take any input.
    let _ = pb::EvaluateRequest::check(data, &LIMITS);
    let _ = pb::BatchEvaluateRequest::check(data, &LIMITS);
    // Read as the server reads it, or refused with prost's own error, as
    // the generated message is.
    let read = ReceivedEvaluate::read(&mut Bytes::copy_from_slice(data)).map_err(|error| error.to_string());
    let generated = pb::EvaluateRequest::decode(data)
        .map(ReceivedEvaluate::from)
        .map_err(|error| error.to_string());
    assert_eq!(read, generated);
    let Ok(request) = read else {
        return;
    };
    // What the ledger would record is built too (the facts and the input's
    // hash), and what it would be asked: a decision that wants evidence is
    // recorded only once decided with it, so each in its own call.
    for lookup in [false, true] {
        let options = DecideOptions {
            explain: request.explain,
            max_json_depth: 16,
            record: true,
            lookup,
        };
        let evidence = verdict_core::Evidence::default();
        let input = request.input.as_ref().map(Input::from);
        let decided = decide(input, &evidence, &POLICY, &[], options);
        // With a ledger the input is parsed once, to be decided again from
        // that parse: the same decision, draft, lookup or error.
        let with = DecideWith {
            evidence: &evidence,
            policy: &POLICY,
            shadows: &[],
            options,
            gathered: None,
        };
        let from_parsed = Parsed::parse(Received::Item(request.input.clone()), options)
            .and_then(|parsed| parsed.decide_as(&with, wire_decision));
        assert_eq!(format!("{decided:?}"), format!("{from_parsed:?}"));
        match decided {
            Ok(decided) => {
                assert!(decided.draft.is_some() || decided.lookup.is_some());
                let _ = decided.decision.encode_to_vec();
            }
            Err(error) => {
                let _ = error.to_rpc_status();
            }
        }
    }
});
