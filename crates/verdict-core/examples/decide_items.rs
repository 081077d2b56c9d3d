//! Parses and evaluates, with the default policy, every `workflowJson` of a
//! `BatchEvaluateRequest` in proto3 JSON (tests/load's request files), PASSES
//! times over: the work of a batch's decisions without a server around it.
//! tests/load/instructions counts its instructions beside the server's.
//!
//!   cargo run --release -p verdict-core --example decide_items -- REQUEST_JSON PASSES

use std::hint::black_box;

use verdict_core::{Policy, evaluate, parse_workflow_json};

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    const USAGE: &str = "usage: decide_items REQUEST_JSON PASSES";
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or(USAGE)?;
    let passes: u64 = args.next().ok_or(USAGE)?.parse().map_err(|_| USAGE)?;
    let request: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let bodies: Vec<&str> = request["items"]
        .as_array()
        .ok_or("no items")?
        .iter()
        .filter_map(|item| item["workflowJson"].as_str())
        .collect();
    let policy = Policy::embedded_default();
    let mut reasons = 0;
    for _ in 0..passes {
        for body in &bodies {
            let workflow = parse_workflow_json(black_box(body))?;
            reasons += black_box(evaluate(&workflow, &policy)?).reasons.len();
        }
    }
    println!("items={} passes={passes} reasons={reasons}", bodies.len());
    Ok(())
}
