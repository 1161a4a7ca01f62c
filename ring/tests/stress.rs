//! Both rings at once over a real segment: two sides, each a thread with its own mapping of
//! one file under /dev/shm (as two processes would have), exchange frames of random sizes
//! both ways, waiting on a real doorbell (a unix socket pair, as the transport will), with
//! random pauses that make each side sleep and be woken often. Every frame carries its
//! length, sequence number and checksum (`ferrite_ring::peer`), so a lost, torn, reordered or duplicated frame fails
//! the test; a watchdog fails it if neither side makes progress for a while.
//! `tests/two_processes.rs` does the same between two processes.
//!
//! `FERRITE_RING_STRESS_FRAMES` sets the count each way (20,000 by default):
//! `FERRITE_RING_STRESS_FRAMES=1000000 cargo test -p ferrite-ring --release --test stress`.
#![cfg(not(loom))]

mod exchange;

use std::os::unix::net::UnixStream;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use ferrite_ring::peer::{self, Plan, Size, Stats};

#[test]
fn random_frames_both_ways_through_a_small_ring() {
    let (frames, capacity) = (exchange::frame_count(), 1024);
    let started = Instant::now();
    let [processor, wrapper] = exchange(capacity, frames, peer::up_to_twice_the_ring);
    eprintln!(
        "{frames} frames each way through {capacity}-byte rings in {:.1?}: \
         processor {processor:?}, wrapper {wrapper:?}",
        started.elapsed()
    );
    for side in [processor, wrapper] {
        assert_eq!(side.frames_received, frames);
        assert!(
            side.bytes_received > 4 * capacity as u64,
            "{side:?}: no wrap-around"
        );
        // A run in which a side never slept tested nothing of the doorbell.
        assert!(side.sleeps > 0 && side.rings > 0, "{side:?}");
    }
}

#[test]
fn a_64_mib_body_each_way_through_a_64_kib_ring() {
    // Both sides write a frame a thousand times the ring at the same time: each must go on
    // reading while it waits for space, or neither finishes.
    let [processor, wrapper] = exchange(64 << 10, 3, |rng, seq, _| {
        if seq == 1 {
            64 << 20
        } else {
            rng.usize(..=1000)
        }
    });
    for side in [processor, wrapper] {
        assert_eq!(side.frames_received, 3);
        assert!(side.bytes_received > 64 << 20, "{side:?}");
    }
}

/// Runs both sides over a new segment and returns what each did, failing on a bad frame,
/// a side's panic, or a stall.
fn exchange(capacity: usize, frames: u64, size: Size) -> [Stats; 2] {
    let dir = exchange::segment_dir();
    let path = dir.path().join("worker-0.ring");
    let processor = ferrite_ring::create(&path, capacity).unwrap();
    let wrapper = ferrite_ring::open(&path).unwrap();
    let (processor_bell, wrapper_bell) = UnixStream::pair().unwrap();
    let seed = fastrand::u64(..);
    eprintln!("seed {seed}");

    // Not scoped threads: a watchdog's panic must end the test, not wait for stuck sides.
    let progress = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let sides: Vec<_> = [(processor, processor_bell), (wrapper, wrapper_bell)]
        .into_iter()
        .zip(0..)
        .map(|((end, bell), side)| {
            let progress = Arc::clone(&progress);
            let plan = Plan {
                seed: seed ^ side,
                frames,
                capacity,
                size,
                pause_every: 32,
            };
            thread::spawn(move || peer::run_side(end, bell, &plan, &progress[side as usize]))
        })
        .collect();
    peer::watch(&[&progress[0], &progress[1]], || {
        sides.iter().all(|side| side.is_finished())
    })
    .unwrap();
    let stats: Vec<Stats> = sides
        .into_iter()
        .zip(["processor", "wrapper"])
        .map(|(side, name)| {
            side.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                .unwrap_or_else(|fault| panic!("{name}: {fault}"))
        })
        .collect();
    [stats[0], stats[1]]
}
