//! The stress exchange of `tests/stress.rs` between two processes, as the transport will
//! run it: this binary creates the segment and listens on a unix socket in its directory,
//! then starts itself again as the wrapper, which opens the segment and connects; the
//! socket is the doorbell. (No test harness: the child is this same `main`.)
//!
//! `FERRITE_RING_STRESS_FRAMES` sets the count each way, as for `tests/stress.rs`.

#[cfg(not(loom))]
mod exchange;

// Segments need real atomics: under `--cfg loom` there is nothing to run here.
#[cfg(loom)]
fn main() {}

#[cfg(not(loom))]
fn main() {
    two_processes::main();
}

#[cfg(not(loom))]
mod two_processes {
    use std::os::unix::net::{UnixListener, UnixStream};
    use std::path::PathBuf;
    use std::process::Command;
    use std::sync::atomic::AtomicU64;
    use std::sync::Arc;
    use std::thread;
    use std::time::Instant;

    use ferrite_ring::peer::{self, Plan};

    use crate::exchange;

    /// Set in the child: `segment-path socket-path seed frames capacity`.
    const PEER: &str = "FERRITE_RING_TEST_PEER";
    const CAPACITY: usize = 1024;

    pub(crate) fn main() {
        match std::env::var(PEER) {
            Ok(peer) => wrapper(&peer),
            Err(_) => processor(),
        }
    }

    fn processor() {
        let frames = exchange::frame_count();
        let dir = exchange::segment_dir();
        let segment = dir.path().join("worker-0.ring");
        let socket = dir.path().join("worker-0.sock");
        let end = ferrite_ring::create(&segment, CAPACITY).unwrap();
        let listener = UnixListener::bind(&socket).unwrap();
        let seed = fastrand::u64(..);
        let started = Instant::now();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(
                PEER,
                format!(
                    "{} {} {seed} {frames} {CAPACITY}",
                    segment.display(),
                    socket.display()
                ),
            )
            .spawn()
            .unwrap();
        let (bell, _) = listener.accept().unwrap();

        let progress = Arc::new(AtomicU64::new(0));
        let side = {
            let progress = Arc::clone(&progress);
            let plan = plan(seed, frames, CAPACITY);
            thread::spawn(move || peer::run_side(end, bell, &plan, &progress))
        };
        if let Err(hang) = peer::watch(&[&progress], || side.is_finished()) {
            let _ = child.kill();
            panic!("{hang}");
        }
        let stats = side
            .join()
            .unwrap_or_else(|panic| {
                let _ = child.kill();
                std::panic::resume_unwind(panic)
            })
            .unwrap_or_else(|fault| {
                let _ = child.kill();
                panic!("processor: {fault}")
            });
        let status = child.wait().unwrap();
        assert!(status.success(), "the wrapper process failed: {status}");
        assert_eq!(stats.frames_received, frames);
        assert!(stats.sleeps > 0 && stats.rings > 0, "{stats:?}");
        println!(
            "two processes, {frames} frames each way through {CAPACITY}-byte rings in {:.1?} \
             (seed {seed}): processor {stats:?}",
            started.elapsed()
        );
        println!("two_processes: 1 passed, 0 failed");
    }

    fn wrapper(peer: &str) {
        let words: Vec<&str> = peer.split(' ').collect();
        let [segment, socket, seed, frames, capacity] = words[..] else {
            panic!("{PEER} is `segment socket seed frames capacity`, not {peer:?}");
        };
        let end = ferrite_ring::open(&PathBuf::from(segment)).unwrap();
        let bell = UnixStream::connect(socket).unwrap();
        let seed: u64 = seed.parse().unwrap();
        let plan = plan(seed ^ 1, frames.parse().unwrap(), capacity.parse().unwrap());
        // The processor's watchdog covers this side too: a stalled wrapper stalls its reads.
        let stats = peer::run_side(end, bell, &plan, &AtomicU64::new(0))
            .unwrap_or_else(|fault| panic!("wrapper: {fault}"));
        assert_eq!(stats.frames_received, plan.frames);
    }

    fn plan(seed: u64, frames: u64, capacity: usize) -> Plan {
        Plan {
            seed,
            frames,
            capacity,
            size: peer::up_to_twice_the_ring,
            pause_every: 32,
        }
    }
}
