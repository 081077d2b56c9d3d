//! End to end: a real verdict server on 127.0.0.1:0, called by real gRPC
//! clients, as a backend service would.

#![allow(
    clippy::expect_used,
    reason = "a test that cannot go on should fail loudly"
)]

mod accounts;
mod batch;
mod connections;
mod discovery;
mod envelope;
mod errors;
mod evaluate;
mod hostile;
mod ledger;
mod limits;
mod policies;
mod privacy;
mod security;
mod shadows;
mod stream;
mod support;
mod typed;
