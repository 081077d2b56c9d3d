//! verdict's gRPC server: `verdict.v1.DecisionService` over tonic, with health
//! and reflection, plus the pieces the `verdict` command is built from.
//!
//! Every RPC goes through one envelope (`envelope.rs`: request id, span,
//! deadline, metrics) and one decision path (`decide.rs`). Every error a
//! client can see is decided in `errors.rs`.

#![forbid(unsafe_code)]

mod answer_pieces;
mod baseline;
mod batch_items;
pub mod body_budget;
pub mod cli;
pub mod commands;
pub mod config;
mod connections;
mod convert;
pub mod decide;
mod decision_wire;
mod envelope;
pub mod errors;
mod evidence;
mod kept_body;
pub mod ledger;
pub mod limits;
pub mod metrics;
mod overload;
pub mod policy_store;
pub mod proto_json;
pub mod reload;
mod request_id;
mod routes;
pub mod security;
pub mod server;
pub mod service;
mod stream;

pub use ledger::{LedgerFailure, Recorder};
pub use limits::Limits;
pub use policy_store::{PolicySet, PolicyStore, ReloadReport};
pub use security::{Auth, TlsSettings};
pub use server::{ServeError, ServeOptions, serve};
