//! The worker pool: N supervised wrapper processes and the allocation of events to them.
//!
//! # Layout
//!
//! - `worker_pool`: the [`WorkerPool`] handle: start every worker, report on them, stop.
//! - `dispatch`: an event's way to a worker and back: queueing for a free slot, the
//!   availability timeout, handing events on from a worker that died.
//! - `allocation`: who holds which slot, which worker takes the next event, and how far
//!   ahead an in-order worker is sent events.
//! - `error`: why an event got no response, or the pool could not run.
//! - `supervisor`: one worker's life: start, handshake, serve, settle, restart.
//! - `process`: one wrapper process, its output and its process group.
//! - `connection`: one live connection: batched writes, responses, the event timeout.
//! - `command`: the shell runtime's workers, a command per event.
//!
//! See `schemas/PROTOCOL.md` §5–6.

mod allocation;
mod command;
mod connection;
mod dispatch;
mod error;
mod process;
mod supervisor;
mod worker_pool;

use std::sync::Arc;

pub(crate) use connection::now_millis;
pub use error::{DispatchError, PoolError};
pub use worker_pool::WorkerPool;

use crate::runtime::Launch;
use crate::spec::Function;

/// What a pool needs to start.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// The function.
    pub function: Arc<Function>,
    /// How to start its wrapper.
    pub launch: Launch,
    /// Lowest log level wrappers send (`FERRITE_LOG_LEVEL`).
    pub log_level: String,
}
