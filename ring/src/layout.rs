//! Where everything lies in a segment: the contract every language maps, written out in
//! `schemas/PROTOCOL.md` ("shm") and as data in `schemas/shm-layout.json`.
//!
//! All integers are native-endian (little-endian on every platform ferrite runs on) and
//! accessed only atomically. Offsets are in bytes from the start of the segment.

#[cfg(not(loom))]
use crate::sync::AtomicU32;
use crate::sync::AtomicU64;

/// The segment's first four bytes, `FRNG`.
pub const MAGIC: u32 = u32::from_le_bytes(*b"FRNG");
/// Layout version: a reader refuses any other.
pub const VERSION: u32 = 1;

/// Offset of the magic (`u32`).
pub const MAGIC_OFFSET: usize = 0;
/// Offset of the layout version (`u32`).
pub const VERSION_OFFSET: usize = 4;
/// Offset of the capacity of each ring in bytes (`u64`).
pub const CAPACITY_OFFSET: usize = 8;
/// Offset of the wrapper's claim on its halves (`u32`, 0 then 1): a second opener is refused.
pub const ATTACHED_OFFSET: usize = 16;

/// Spacing of the words that different sides write: 128 bytes, two 64-byte cache lines,
/// because x86's adjacent-line prefetcher pulls lines in pairs (crossbeam's `CachePadded`
/// pads to 128 for the same reason).
pub const LINE: usize = 128;

/// Index of the ring the processor writes and the wrapper reads.
pub const TO_WRAPPER: usize = 0;
/// Index of the ring the wrapper writes and the processor reads.
pub const TO_PROCESSOR: usize = 1;
/// Offset of each ring's control block, by ring index.
pub const RING_CONTROL_OFFSETS: [usize; 2] = [LINE, 3 * LINE];

/// Offset within a control block of `tail` (`u64`): bytes written so far, by the producer.
pub const TAIL_OFFSET: usize = 0;
/// Offset within a control block of `producer_sleep` (`u64`): how often the producer has
/// announced or ended a sleep waiting for space; odd while it sleeps (or is about to).
pub const PRODUCER_SLEEP_OFFSET: usize = 8;
/// Offset within a control block of `head` (`u64`): bytes read so far, by the consumer.
pub const HEAD_OFFSET: usize = LINE;
/// Offset within a control block of `consumer_sleep` (`u64`): how often the consumer has
/// announced or ended a sleep waiting for data; odd while it sleeps (or is about to).
pub const CONSUMER_SLEEP_OFFSET: usize = LINE + 8;

/// Offset of the first ring's bytes; the second's follow at `DATA_OFFSET + capacity`.
/// A page, so the data areas are page-aligned.
pub const DATA_OFFSET: usize = 4096;
/// Smallest capacity a segment accepts (tests use small rings to wrap often).
pub const MIN_CAPACITY: usize = 64;
/// Largest capacity a segment accepts: 1 GiB per ring.
pub const MAX_CAPACITY: usize = 1 << 30;

/// Whether `capacity` is one a segment may have: a power of two within the limits.
pub const fn is_valid_capacity(capacity: usize) -> bool {
    capacity.is_power_of_two() && capacity >= MIN_CAPACITY && capacity <= MAX_CAPACITY
}

/// Size of a segment whose rings hold `capacity` bytes each.
pub const fn segment_len(capacity: usize) -> usize {
    DATA_OFFSET + 2 * capacity
}

/// Offset of ring `ring`'s bytes in a segment of `capacity`.
pub const fn data_offset(ring: usize, capacity: usize) -> usize {
    DATA_OFFSET + ring * capacity
}

/// The words at the start of a segment, exactly as laid out above. (Loom's models keep
/// only the rings' control blocks, on the heap.)
#[cfg(not(loom))]
#[repr(C)]
pub(crate) struct Header {
    pub(crate) segment: SegmentWords,
    pub(crate) rings: [RingControl; 2],
}

/// Written once by the creator (then `attached` once by the wrapper).
#[cfg(not(loom))]
#[repr(C, align(128))]
pub(crate) struct SegmentWords {
    pub(crate) magic: AtomicU32,
    pub(crate) version: AtomicU32,
    pub(crate) capacity: AtomicU64,
    pub(crate) attached: AtomicU32,
}

/// One ring's indices and sleep words, each side's on its own line.
#[repr(C)]
pub(crate) struct RingControl {
    pub(crate) producer: ProducerLine,
    pub(crate) consumer: ConsumerLine,
}

/// What the producer writes: its index, and its sleeps waiting for space.
#[repr(C, align(128))]
pub(crate) struct ProducerLine {
    pub(crate) tail: AtomicU64,
    pub(crate) producer_sleep: AtomicU64,
}

/// What the consumer writes: its index, and its sleeps waiting for data.
#[repr(C, align(128))]
pub(crate) struct ConsumerLine {
    pub(crate) head: AtomicU64,
    pub(crate) consumer_sleep: AtomicU64,
}

#[cfg(loom)]
impl RingControl {
    /// A control block of an empty ring, on the heap, for the loom models.
    pub(crate) fn new() -> Self {
        RingControl {
            producer: ProducerLine {
                tail: AtomicU64::new(0),
                producer_sleep: AtomicU64::new(0),
            },
            consumer: ConsumerLine {
                head: AtomicU64::new(0),
                consumer_sleep: AtomicU64::new(0),
            },
        }
    }
}

// The structs are the constants: checked at compile time (std's atomics have their
// integer's size and alignment; loom's do not, and are never mapped).
#[cfg(not(loom))]
const _: () = {
    use std::mem::{align_of, offset_of, size_of};
    assert!(offset_of!(SegmentWords, magic) == MAGIC_OFFSET);
    assert!(offset_of!(SegmentWords, version) == VERSION_OFFSET);
    assert!(offset_of!(SegmentWords, capacity) == CAPACITY_OFFSET);
    assert!(offset_of!(SegmentWords, attached) == ATTACHED_OFFSET);
    assert!(size_of::<SegmentWords>() == LINE);
    assert!(offset_of!(Header, rings) == RING_CONTROL_OFFSETS[0]);
    assert!(offset_of!(Header, rings) + size_of::<RingControl>() == RING_CONTROL_OFFSETS[1]);
    assert!(offset_of!(RingControl, producer) + offset_of!(ProducerLine, tail) == TAIL_OFFSET);
    assert!(
        offset_of!(RingControl, producer) + offset_of!(ProducerLine, producer_sleep)
            == PRODUCER_SLEEP_OFFSET
    );
    assert!(offset_of!(RingControl, consumer) + offset_of!(ConsumerLine, head) == HEAD_OFFSET);
    assert!(
        offset_of!(RingControl, consumer) + offset_of!(ConsumerLine, consumer_sleep)
            == CONSUMER_SLEEP_OFFSET
    );
    assert!(size_of::<RingControl>() == 2 * LINE);
    assert!(size_of::<Header>() <= DATA_OFFSET);
    assert!(align_of::<Header>() == LINE);
    assert!(DATA_OFFSET % align_of::<Header>() == 0);
};
