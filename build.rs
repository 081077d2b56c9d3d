//! Compiles `proto/` with protox (a pure-Rust protobuf compiler, so no system
//! `protoc` is needed) and generates prost messages and tonic stubs from the
//! resulting descriptors. The descriptor sets are also written to `OUT_DIR` so
//! the server can offer them over gRPC reflection.

use std::path::{Path, PathBuf};

/// The decision service contract.
const PROTOS: &[&str] = &[
    "proto/verdict/v1/workflow.proto",
    "proto/verdict/v1/decision.proto",
    "proto/verdict/v1/evidence.proto",
    "proto/verdict/v1/decision_service.proto",
];

/// The load-test baseline: a descriptor set of its own, so reflection lists it
/// only on a server that serves it.
const LOADTEST_PROTOS: &[&str] = &["proto/verdict/loadtest/v1/baseline.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // tonic-prost-build's own rerun flag does nothing with precompiled
    // descriptors, so say what the output depends on here.
    println!("cargo:rerun-if-changed=proto");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    let descriptors = compile(PROTOS, &out_dir.join("verdict_descriptor.bin"))?;
    tonic_prost_build::configure()
        // google.rpc.Status comes from tonic-types, so statuses built with its
        // richer error model drop straight into BatchResult.error.
        .extern_path(".google.rpc", "::tonic_types::pb")
        // Undecodable requests are the caller's fault: INVALID_ARGUMENT.
        .codec_path("crate::codec::VerdictCodec")
        .compile_fds(descriptors)?;

    let loadtest = compile(LOADTEST_PROTOS, &out_dir.join("loadtest_descriptor.bin"))?;
    // verdict.v1 is generated above; here it is only referred to (the whole
    // set stays, since NoopRequest holds a verdict.v1.WorkflowResult).
    tonic_prost_build::configure()
        .extern_path(".verdict.v1", "crate::v1")
        .extern_path(".google.rpc", "::tonic_types::pb")
        .codec_path("crate::codec::VerdictCodec")
        .compile_fds(loadtest)?;
    Ok(())
}

/// Compiles `files` with their imports and writes the encoded set to `out`.
fn compile(
    files: &[&str],
    out: &Path,
) -> Result<prost_types::FileDescriptorSet, Box<dyn std::error::Error>> {
    let mut compiler = protox::Compiler::new(["proto"])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(files)?;
    std::fs::write(out, compiler.encode_file_descriptor_set())?;
    Ok(compiler.file_descriptor_set())
}
