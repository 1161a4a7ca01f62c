//! Why an event got no response from a handler, and why a pool could not start or run on.

use std::time::Duration;

/// Why an event got no response from a handler.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DispatchError {
    /// Every worker stayed busy (or down) for the availability timeout.
    #[error("no worker became available within {} ms", .0.as_millis())]
    NoWorkerAvailable(Duration),
    /// The handler overran the event timeout.
    #[error("event {id} ran past the event timeout of {} ms on worker {worker}; the worker is being restarted", timeout.as_millis())]
    Timeout {
        /// Event id.
        id: u64,
        /// Worker index.
        worker: usize,
        /// The timeout.
        timeout: Duration,
    },
    /// The wrapper process died or broke the protocol while it held the event.
    #[error("worker {worker} (pid {pid}) {how} while handling event {id}")]
    WorkerDied {
        /// Event id.
        id: u64,
        /// Worker index.
        worker: usize,
        /// Wrapper pid.
        pid: u32,
        /// What happened, e.g. "exited with status 3".
        how: String,
    },
    /// The event was handed on after too many worker deaths.
    #[error("event {id} was not delivered: {attempts} workers died before it could start")]
    Undeliverable {
        /// Event id.
        id: u64,
        /// How many times it was handed on.
        attempts: u32,
    },
    /// The event could not be put on the wire (too large for a frame).
    #[error("the event cannot be sent to a worker: {0}")]
    Unencodable(String),
    /// The processor is stopping.
    #[error("the processor is shutting down")]
    ShuttingDown,
}

/// A worker pool that failed to start, or stopped because a wrapper cannot run the handler.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PoolError {
    /// The wrapper reported that the handler cannot load.
    #[error("worker {worker} could not load the handler: {message}{}", detail_suffix(.detail))]
    HandlerLoad {
        /// Worker index.
        worker: usize,
        /// The wrapper's one-line reason.
        message: String,
        /// More (traceback).
        detail: Option<String>,
    },
    /// The wrapper did not come up.
    #[error("worker {worker} did not start: {reason}{}", stderr_suffix(.stderr))]
    Start {
        /// Worker index.
        worker: usize,
        /// What happened.
        reason: String,
        /// Its last stderr lines.
        stderr: Vec<String>,
    },
    /// Setting up the pool's sockets failed.
    #[error("cannot set up worker sockets: {0}")]
    Io(String),
}

fn detail_suffix(detail: &Option<String>) -> String {
    match detail {
        Some(detail) if !detail.trim().is_empty() => format!("\n{}", detail.trim_end()),
        _ => String::new(),
    }
}

fn stderr_suffix(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!("\nlast lines of its stderr:\n  {}", lines.join("\n  "))
    }
}
