//! ferrite: a serverless function processor.
//!
//! A trigger turns a request into an [`event::Event`]; the [`pool::WorkerPool`] hands it to
//! one of N wrapper processes running the user's handler in its own language, over a
//! [`transport`] and a [`codec`]; the handler's [`event::Response`] goes back to the trigger.
//!
//! # Layout
//!
//! - [`cli`]: the `ferrite` command line; [`server`]: start the pool, serve the trigger, stop.
//! - [`spec`]: nuclio's `function.yaml`, parsed once into typed, checked settings.
//! - [`event`]: the common event and response.
//! - [`trigger`]: one module per trigger kind (HTTP).
//! - [`pool`]: allocation of events to workers, supervision of wrapper processes.
//! - [`transport`]: unix socket, loopback TCP or shared-memory rings between processor and
//!   wrapper.
//! - [`codec`]: line-JSON, MessagePack or FlatBuffers frames of the wire protocol (`schemas/PROTOCOL.md`).
//! - [`runtime`]: how each language's wrapper is launched.
//! - [`admin`]: endpoints answered without a worker (health).
//! - [`conformance`]: the cross-language conformance suite's runner.

#![warn(missing_docs)]

pub mod admin;
pub mod cli;
pub mod codec;
pub mod conformance;
pub mod event;
pub mod pool;
pub mod runtime;
pub mod server;
pub mod spec;
pub mod transport;
pub mod trigger;
