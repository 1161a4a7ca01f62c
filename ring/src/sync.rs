//! The primitives the rings are built on: std's normally, loom's under `--cfg loom`, so the
//! loom models run the very code that ships.

#[cfg(not(loom))]
pub(crate) use std::{
    cell::UnsafeCell,
    sync::atomic::{fence, AtomicU32, AtomicU64, Ordering},
};

// Loom's models keep no segment header, so no `AtomicU32`.
#[cfg(loom)]
pub(crate) use loom::{
    cell::UnsafeCell,
    sync::atomic::{fence, AtomicU64, Ordering},
};
