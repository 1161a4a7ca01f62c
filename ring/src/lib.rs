//! The core of ferrite's `shm` transport: one shared-memory segment per worker holding two
//! single-producer single-consumer byte rings, `to_wrapper` and `to_processor`, that carry
//! exactly the bytes a socket transport would, so codecs and framing work unchanged.
//!
//! The rings only move bytes and say when to ring; blocking is the caller's. A side spins
//! for a while on [`Consumer::available`] or [`Producer::free`], then calls
//! `prepare_to_sleep` and, if that returns `true`, blocks on its doorbell (one byte on the
//! unix socket beside the segment) and calls `cancel_sleep` when woken. After moving
//! bytes, `needs_ring` says whether the peer sleeps and must be rung. A side that both
//! writes and reads waits for both at once, so a slow reader never deadlocks it.
//! The contract, byte for byte, is `schemas/PROTOCOL.md` ("shm").
//!
//! # Layout
//!
//! - `layout`: the segment's offsets and constants, public, and the header's structs.
//! - `shm`: the rings ([`Producer`], [`Consumer`]) and the view of the mapping they live
//!   in; the only module allowed `unsafe`.
//! - `segment`: [`create`] and [`open`] a segment file and hand out one side's
//!   [`Endpoint`].
//! - `sync`: std's atomics, or loom's under `--cfg loom`.
//! - [`peer`]: one side of a stress exchange of checked test frames, which the stress
//!   tests and the `ring-peer` binary play.
//!
//! # The cross-language stress peer
//!
//! `cargo build -p ferrite-ring --bins` builds `ring-peer`
//! (`ring-peer --dir DIR --capacity BYTES --frames N --seed S [--pause-every K]`): it
//! creates a segment and a doorbell socket in DIR, prints `ready SEGMENT_PATH
//! SOCKET_PATH`, accepts one connection, exchanges N test frames each way as the
//! processor's side, and prints `ok SENT RECEIVED` (exit 0) or the first fault on stderr
//! (exit 1). Each wrapper language's stress test attaches to it as the wrapper side.
//!
//! # Checking the protocol with loom
//!
//! `RUSTFLAGS="--cfg loom" cargo test -p ferrite-ring --release` runs the loom models in
//! `src/loom_models.rs` (and only them; add `CARGO_TARGET_DIR=target/loom` to keep the
//! normal build's artifacts). They bound preemptions to 4 unless `LOOM_MAX_PREEMPTIONS`
//! says otherwise, and take about 15 s.
//!
//! # Stress tests
//!
//! `tests/stress.rs` (two threads, each with its own mapping) and `tests/two_processes.rs`
//! exchange 20,000 checked frames each way; `FERRITE_RING_STRESS_FRAMES=1000000 cargo test
//! -p ferrite-ring --release --test stress --test two_processes` runs the full count.

// Under loom only the models build rings (segments need real atomics); the library that
// the models' test harness links against would otherwise warn about everything.
#![cfg_attr(all(loom, not(test)), allow(dead_code))]

pub mod layout;
#[cfg(all(test, loom))]
mod loom_models;
#[cfg(not(loom))]
pub mod peer;
#[cfg(not(loom))]
mod segment;
// The one module that touches the shared mapping; each `unsafe` there says why it is sound.
#[allow(unsafe_code)]
mod shm;
mod sync;

#[cfg(not(loom))]
pub use segment::{create, open, SegmentError};
pub use shm::{Consumer, Endpoint, Producer};
