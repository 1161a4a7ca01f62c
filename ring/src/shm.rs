//! The two byte rings and the view of the shared mapping they live in: the one module of
//! this crate allowed `unsafe` (`lib.rs` lifts the crate's `deny` for it alone).
//!
//! Each ring is single-producer single-consumer over free-running `u64` byte counts: the
//! producer alone advances `tail`, the consumer alone advances `head`, a byte's position is
//! its index modulo the capacity (a power of two), and `tail - head` (wrapping) is what is
//! buffered. Bytes are handed over by a release store of an index and taken by an acquire
//! load of it. The sleep words and the full fences around them make sure a side never
//! blocks on its doorbell while the other believes it need not ring
//! (see [`Consumer::prepare_to_sleep`] and [`Producer::needs_ring`]).
//!
//! Unsafe code here is confined to three places: viewing the mapping as the header's
//! atomics, viewing a ring's bytes as cells, and copying bytes into and out of those cells
//! when the protocol says they are ours. Under `--cfg loom` the rings live on the heap
//! with loom's atomics and cells instead of a mapping, and loom checks those copies too.

use std::fmt;
use std::sync::Arc;

use crate::layout::{RingControl, TO_PROCESSOR, TO_WRAPPER};
use crate::sync::{AtomicU64, Ordering, UnsafeCell};

/// Which end of a segment a process holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// Creates the segment, writes the `to_wrapper` ring and reads `to_processor`.
    Processor,
    /// Opens the segment, writes the `to_processor` ring and reads `to_wrapper`.
    Wrapper,
}

impl Side {
    /// The ring this side writes and the one it reads.
    fn rings(self) -> (usize, usize) {
        match self {
            Side::Processor => (TO_WRAPPER, TO_PROCESSOR),
            Side::Wrapper => (TO_PROCESSOR, TO_WRAPPER),
        }
    }
}

/// One side's two halves: the only producer of the ring it writes and the only consumer
/// of the ring it reads. Neither half can be cloned, so within a process each ring has one
/// writer and one reader; across processes the wrapper's claim in the header makes sure
/// only one process opens the other end.
#[derive(Debug)]
pub struct Endpoint {
    /// Writes this side's outgoing bytes.
    pub producer: Producer,
    /// Reads this side's incoming bytes.
    pub consumer: Consumer,
}

impl Endpoint {
    fn new(rings: Arc<Rings>, side: Side) -> Self {
        let (out, into) = side.rings();
        Endpoint {
            producer: Producer::new(Arc::clone(&rings), out),
            consumer: Consumer::new(rings, into),
        }
    }
}

/// A mapped segment, checked to be large and aligned enough for the header.
#[cfg(not(loom))]
pub(crate) struct Mapping {
    map: memmap2::MmapRaw,
}

#[cfg(not(loom))]
impl Mapping {
    /// Takes `map` if it can hold the header at its start.
    pub(crate) fn new(map: memmap2::MmapRaw) -> Option<Self> {
        let fits = map.len() >= crate::layout::DATA_OFFSET
            && map
                .as_ptr()
                .align_offset(std::mem::align_of::<crate::layout::Header>())
                == 0;
        fits.then_some(Mapping { map })
    }

    /// Length of the mapping in bytes.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// The header's words.
    pub(crate) fn header(&self) -> &crate::layout::Header {
        // SAFETY: `new` checked that the mapping starts with `DATA_OFFSET` bytes (at least
        // `size_of::<Header>()`, asserted in `layout`) aligned for `Header`. `Header` is
        // atomics and padding only, valid for any bit pattern (a new file's zeros or
        // whatever a peer stored), and every process touches these words through atomic
        // operations only. The reference cannot outlive `self`, which keeps the mapping.
        unsafe { &*self.map.as_ptr().cast::<crate::layout::Header>() }
    }
}

/// Both rings' memory: a mapped segment, or under loom a heap stand-in with loom's types.
#[cfg(not(loom))]
struct Rings {
    map: Mapping,
    capacity: usize,
}

#[cfg(not(loom))]
impl Rings {
    fn control(&self, ring: usize) -> &RingControl {
        &self.map.header().rings[ring]
    }

    fn data(&self, ring: usize) -> &[UnsafeCell<u8>] {
        assert!(ring < 2, "a segment has two rings");
        let offset = crate::layout::data_offset(ring, self.capacity);
        // SAFETY: `split` asserted that the mapping holds the whole segment, so
        // `offset..offset + capacity` lies inside it, and the mapping is writable.
        // `UnsafeCell<u8>` has the layout of `u8` and any byte is a valid `u8`; the cells
        // declare that these bytes change behind shared references, as they do (the peer
        // writes them, and so do we through `copy_in`). The slice cannot outlive `self`.
        unsafe {
            std::slice::from_raw_parts(
                self.map
                    .map
                    .as_mut_ptr()
                    .add(offset)
                    .cast::<UnsafeCell<u8>>(),
                self.capacity,
            )
        }
    }

    fn full_fence(&self) {
        crate::sync::fence(Ordering::SeqCst);
    }
}

/// One side's halves of the segment in `map`, whose rings hold `capacity` bytes each.
///
/// Takes the mapping by value so that each mapping yields one endpoint: creating a second
/// producer of the same ring is impossible from safe code.
#[cfg(not(loom))]
pub(crate) fn split(map: Mapping, capacity: usize, side: Side) -> Endpoint {
    assert!(
        crate::layout::is_valid_capacity(capacity)
            && crate::layout::segment_len(capacity) <= map.len(),
        "a mapping of {} bytes cannot hold two rings of {capacity}",
        map.len()
    );
    Endpoint::new(Arc::new(Rings { map, capacity }), side)
}

#[cfg(loom)]
struct Rings {
    controls: [RingControl; 2],
    data: [Box<[UnsafeCell<u8>]>; 2],
    capacity: usize,
    fences: bool,
}

// SAFETY: loom's cells are not `Sync`, as std's are not; sharing them between the two
// halves is exactly what the ring protocol makes sound, and loom checks every access to
// them against that protocol.
#[cfg(loom)]
unsafe impl Sync for Rings {}

#[cfg(loom)]
impl Rings {
    fn control(&self, ring: usize) -> &RingControl {
        &self.controls[ring]
    }

    fn data(&self, ring: usize) -> &[UnsafeCell<u8>] {
        &self.data[ring]
    }

    fn full_fence(&self) {
        if self.fences {
            crate::sync::fence(Ordering::SeqCst);
        }
    }
}

/// Both sides' endpoints over two heap rings of `capacity` (any power of two), for the loom
/// models. `fences: false` drops the full fences, to show that loom then finds a lost wake-up.
#[cfg(loom)]
pub(crate) fn heap_pair(capacity: usize, fences: bool) -> (Endpoint, Endpoint) {
    assert!(capacity.is_power_of_two());
    let cells = || (0..capacity).map(|_| UnsafeCell::new(0)).collect();
    let rings = Arc::new(Rings {
        controls: [RingControl::new(), RingControl::new()],
        data: [cells(), cells()],
        capacity,
        fences,
    });
    (
        Endpoint::new(Arc::clone(&rings), Side::Processor),
        Endpoint::new(rings, Side::Wrapper),
    )
}

/// The writing half of one ring.
///
/// After a [`write`](Producer::write) that moved bytes, and before this side blocks on
/// anything, call [`needs_ring`](Producer::needs_ring) and ring the peer's doorbell if it
/// says so (once after a batch of writes is enough).
pub struct Producer {
    rings: Arc<Rings>,
    ring: usize,
    /// Our `tail`: we alone write it, so this copy is always current.
    tail: u64,
    /// The consumer's `head` when last read; reading it again only when this copy says
    /// the ring is full keeps us off the consumer's cache line.
    head: u64,
    sleeper: Sleeper,
}

impl Producer {
    fn new(rings: Arc<Rings>, ring: usize) -> Self {
        let control = rings.control(ring);
        // SYNC POINT: relaxed: only this half ever stores `tail`.
        let tail = control.producer.tail.load(Ordering::Relaxed);
        // SYNC POINT: acquire, as in `free`.
        let head = control.consumer.head.load(Ordering::Acquire);
        let sleeper = Sleeper::new(&control.producer.producer_sleep);
        Producer {
            rings,
            ring,
            tail,
            head,
            sleeper,
        }
    }

    /// How many bytes the ring can hold.
    pub fn capacity(&self) -> usize {
        self.rings.capacity
    }

    /// Bytes that can be written now, reading the consumer's `head` afresh.
    pub fn free(&mut self) -> usize {
        // SYNC POINT: acquire pairs with the consumer's release of `head` in `read`: its
        // copies out of the bytes we are about to reuse happen before our copies into them.
        self.head = self.control().consumer.head.load(Ordering::Acquire);
        self.cached_free()
    }

    fn cached_free(&self) -> usize {
        // A peer that broke the protocol could make this exceed the capacity: clamp, so
        // the worst it can do is stall this ring.
        let used = self
            .tail
            .wrapping_sub(self.head)
            .min(self.rings.capacity as u64);
        self.rings.capacity - used as usize
    }

    /// Writes as much of `src` as fits and publishes it; returns how much that was.
    pub fn write(&mut self, src: &[u8]) -> usize {
        let mut free = self.cached_free();
        if free < src.len() {
            free = self.free();
        }
        let n = free.min(src.len());
        if n == 0 {
            return 0;
        }
        let (first, second) = pieces(self.tail, n, self.rings.capacity);
        let data = self.rings.data(self.ring);
        // SAFETY: the bytes at `tail..tail + n` are ours: `n <= free`, so the consumer has
        // released them (head was acquired), and it will not read them before we publish
        // the new `tail` below; we are the ring's only producer (see `split`).
        unsafe {
            copy_in(&data[first.clone()], &src[..first.len()]);
            copy_in(&data[second], &src[first.len()..n]);
        }
        self.tail = self.tail.wrapping_add(n as u64);
        // SYNC POINT: release publishes the bytes copied above to the consumer's acquire
        // load of `tail`.
        self.control()
            .producer
            .tail
            .store(self.tail, Ordering::Release);
        n
    }

    /// Whether the consumer sleeps on its doorbell and must be rung, after this half
    /// published bytes. True at most once per sleep.
    pub fn needs_ring(&mut self) -> bool {
        let consumer_sleep = &self.rings.control(self.ring).consumer.consumer_sleep;
        self.sleeper.should_ring(&self.rings, consumer_sleep)
    }

    /// Announces that this half will block on its doorbell until the consumer frees space.
    ///
    /// Returns `true` when the ring is still full, so blocking is safe: the consumer will
    /// ring once it has read. Returns `false`, having withdrawn the announcement, when
    /// space appeared meanwhile. After blocking, call [`cancel_sleep`](Self::cancel_sleep).
    pub fn prepare_to_sleep(&mut self) -> bool {
        let producer_sleep = &self.rings.control(self.ring).producer.producer_sleep;
        self.sleeper.announce(&self.rings, producer_sleep);
        if self.free() > 0 {
            self.cancel_sleep();
            return false;
        }
        true
    }

    /// Ends a sleep announced by [`prepare_to_sleep`](Self::prepare_to_sleep): call it
    /// after waking, whatever woke this side. Costs nothing when none is announced.
    pub fn cancel_sleep(&mut self) {
        self.sleeper
            .withdraw(&self.rings.control(self.ring).producer.producer_sleep);
    }

    fn control(&self) -> &RingControl {
        self.rings.control(self.ring)
    }
}

impl fmt::Debug for Producer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("ring", &self.ring)
            .field("tail", &self.tail)
            .field("head", &self.head)
            .finish_non_exhaustive()
    }
}

/// The reading half of one ring.
///
/// After a [`read`](Consumer::read) that moved bytes, and before this side blocks on
/// anything, call [`needs_ring`](Consumer::needs_ring) and ring the peer's doorbell if it
/// says so.
pub struct Consumer {
    rings: Arc<Rings>,
    ring: usize,
    /// Our `head`: we alone write it.
    head: u64,
    /// The producer's `tail` when last read.
    tail: u64,
    sleeper: Sleeper,
}

impl Consumer {
    fn new(rings: Arc<Rings>, ring: usize) -> Self {
        let control = rings.control(ring);
        // SYNC POINT: relaxed: only this half ever stores `head`.
        let head = control.consumer.head.load(Ordering::Relaxed);
        // SYNC POINT: acquire, as in `available`.
        let tail = control.producer.tail.load(Ordering::Acquire);
        let sleeper = Sleeper::new(&control.consumer.consumer_sleep);
        Consumer {
            rings,
            ring,
            head,
            tail,
            sleeper,
        }
    }

    /// How many bytes the ring can hold.
    pub fn capacity(&self) -> usize {
        self.rings.capacity
    }

    /// Bytes that can be read now, reading the producer's `tail` afresh.
    pub fn available(&mut self) -> usize {
        // SYNC POINT: acquire pairs with the producer's release of `tail` in `write`: its
        // copies into the bytes up to `tail` happen before our copies out of them.
        self.tail = self.control().producer.tail.load(Ordering::Acquire);
        self.cached_available()
    }

    fn cached_available(&self) -> usize {
        // Clamped like `Producer::cached_free`: a broken peer yields garbage, never an
        // access outside the ring.
        self.tail
            .wrapping_sub(self.head)
            .min(self.rings.capacity as u64) as usize
    }

    /// Reads as many bytes as are buffered, up to `dst.len()`, and releases their space;
    /// returns how many.
    pub fn read(&mut self, dst: &mut [u8]) -> usize {
        let mut available = self.cached_available();
        if available < dst.len() {
            available = self.available();
        }
        let n = available.min(dst.len());
        if n == 0 {
            return 0;
        }
        let (first, second) = pieces(self.head, n, self.rings.capacity);
        let data = self.rings.data(self.ring);
        let split = first.len();
        // SAFETY: the bytes at `head..head + n` are ours: `n <= tail - head`, so the
        // producer has published them (tail was acquired), and it will not overwrite them
        // before we release them by storing `head` below; we are the only consumer.
        unsafe {
            copy_out(&data[first], &mut dst[..split]);
            copy_out(&data[second], &mut dst[split..n]);
        }
        self.head = self.head.wrapping_add(n as u64);
        // SYNC POINT: release hands the space back: our copies above happen before the
        // producer, acquiring `head`, writes there again.
        self.control()
            .consumer
            .head
            .store(self.head, Ordering::Release);
        n
    }

    /// Whether the producer sleeps waiting for space and must be rung, after this half
    /// freed some. True at most once per sleep.
    pub fn needs_ring(&mut self) -> bool {
        let producer_sleep = &self.rings.control(self.ring).producer.producer_sleep;
        self.sleeper.should_ring(&self.rings, producer_sleep)
    }

    /// Announces that this half will block on its doorbell until the producer writes.
    ///
    /// Returns `true` when the ring is still empty, so blocking is safe: the producer will
    /// ring once it has written. Returns `false`, having withdrawn the announcement, when
    /// bytes arrived meanwhile. After blocking, call [`cancel_sleep`](Self::cancel_sleep).
    pub fn prepare_to_sleep(&mut self) -> bool {
        let consumer_sleep = &self.rings.control(self.ring).consumer.consumer_sleep;
        self.sleeper.announce(&self.rings, consumer_sleep);
        if self.available() > 0 {
            self.cancel_sleep();
            return false;
        }
        true
    }

    /// Ends a sleep announced by [`prepare_to_sleep`](Self::prepare_to_sleep): call it
    /// after waking, whatever woke this side. Costs nothing when none is announced.
    pub fn cancel_sleep(&mut self) {
        self.sleeper
            .withdraw(&self.rings.control(self.ring).consumer.consumer_sleep);
    }

    fn control(&self) -> &RingControl {
        self.rings.control(self.ring)
    }
}

impl fmt::Debug for Consumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("ring", &self.ring)
            .field("head", &self.head)
            .field("tail", &self.tail)
            .finish_non_exhaustive()
    }
}

/// The ring positions of `n` bytes from `index`: up to the end of the ring, then from its
/// start.
fn pieces(
    index: u64,
    n: usize,
    capacity: usize,
) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
    let start = (index & (capacity as u64 - 1)) as usize;
    let first = n.min(capacity - start);
    (start..start + first, 0..n - first)
}

/// One half's part in the wake-up protocol. Each sleep word has one writer, its owner,
/// which makes it odd to announce a sleep and even again to end it; the peer rings for an
/// odd value once. (A flag that the peer clears would make two writers of one word.)
///
/// The two full fences, one in `announce` and one in `should_ring`, are what no wake-up
/// is lost by. The sleeper stores its announcement, fences, and reads the index it waits
/// on; the other half stores that index (in `write` or `read`), fences, and reads the
/// announcement. Of two SeqCst fences one comes first, so either the sleeper sees the
/// change and stays awake, or the other half sees the announcement and rings. Without them
/// each may read the other's old value (store buffering), and the sleeper sleeps on a
/// change nobody rings for.
struct Sleeper {
    /// The value of our own sleep word: we alone write it, so this copy is current.
    own: u64,
    /// The peer's sleep word when we last rang for it.
    rung: u64,
}

impl Sleeper {
    fn new(own_word: &AtomicU64) -> Self {
        Sleeper {
            // SYNC POINT: relaxed: only this half ever stores its own sleep word.
            own: own_word.load(Ordering::Relaxed),
            rung: 0,
        }
    }

    /// Announces a sleep; the caller then reads its index again.
    fn announce(&mut self, rings: &Rings, own_word: &AtomicU64) {
        if self.own % 2 == 0 {
            self.own = self.own.wrapping_add(1);
            // SYNC POINT: relaxed: the full fence below orders it before the index read.
            own_word.store(self.own, Ordering::Relaxed);
        }
        // SYNC POINT: full fence between the announcement and the caller's index read;
        // pairs with the one in the peer's `should_ring` (see above).
        rings.full_fence();
    }

    fn withdraw(&mut self, own_word: &AtomicU64) {
        if self.own % 2 == 1 {
            self.own = self.own.wrapping_add(1);
            // SYNC POINT: relaxed: a peer that reads the old, odd value rings once more,
            // which costs one spurious wake-up and loses nothing.
            own_word.store(self.own, Ordering::Relaxed);
        }
    }

    /// After the caller moved its index: whether the peer announced a sleep that we have
    /// not rung for yet.
    fn should_ring(&mut self, rings: &Rings, peer_word: &AtomicU64) -> bool {
        // SYNC POINT: full fence between the caller's index store and reading the peer's
        // announcement; pairs with the one in the peer's `announce` (see above).
        rings.full_fence();
        // SYNC POINT: relaxed: the fence orders it; the doorbell's syscalls order the rest.
        let seen = peer_word.load(Ordering::Relaxed);
        if seen % 2 == 1 && seen != self.rung {
            self.rung = seen;
            return true;
        }
        false
    }
}

/// Copies `src` into `cells`, which have its length.
///
/// # Safety
///
/// Nothing else reads or writes `cells` meanwhile: the ring protocol has given them to the
/// caller.
#[cfg(not(loom))]
unsafe fn copy_in(cells: &[UnsafeCell<u8>], src: &[u8]) {
    assert_eq!(cells.len(), src.len());
    // SAFETY: `UnsafeCell<u8>` has the layout of `u8` and may be written through a shared
    // reference, so `cells` is `src.len()` writable bytes, which by the caller's promise
    // no one else touches. `src` is ordinary memory (safe code cannot borrow the ring's
    // bytes as `&[u8]`), so the two do not overlap. Only a peer process that breaks the
    // protocol could race here, and bytes have no invalid values: it would corrupt the
    // frame, which the codec rejects, not this process.
    unsafe {
        std::ptr::copy_nonoverlapping(src.as_ptr(), UnsafeCell::raw_get(cells.as_ptr()), src.len());
    }
}

/// Copies `cells` into `dst`, which has their length.
///
/// # Safety
///
/// Nothing writes `cells` meanwhile: the ring protocol has given them to the caller.
#[cfg(not(loom))]
unsafe fn copy_out(cells: &[UnsafeCell<u8>], dst: &mut [u8]) {
    assert_eq!(cells.len(), dst.len());
    // SAFETY: as in `copy_in`, with the roles of the two slices swapped; `dst` is borrowed
    // mutably, so it cannot be the ring's bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(
            UnsafeCell::raw_get(cells.as_ptr()).cast_const(),
            dst.as_mut_ptr(),
            dst.len(),
        );
    }
}

#[cfg(loom)]
unsafe fn copy_in(cells: &[UnsafeCell<u8>], src: &[u8]) {
    assert_eq!(cells.len(), src.len());
    for (cell, &byte) in cells.iter().zip(src) {
        // SAFETY: the caller's promise, as in the mapped `copy_in`; loom checks it, failing
        // the model if this write is not ordered after the consumer's last read of the cell.
        cell.with_mut(|p| unsafe { p.write(byte) });
    }
}

#[cfg(loom)]
unsafe fn copy_out(cells: &[UnsafeCell<u8>], dst: &mut [u8]) {
    assert_eq!(cells.len(), dst.len());
    for (cell, byte) in cells.iter().zip(dst) {
        // SAFETY: the caller's promise, as in the mapped `copy_out`; loom checks that the
        // producer's write of the cell happens before this read.
        *byte = cell.with(|p| unsafe { p.read() });
    }
}

#[cfg(test)]
mod tests {
    use super::pieces;

    #[test]
    fn pieces_split_at_the_end_of_the_ring() {
        assert_eq!(pieces(0, 10, 64), (0..10, 0..0));
        assert_eq!(pieces(60, 10, 64), (60..64, 0..6));
        assert_eq!(pieces(64 + 60, 4, 64), (60..64, 0..0));
        assert_eq!(pieces(u64::MAX, 2, 64), (63..64, 0..1));
        assert_eq!(pieces(5, 64, 64), (5..64, 0..5));
    }
}
