//! Compiles `proto/` with protox (a pure-Rust protobuf compiler, so no system
//! `protoc` is needed) and generates prost messages and tonic stubs from the
//! resulting descriptors. The descriptor set is also written to `OUT_DIR` so the
//! server can offer it over gRPC reflection.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "proto/verdict/v1/workflow.proto",
    "proto/verdict/v1/decision.proto",
    "proto/verdict/v1/decision_service.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // tonic-prost-build's own rerun flag does nothing with precompiled
    // descriptors, so say what the output depends on here.
    println!("cargo:rerun-if-changed=proto");

    let mut compiler = protox::Compiler::new(["proto"])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(PROTOS)?;
    let descriptors = compiler.file_descriptor_set();

    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("verdict_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    tonic_prost_build::configure()
        // google.rpc.Status comes from tonic-types, so statuses built with its
        // richer error model drop straight into BatchResult.error.
        .extern_path(".google.rpc", "::tonic_types::pb")
        .compile_fds(descriptors)?;
    Ok(())
}
