//! One side of a stress exchange of checked **test frames**: it writes its own frames and
//! reads the peer's at once, as the transport's reader and writer do, sleeping on a real
//! doorbell when it can do neither, and reports the first bad frame as a [`Fault`].
//!
//! The `ring-peer` binary plays the processor's side of it against a wrapper in any
//! language; this crate's stress tests play both sides. A test frame is
//! `u32 LE payload length | u64 LE sequence number (0, 1, …) | u32 LE FNV-1a-32 of the
//! payload | payload` (`schemas/PROTOCOL.md`, "shm"); a lost, torn, reordered or
//! duplicated frame fails the check.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::{Consumer, Endpoint, Producer};

/// Length, sequence number and checksum before each payload.
pub const FRAME_HEADER: usize = 16;
/// How long neither side may make progress before [`watch`] calls it a hang.
pub const STALL: Duration = Duration::from_secs(30);

/// FNV-1a, 32 bits: every language writes it in five lines, so a test in any of them can
/// check a frame without a library (the `fnv` crate offers only the 64-bit variant).
pub fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |hash: u32, &byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

/// How a side picks the payload size of frame `seq` through rings of `capacity`.
pub type Size = fn(&mut fastrand::Rng, u64, usize) -> usize;

/// A payload size from 0 to twice the ring's capacity, so frames both fit and wrap.
pub fn up_to_twice_the_ring(rng: &mut fastrand::Rng, _seq: u64, capacity: usize) -> usize {
    rng.usize(..=2 * capacity)
}

/// What a side needs to play its part.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Where its payloads, sizes and pauses come from.
    pub seed: u64,
    /// How many frames it sends, and how many it expects.
    pub frames: u64,
    /// The rings' capacity, which payload sizes scale with.
    pub capacity: usize,
    /// How payload sizes are chosen.
    pub size: Size,
    /// A pause of up to 150 µs after one turn in `pause_every` on average (0: never), so
    /// that the peer runs dry or fills the ring and goes to sleep.
    pub pause_every: u32,
}

/// What one side did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames sent, all written to the ring.
    pub frames_sent: u64,
    /// Frames received and checked.
    pub frames_received: u64,
    /// Bytes read from the ring.
    pub bytes_received: u64,
    /// Times it blocked on its doorbell.
    pub sleeps: u64,
    /// Times it rang the peer's.
    pub rings: u64,
}

/// The first thing that went wrong.
#[derive(Debug, thiserror::Error)]
pub enum Fault {
    /// A frame arrived with a sequence number after the expected one.
    #[error("frame {expected} lost or reordered: frame {got} came in its place")]
    Lost {
        /// The frame that should have come.
        expected: u64,
        /// The one that came.
        got: u64,
    },
    /// A frame arrived again.
    #[error("frame {got} duplicated: it came again when frame {expected} was expected")]
    Duplicated {
        /// The frame that should have come.
        expected: u64,
        /// The one that came.
        got: u64,
    },
    /// A frame's header says a length no sender would choose.
    #[error("frame {seq} torn: its header says {len} bytes, more than {max}")]
    Length {
        /// The frame's sequence number.
        seq: u64,
        /// The length in its header.
        len: usize,
        /// The most a payload may hold.
        max: usize,
    },
    /// A frame's payload does not match its checksum.
    #[error("frame {seq} of {len} bytes torn: bad checksum")]
    Checksum {
        /// The frame's sequence number.
        seq: u64,
        /// Its payload's length.
        len: usize,
    },
    /// The peer closed its doorbell before the exchange ended.
    #[error("the peer closed the doorbell with {received} of {frames} frames received")]
    Closed {
        /// Frames received by then.
        received: u64,
        /// Frames expected.
        frames: u64,
    },
    /// The doorbell socket failed.
    #[error("doorbell: {0}")]
    Doorbell(#[from] io::Error),
    /// Neither side moved a byte for [`STALL`].
    #[error("timeout: no progress for {STALL:?} ({0} bytes moved)")]
    Timeout(u64),
}

/// Plays one side to the end over `end`, with `bell` as the doorbell: sends `plan.frames`
/// frames, checks as many of the peer's, and counts in `progress` every byte it moves.
pub fn run_side(
    end: Endpoint,
    bell: UnixStream,
    plan: &Plan,
    progress: &AtomicU64,
) -> Result<Stats, Fault> {
    let side = Side {
        end,
        bell,
        rng: fastrand::Rng::with_seed(plan.seed),
        pause_every: plan.pause_every,
        progress,
    };
    let outgoing = Outgoing::new(plan.seed.rotate_left(32) ^ 1, plan);
    let incoming = Incoming::new(plan);
    side.run(outgoing, incoming)
}

/// Waits until `finished`, or fails with [`Fault::Timeout`] once the sum of `progress`
/// has stood still for [`STALL`].
pub fn watch(progress: &[&AtomicU64], mut finished: impl FnMut() -> bool) -> Result<(), Fault> {
    let mut last = 0;
    let mut last_change = Instant::now();
    while !finished() {
        std::thread::sleep(Duration::from_millis(50));
        let now = progress.iter().map(|p| p.load(Ordering::Relaxed)).sum();
        if now != last {
            (last, last_change) = (now, Instant::now());
        }
        if last_change.elapsed() >= STALL {
            return Err(Fault::Timeout(last));
        }
    }
    Ok(())
}

/// One side: writes its frames and reads the peer's at once, sleeping on its doorbell when
/// it can do neither.
struct Side<'a> {
    end: Endpoint,
    bell: UnixStream,
    rng: fastrand::Rng,
    pause_every: u32,
    progress: &'a AtomicU64,
}

impl Side<'_> {
    fn run(mut self, mut outgoing: Outgoing, mut incoming: Incoming) -> Result<Stats, Fault> {
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
                    self.ring(&mut stats)?;
                }
            }
            let read = incoming.pump(&mut self.end.consumer, &mut self.rng)?;
            if read > 0 {
                progressed = true;
                stats.bytes_received += read as u64;
                self.progress.fetch_add(read as u64, Ordering::Relaxed);
                if self.end.consumer.needs_ring() {
                    self.ring(&mut stats)?;
                }
            }
            if self.pause_every > 0 && self.rng.u32(..self.pause_every) == 0 {
                std::thread::sleep(Duration::from_micros(self.rng.u64(..150)));
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
                self.wait(&incoming, outgoing.frames)?;
            }
            self.end.producer.cancel_sleep();
            self.end.consumer.cancel_sleep();
        }
        stats.frames_sent = outgoing.sent;
        stats.frames_received = incoming.frames;
        Ok(stats)
    }

    /// Rings the peer. A peer that has gone is no fault here: it may have finished (having
    /// read our last bytes before we rang), and if it has not, our next wait sees EOF.
    fn ring(&mut self, stats: &mut Stats) -> Result<(), Fault> {
        stats.rings += 1;
        match self.bell.write_all(&[1]) {
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                ) =>
            {
                Ok(())
            }
            other => Ok(other?),
        }
    }

    /// Blocks until rung; takes every ring waiting, since each is only a hint.
    fn wait(&mut self, incoming: &Incoming, frames: u64) -> Result<(), Fault> {
        let mut rung = [0u8; 64];
        match self.bell.read(&mut rung) {
            Ok(0) => Err(Fault::Closed {
                received: incoming.frames,
                frames,
            }),
            Ok(_) => Ok(()),
            Err(e) => Err(e.into()),
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
        let hash = fnv1a32(payload);
        self.frame[..4].copy_from_slice(&(len as u32).to_le_bytes());
        self.frame[4..12].copy_from_slice(&self.sent.to_le_bytes());
        self.frame[12..16].copy_from_slice(&hash.to_le_bytes());
        self.sent += 1;
        self.written = 0;
    }
}

/// The peer's frames as they arrive, checked one by one.
struct Incoming {
    buffer: Vec<u8>,
    chunk: Vec<u8>,
    frames: u64,
    /// The longest payload a frame may carry: anything longer is a torn header.
    max_len: usize,
}

impl Incoming {
    fn new(plan: &Plan) -> Self {
        Incoming {
            buffer: Vec::new(),
            chunk: vec![0; 2 * plan.capacity],
            frames: 0,
            // The stress tests' 64 MiB frames are larger than twice the ring.
            max_len: (2 * plan.capacity).max(64 << 20),
        }
    }

    /// Reads a random amount of what is there and checks every frame it completes.
    fn pump(&mut self, consumer: &mut Consumer, rng: &mut fastrand::Rng) -> Result<usize, Fault> {
        let want = rng.usize(1..=self.chunk.len());
        let n = consumer.read(&mut self.chunk[..want]);
        self.buffer.extend_from_slice(&self.chunk[..n]);
        let mut at = 0;
        while let Some(header) = self.buffer.get(at..at + FRAME_HEADER) {
            let len = u32::from_le_bytes(header[..4].try_into().unwrap()) as usize;
            let seq = u64::from_le_bytes(header[4..12].try_into().unwrap());
            let hash = u32::from_le_bytes(header[12..16].try_into().unwrap());
            let expected = self.frames;
            if seq > expected {
                return Err(Fault::Lost { expected, got: seq });
            }
            if seq < expected {
                return Err(Fault::Duplicated { expected, got: seq });
            }
            if len > self.max_len {
                return Err(Fault::Length {
                    seq,
                    len,
                    max: self.max_len,
                });
            }
            let Some(payload) = self.buffer.get(at + FRAME_HEADER..at + FRAME_HEADER + len) else {
                break;
            };
            if fnv1a32(payload) != hash {
                return Err(Fault::Checksum { seq, len });
            }
            self.frames += 1;
            at += FRAME_HEADER + len;
        }
        self.buffer.drain(..at);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::fnv1a32;

    #[test]
    fn fnv1a32_matches_the_published_vectors() {
        // From the FNV authors' test suite (isthe.com/chongo/src/fnv/test_fnv.c).
        assert_eq!(fnv1a32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a32(b"foobar"), 0xbf9c_f968);
    }
}
