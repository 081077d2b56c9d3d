//! verdict's gRPC schema (package `verdict.v1`): the generated messages, the
//! `DecisionService` client and server stubs, and the encoded descriptor set
//! that the server offers over reflection.
//!
//! The `.proto` sources beside this file are the contract; their comments are the
//! API documentation for every client language.

#![forbid(unsafe_code)]

/// Package `verdict.v1`.
pub mod v1 {
    #![allow(
        missing_debug_implementations,
        unused_qualifications,
        clippy::all,
        reason = "generated code"
    )]
    tonic::include_proto!("verdict.v1");
}

/// The encoded `FileDescriptorSet` of `verdict.v1` and everything it imports
/// (`google.rpc.Status`, `google.protobuf.Any`, `google.protobuf.Timestamp`).
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/verdict_descriptor.bin"));
