//! Loom models of the rings' wake-up protocol: every interleaving (within the preemption
//! bound) of two sides that write and read through tiny rings and sleep on a doorbell
//! whenever they can make no progress, as the real transport does, minus the spinning.
//!
//! A lost wake-up shows as a side woken by its peer's exit (the socket's EOF, here) while
//! what it waited for was already there, or as loom's "deadlock" when both sides sleep; a
//! byte read before it was published, or overwritten before it was read, as a causality
//! failure of its cells.
//!
//! `RUSTFLAGS="--cfg loom" cargo test -p ferrite-ring --release`; the bound on preemptions
//! is 4 unless `LOOM_MAX_PREEMPTIONS` says otherwise. On 2 busy cores the models took 3 s
//! at bound 3, 16 s at 4 and 111 s at 5, all passing.

use std::panic::{self, AssertUnwindSafe};

use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

use crate::shm::{heap_pair, Endpoint};

/// The doorbell stand-in: a count of rings under a mutex, and whether the peer has gone
/// (the socket's EOF). Waking takes all rings, as a side drains every byte waiting on its
/// socket.
#[derive(Default)]
struct Doorbell {
    state: Mutex<Bell>,
    woken: Condvar,
}

#[derive(Default)]
struct Bell {
    rung: u32,
    closed: bool,
}

impl Doorbell {
    fn ring(&self) {
        self.state.lock().unwrap().rung += 1;
        self.woken.notify_one();
    }

    fn close(&self) {
        self.state.lock().unwrap().closed = true;
        self.woken.notify_one();
    }

    /// Blocks until rung (true) or the peer has gone without ringing (false).
    fn wait(&self) -> bool {
        let mut bell = self.state.lock().unwrap();
        loop {
            if bell.rung > 0 {
                bell.rung = 0;
                return true;
            }
            if bell.closed {
                return false;
            }
            bell = self.woken.wait(bell).unwrap();
        }
    }
}

/// One side: sends `out` and receives `expected` bytes, blocking on `own` when it can do
/// neither, and ringing `peer` when `needs_ring` says so; closes `peer` when done.
fn run_side(mut end: Endpoint, out: &[u8], expected: usize, own: &Doorbell, peer: &Doorbell) {
    let mut sent = 0;
    let mut received = Vec::new();
    let mut buf = [0u8; 8];
    while sent < out.len() || received.len() < expected {
        let mut progressed = false;
        if sent < out.len() {
            let n = end.producer.write(&out[sent..]);
            if n > 0 {
                sent += n;
                progressed = true;
                if end.producer.needs_ring() {
                    peer.ring();
                }
            }
        }
        if received.len() < expected {
            let n = end.consumer.read(&mut buf);
            if n > 0 {
                received.extend_from_slice(&buf[..n]);
                progressed = true;
                if end.consumer.needs_ring() {
                    peer.ring();
                }
            }
        }
        if progressed {
            continue;
        }
        let mut block = true;
        if sent < out.len() {
            block = end.producer.prepare_to_sleep();
        }
        if block && received.len() < expected {
            block = end.consumer.prepare_to_sleep();
        }
        // The peer closes only once it has sent and received all: if that is what wakes
        // us, what we slept on was already there and the ring for it was lost.
        if block && !own.wait() {
            panic!(
                "lost wake-up: the peer has finished, and this side slept with {} of {} bytes \
                 sent and {} of {} received",
                sent,
                out.len(),
                received.len(),
                expected
            );
        }
        end.producer.cancel_sleep();
        end.consumer.cancel_sleep();
    }
    assert_eq!(
        received,
        expected_bytes(expected),
        "bytes lost, torn or reordered"
    );
    peer.close();
}

/// What a side sends: distinct bytes, so a reordering or a repeat shows.
fn expected_bytes(n: usize) -> Vec<u8> {
    (1..=n as u8).collect()
}

/// The processor sends `to_wrapper` bytes and the wrapper `to_processor`, through rings of
/// 4 bytes, so any count above 4 makes the writer wait for space.
fn exchange(to_wrapper: usize, to_processor: usize, fences: bool) {
    let (processor, wrapper) = heap_pair(4, fences);
    let processor_bell = Arc::new(Doorbell::default());
    let wrapper_bell = Arc::new(Doorbell::default());
    let wrapper_thread = {
        let (own, peer) = (Arc::clone(&wrapper_bell), Arc::clone(&processor_bell));
        thread::spawn(move || {
            run_side(
                wrapper,
                &expected_bytes(to_processor),
                to_wrapper,
                &own,
                &peer,
            );
        })
    };
    run_side(
        processor,
        &expected_bytes(to_wrapper),
        to_processor,
        &processor_bell,
        &wrapper_bell,
    );
    if let Err(panic) = wrapper_thread.join() {
        panic::resume_unwind(panic);
    }
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound.get_or_insert(4);
    builder.check(f);
}

#[test]
fn one_way_a_reader_and_a_writer_waiting_for_space_always_wake() {
    // 6 bytes through 4: the writer fills the ring and sleeps for space at least once, the
    // reader sleeps for data whenever it catches up.
    model(|| exchange(6, 0, true));
}

#[test]
fn both_ways_sides_that_write_while_reading_never_deadlock() {
    // Each side's writes outgrow the ring while the other's do too: each must keep
    // reading while it waits for space, and be woken by whichever comes first.
    model(|| exchange(5, 5, true));
}

#[test]
fn without_the_full_fences_loom_finds_a_lost_wake_up() {
    // The same protocol with the fences dropped: each side may read the other's old value
    // (the sleep word, the index), so the reader sleeps on bytes already written. This
    // test passes only while loom finds that interleaving, so the fences in the models
    // above are shown to be what prevents it. (2 bytes through 4: the writer never waits,
    // so the reader is the only one that can be left asleep.)
    let result = panic::catch_unwind(AssertUnwindSafe(|| model(|| exchange(2, 0, false))));
    let payload = result.expect_err("loom found no lost wake-up without the fences");
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    assert!(
        message.starts_with("lost wake-up"),
        "not a lost wake-up: {message}"
    );
}
