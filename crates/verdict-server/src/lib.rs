//! verdict's gRPC server: `verdict.v1.DecisionService` over tonic, with health
//! and reflection, plus the pieces the `verdict` command is built from.

#![forbid(unsafe_code)]

mod baseline;
pub mod commands;
pub mod config;
mod convert;
pub mod decide;
pub mod errors;
pub mod metrics;
pub mod policies;
pub mod proto_json;
pub mod reload;
mod request_id;
pub mod security;
pub mod server;
pub mod service;

pub use policies::{PolicySet, PolicyStore, ReloadReport};
pub use security::{Auth, TlsSettings};
pub use server::{Limits, ServeError, ServeOptions, serve};
