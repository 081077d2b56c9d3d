//! verdict's gRPC schema (package `verdict.v1`): the generated messages, the
//! `DecisionService` client and server stubs, and the encoded descriptor set
//! that the server offers over reflection.
//!
//! The `.proto` sources beside this file are the contract; their comments are the
//! API documentation for every client language.

#![forbid(unsafe_code)]

pub mod codec;
pub mod frames;
pub mod received;

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

/// Package `verdict.loadtest.v1`: the no-op baseline a load test compares
/// `Evaluate` against. Served only when the server is asked to.
pub mod loadtest {
    pub mod v1 {
        #![allow(
            missing_debug_implementations,
            unused_qualifications,
            clippy::all,
            reason = "generated code"
        )]
        tonic::include_proto!("verdict.loadtest.v1");
    }
}

/// The encoded `FileDescriptorSet` of `verdict.loadtest.v1` and its imports.
pub const LOADTEST_FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/loadtest_descriptor.bin"));

/// The encoded `FileDescriptorSet` of `verdict.v1` and everything it imports
/// (`google.rpc.Status`, `google.protobuf.Any`, `google.protobuf.Timestamp`).
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/verdict_descriptor.bin"));
