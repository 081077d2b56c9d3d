//! verdict's parse beside the floor (serde_json into `parse_candidates::Floor`)
//! and the SIMD candidates, over the corpus bodies of `../decide.rs`.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use parse_candidates::Floor;
use std::hint::black_box;

/// The bodies of `../decide.rs`, named by the start of their file name
/// (`01` clean-pass, `02` rejected-with-cascades, `x1` token-expired).
const FILES: [&str; 3] = [
    "01-clean-pass-score-0.json",
    "02-usability-rejected-blurred.json",
    "x1-token-expired-not-executed.json",
];

fn benches(c: &mut Criterion) {
    let bodies: Vec<(&str, String)> = FILES
        .iter()
        .map(|file| {
            (
                &file[..2],
                std::fs::read_to_string(format!(
                    "{}/../../../../tests/fixtures/{file}",
                    env!("CARGO_MANIFEST_DIR")
                ))
                .expect("fixture"),
            )
        })
        .collect();
    let mut group = c.benchmark_group("parse");
    for (case, body) in &bodies {
        group.bench_with_input(BenchmarkId::new("verdict", case), body, |b, body| {
            b.iter(|| verdict_core::parse_workflow_json(black_box(body)).expect("parses"));
        });
        group.bench_with_input(
            BenchmarkId::new("floor-serde_json", case),
            body,
            |b, body| {
                b.iter(|| {
                    serde_json::from_str::<Floor<'_>>(black_box(body))
                        .expect("parses")
                        .capabilities
                        .map(|c| c.len())
                });
            },
        );
        group.bench_with_input(BenchmarkId::new("floor-sonic_rs", case), body, |b, body| {
            b.iter(|| {
                sonic_rs::from_str::<Floor<'_>>(black_box(body))
                    .expect("parses")
                    .capabilities
                    .map(|c| c.len())
            });
        });
        group.bench_with_input(
            BenchmarkId::new("floor-simd_json-with-copy", case),
            body,
            |b, body| {
                b.iter(|| {
                    let mut copy = black_box(body).as_bytes().to_vec();
                    simd_json::serde::from_slice::<Floor<'_>>(&mut copy)
                        .expect("parses")
                        .capabilities
                        .map(|c| c.len())
                });
            },
        );
    }
    group.finish();
}
criterion_group!(parse, benches);
criterion_main!(parse);
