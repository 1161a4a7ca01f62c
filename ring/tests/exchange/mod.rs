//! What the stress tests share: one side of an exchange of checked frames of random sizes
//! (writing its own and reading the peer's at once, sleeping on a real doorbell), and the
//! watchdog that calls a stall a hang.
#![allow(dead_code, unreachable_pub)] // each test binary uses its own part of this module

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use ferrite_ring::{Consumer, Endpoint, Producer};

/// `u32` payload length | `u64` sequence number | `u32` CRC-32 of the payload.
const FRAME_HEADER: usize = 16;
/// How long neither side may make progress before the test calls it a hang.
pub const STALL: Duration = Duration::from_secs(30);

/// How many frames each way: `FERRITE_RING_STRESS_FRAMES`, or 20,000.
pub fn frame_count() -> u64 {
    std::env::var("FERRITE_RING_STRESS_FRAMES")
        .map(|v| v.parse().expect("FERRITE_RING_STRESS_FRAMES is a count"))
        .unwrap_or(20_000)
}

/// A payload size from 0 to twice the ring's capacity.
pub fn up_to_twice_the_ring(rng: &mut fastrand::Rng, _seq: u64, capacity: usize) -> usize {
    rng.usize(..=2 * capacity)
}

/// How a side picks the size of frame `seq` through rings of `capacity`.
pub type Size = fn(&mut fastrand::Rng, u64, usize) -> usize;

/// A private directory for a segment, under /dev/shm where there is one.
pub fn segment_dir() -> tempfile::TempDir {
    tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .unwrap()
}

/// What a side needs to play its part.
pub struct Plan {
    /// Shared by both sides: each derives its frames and pauses from it.
    pub seed: u64,
    /// 0 for the processor, 1 for the wrapper.
    pub side: u64,
    pub frames: u64,
    pub capacity: usize,
    pub size: Size,
}

/// Plays one side to the end: sends its frames, checks all of the peer's, and counts in
/// `progress` every byte it moves.
pub fn run_side(end: Endpoint, bell: UnixStream, plan: &Plan, progress: &AtomicU64) -> Stats {
    let side = Side {
        end,
        bell,
        rng: fastrand::Rng::with_seed(plan.seed ^ plan.side),
        progress,
    };
    let outgoing = Outgoing::new(plan.seed ^ (plan.side + 1) << 32, plan);
    let incoming = Incoming::new(2 * plan.capacity);
    side.run(outgoing, incoming)
}

/// Waits until `finished`, failing if `progress` stands still for `STALL`.
pub fn watch(progress: &[&AtomicU64], mut finished: impl FnMut() -> bool) {
    let mut last = Vec::new();
    let mut last_change = Instant::now();
    while !finished() {
        thread::sleep(Duration::from_millis(50));
        let now: Vec<u64> = progress.iter().map(|p| p.load(Ordering::Relaxed)).collect();
        if now != last {
            (last, last_change) = (now, Instant::now());
        }
        assert!(
            last_change.elapsed() < STALL,
            "hang: no progress for {STALL:?} (bytes moved by each side: {last:?})"
        );
    }
}

/// What one side did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub frames_received: u64,
    pub bytes_received: u64,
    /// Times it blocked on its doorbell.
    pub sleeps: u64,
    /// Times it rang the peer's.
    pub rings: u64,
}

/// One side: writes its frames and reads the peer's at once, as the transport's reader
/// and writer will, sleeping on its doorbell when it can do neither.
struct Side<'a> {
    end: Endpoint,
    bell: UnixStream,
    rng: fastrand::Rng,
    progress: &'a AtomicU64,
}

impl Side<'_> {
    fn run(mut self, mut outgoing: Outgoing, mut incoming: Incoming) -> Stats {
        let mut stats = Stats::default();
        let mut idle = 0;
        let spin_limit = 16;
        while !(outgoing.done() && incoming.frames == outgoing.frames) {
            let mut progressed = false;
            let written = outgoing.pump(&mut self.end.producer);
            if written > 0 {
                progressed = true;
                self.progress.fetch_add(written as u64, Ordering::Relaxed);
                if self.end.producer.needs_ring() {
                    self.ring(&mut stats);
                }
            }
            let read = incoming.pump(&mut self.end.consumer, &mut self.rng);
            if read > 0 {
                progressed = true;
                stats.bytes_received += read as u64;
                self.progress.fetch_add(read as u64, Ordering::Relaxed);
                if self.end.consumer.needs_ring() {
                    self.ring(&mut stats);
                }
            }
            // Now and then stop for a while, so that the peer runs dry or fills the ring
            // and goes to sleep.
            if self.rng.u32(..32) == 0 {
                thread::sleep(Duration::from_micros(self.rng.u64(..150)));
            }
            if progressed {
                idle = 0;
                continue;
            }
            if idle < spin_limit {
                idle += 1;
                std::hint::spin_loop();
                continue;
            }
            idle = 0;
            let mut block = true;
            if !outgoing.done() {
                block = self.end.producer.prepare_to_sleep();
            }
            if block && incoming.frames < outgoing.frames {
                block = self.end.consumer.prepare_to_sleep();
            }
            if block {
                stats.sleeps += 1;
                self.wait();
            }
            self.end.producer.cancel_sleep();
            self.end.consumer.cancel_sleep();
        }
        stats.frames_received = incoming.frames;
        stats
    }

    fn ring(&mut self, stats: &mut Stats) {
        stats.rings += 1;
        self.bell
            .write_all(&[1])
            .expect("ringing the peer's doorbell");
    }

    /// Blocks until rung; takes every ring waiting, since each is only a hint.
    fn wait(&mut self) {
        let mut rung = [0u8; 64];
        match self.bell.read(&mut rung) {
            Ok(0) => panic!("the peer closed its doorbell while this side slept: a lost wake-up"),
            Ok(_) => {}
            Err(e) => panic!("waiting on the doorbell: {e}"),
        }
    }
}

/// The frames a side sends, made as it goes.
struct Outgoing {
    rng: fastrand::Rng,
    frames: u64,
    capacity: usize,
    size: Size,
    sent: u64,
    frame: Vec<u8>,
    written: usize,
}

impl Outgoing {
    fn new(seed: u64, plan: &Plan) -> Self {
        Outgoing {
            rng: fastrand::Rng::with_seed(seed),
            frames: plan.frames,
            capacity: plan.capacity,
            size: plan.size,
            sent: 0,
            frame: Vec::new(),
            written: 0,
        }
    }

    fn done(&self) -> bool {
        self.sent == self.frames && self.written == self.frame.len()
    }

    /// Writes what fits of the current frame and of those after it.
    fn pump(&mut self, producer: &mut Producer) -> usize {
        let mut total = 0;
        loop {
            if self.written == self.frame.len() {
                if self.sent == self.frames {
                    return total;
                }
                self.next_frame();
            }
            let n = producer.write(&self.frame[self.written..]);
            if n == 0 {
                return total;
            }
            self.written += n;
            total += n;
        }
    }

    fn next_frame(&mut self) {
        let len = (self.size)(&mut self.rng, self.sent, self.capacity);
        self.frame.resize(FRAME_HEADER + len, 0);
        let payload = &mut self.frame[FRAME_HEADER..];
        self.rng.fill(payload);
        let crc = crc32fast::hash(payload);
        self.frame[..4].copy_from_slice(&(len as u32).to_le_bytes());
        self.frame[4..12].copy_from_slice(&self.sent.to_le_bytes());
        self.frame[12..16].copy_from_slice(&crc.to_le_bytes());
        self.sent += 1;
        self.written = 0;
    }
}

/// The peer's frames as they arrive, checked one by one.
struct Incoming {
    buffer: Vec<u8>,
    chunk: Vec<u8>,
    frames: u64,
}

impl Incoming {
    fn new(chunk: usize) -> Self {
        Incoming {
            buffer: Vec::new(),
            chunk: vec![0; chunk],
            frames: 0,
        }
    }

    /// Reads a random amount of what is there and checks every frame it completes.
    fn pump(&mut self, consumer: &mut Consumer, rng: &mut fastrand::Rng) -> usize {
        let want = rng.usize(1..=self.chunk.len());
        let n = consumer.read(&mut self.chunk[..want]);
        self.buffer.extend_from_slice(&self.chunk[..n]);
        let mut at = 0;
        while let Some(header) = self.buffer.get(at..at + FRAME_HEADER) {
            let len = u32::from_le_bytes(header[..4].try_into().unwrap()) as usize;
            let seq = u64::from_le_bytes(header[4..12].try_into().unwrap());
            let crc = u32::from_le_bytes(header[12..16].try_into().unwrap());
            assert_eq!(seq, self.frames, "frame out of order, lost or repeated");
            let Some(payload) = self.buffer.get(at + FRAME_HEADER..at + FRAME_HEADER + len) else {
                break;
            };
            assert_eq!(
                crc32fast::hash(payload),
                crc,
                "frame {seq} of {len} bytes is torn"
            );
            self.frames += 1;
            at += FRAME_HEADER + len;
        }
        self.buffer.drain(..at);
        n
    }
}
