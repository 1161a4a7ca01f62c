//! What the stress tests share beside `ferrite_ring::peer`: the frame count and the
//! segment's directory.
#![allow(dead_code, unreachable_pub)] // each test binary uses its own part of this module

/// How many frames each way: `FERRITE_RING_STRESS_FRAMES`, or 20,000.
pub fn frame_count() -> u64 {
    std::env::var("FERRITE_RING_STRESS_FRAMES")
        .map(|v| v.parse().expect("FERRITE_RING_STRESS_FRAMES is a count"))
        .unwrap_or(20_000)
}

/// A private directory for a segment, under /dev/shm where there is one.
pub fn segment_dir() -> tempfile::TempDir {
    tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .unwrap()
}
