//! The cost of a decision without transport: parse only, evaluate an already
//! parsed result, and both together, over corpus payloads; and a replay's
//! re-decision of a recorded facts record (read the record, evaluate, count).
//!
//! Run: `cargo bench -p verdict-core --bench decide`. Method and figures are in
//! `crates/verdict-core/benches/README.md`.

#![allow(
    clippy::expect_used,
    reason = "a benchmark over the committed corpus should stop loudly if it is broken"
)]

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use verdict_core::authoring::replay::{Before, Case, Report, in_parallel, replay_facts};
use verdict_core::{Evidence, Policy, evaluate, facts_to_json, parse_workflow_json, too_deep};

/// (case name, corpus file). Every one is a 7-capability retrieval body.
const CASES: [(&str, &str); 3] = [
    // PROCESSED, nine findings, all PASSED: no reasons.
    ("clean-pass", "01-clean-pass-score-0.json"),
    // PROCESSED, one root cause (usability REJECTED BLURRED) and five cascades.
    (
        "rejected-with-cascades",
        "02-usability-rejected-blurred.json",
    ),
    // TOKEN_EXPIRED: ten reasons, every finding a consequence.
    (
        "token-expired-ten-reasons",
        "x1-token-expired-not-executed.json",
    ),
];

fn fixture(name: &str) -> String {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn benches(c: &mut Criterion) {
    let policy = Policy::embedded_default();
    let bodies: Vec<(&str, String)> = CASES
        .iter()
        .map(|(case, file)| (*case, fixture(file)))
        .collect();

    let mut parse = c.benchmark_group("parse");
    for (case, body) in &bodies {
        parse.throughput(Throughput::Bytes(body.len() as u64));
        parse.bench_with_input(BenchmarkId::from_parameter(case), body, |b, body| {
            b.iter(|| parse_workflow_json(black_box(body)).expect("corpus parses"));
        });
    }
    parse.finish();

    let mut eval = c.benchmark_group("evaluate");
    for (case, body) in &bodies {
        let workflow = parse_workflow_json(body).expect("corpus parses");
        eval.bench_with_input(
            BenchmarkId::from_parameter(case),
            &workflow,
            |b, workflow| {
                b.iter(|| evaluate(black_box(workflow), &policy).expect("corpus is final"));
            },
        );
    }
    eval.finish();

    // The optional nesting-depth pre-scan (max_json_depth below 128).
    let mut depth = c.benchmark_group("depth_scan");
    for (case, body) in &bodies {
        depth.throughput(Throughput::Bytes(body.len() as u64));
        depth.bench_with_input(BenchmarkId::from_parameter(case), body, |b, body| {
            b.iter(|| too_deep(black_box(body), 64));
        });
    }
    depth.finish();

    let mut both = c.benchmark_group("parse_and_evaluate");
    for (case, body) in &bodies {
        both.throughput(Throughput::Bytes(body.len() as u64));
        both.bench_with_input(BenchmarkId::from_parameter(case), body, |b, body| {
            b.iter(|| {
                let workflow = parse_workflow_json(black_box(body)).expect("corpus parses");
                let decision = evaluate(&workflow, &policy).expect("corpus is final");
                black_box(decision.outcome)
            });
        });
    }
    both.finish();

    // `verdict replay`: one recorded decision re-decided from its facts into
    // a report (the work of one replay worker per record).
    let mut replay = c.benchmark_group("replay_facts");
    for (case, body) in &bodies {
        let workflow = parse_workflow_json(body).expect("corpus parses");
        let facts = facts_to_json(&workflow, &Evidence::default());
        replay.throughput(Throughput::Elements(1));
        replay.bench_with_input(BenchmarkId::from_parameter(case), &facts, |b, facts| {
            let mut report = Report::default();
            let case = Case {
                order: 1,
                id: "0193a5b0-0000-7000-8000-000000000000",
                feedback: None,
            };
            let before = Before {
                outcome: "APPROVE",
                result_code: "APPROVED",
            };
            b.iter(|| replay_facts(&mut report, &case, &before, black_box(facts), &policy));
        });
    }
    replay.finish();

    // The replay engine as `verdict replay` runs it, without the database:
    // 100,000 facts records (the three cases in turn) in pages of 1,000
    // (the ledger's page), decided by one worker per core and merged.
    let records: Vec<(String, String)> = bodies
        .iter()
        .map(|(_, body)| {
            let workflow = parse_workflow_json(body).expect("corpus parses");
            facts_to_json(&workflow, &Evidence::default())
        })
        .cycle()
        .take(RECORDS)
        .enumerate()
        .map(|(n, facts)| (format!("0193a5b0-0000-7000-8000-{n:012}"), facts))
        .collect();
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let mut parallel = c.benchmark_group("replay_parallel");
    parallel.sample_size(10);
    parallel.throughput(Throughput::Elements(RECORDS as u64));
    parallel.bench_function(BenchmarkId::new("workers", workers), |b| {
        b.iter_batched(
            || records.chunks(1_000).map(<[_]>::to_vec).collect::<Vec<_>>(),
            |pages| {
                let decide = |report: &mut Report, (id, facts): &(String, String)| {
                    let case = Case {
                        order: 1,
                        id,
                        feedback: None,
                    };
                    let before = Before {
                        outcome: "APPROVE",
                        result_code: "APPROVED",
                    };
                    replay_facts(report, &case, &before, facts, &policy);
                };
                let (report, done) = in_parallel(
                    workers,
                    decide,
                    |send| {
                        for page in pages {
                            if !send(page) {
                                break;
                            }
                        }
                        Ok::<(), ()>(())
                    },
                    &|_| {},
                )
                .expect("no feed error");
                assert_eq!(done, RECORDS as u64);
                black_box(report)
            },
            BatchSize::PerIteration,
        );
    });
    parallel.finish();
}

/// Records per `replay_parallel` iteration.
const RECORDS: usize = 100_000;

criterion_group!(decide, benches);
criterion_main!(decide);
