using System;
using System.Globalization;
using System.IO;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.Win32.SafeHandles;

// The shm transport's two single-producer single-consumer byte rings in one mapped segment,
// the same steps as the Rust crate ferrite-ring (ring/src/shm.rs and segment.rs) on the
// same layout (PROTOCOL.md section 2, "shm"; ShmLayout.cs). The only file of the wrapper
// with `unsafe`: it is confined to ShmEndpoint's few private accessors of the mapping below,
// each with a SAFETY comment; the rings' logic above them is safe code.
//
// C# has no relaxed atomic load or store: Volatile.Read is an acquire and Volatile.Write a
// release, the weakest accesses that are atomic and that the JIT may neither tear nor cache
// in a register, so the "relaxed" steps of the protocol use them too (stronger is allowed).
namespace Ferrite.Wrapper.Transport
{
    /// <summary>A segment that could not be created, opened or claimed: the message says which and why.</summary>
    public sealed class ShmSegmentException : IOException
    {
        public ShmSegmentException(string message, Exception inner = null)
            : base(message, inner)
        {
        }
    }

    /// <summary>
    /// One side's halves of a mapped segment: the only producer of the ring it writes and
    /// the only consumer of the ring it reads. <see cref="Create"/> makes the processor's
    /// side (for tests; the processor makes the real one), <see cref="Open"/> the wrapper's.
    ///
    /// Dispose unmaps the segment, though not while a <see cref="Pin"/> holds it: a caller
    /// that may race Dispose (a handler's thread logging while the worker ends) pins around
    /// each use, and then gets an <see cref="ObjectDisposedException"/>, not a dangling pointer.
    /// </summary>
    public sealed class ShmEndpoint : IDisposable
    {
        private readonly MemoryMappedFile file;
        private readonly MemoryMappedViewAccessor view;
        private readonly SafeMemoryMappedViewHandle handle;

        /// <summary>The mapping's first byte; valid until Dispose and the last Unpin, checked to hold <see cref="length"/> bytes.</summary>
        private readonly IntPtr start;
        private readonly long length;
        private int disposed;

        private ShmEndpoint(FileStream stream)
        {
            length = stream.Length;
            file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, false);
            try
            {
                view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.ReadWrite);
                handle = view.SafeMemoryMappedViewHandle;
                // SAFETY: AcquirePointer only writes the address to the local; it counts a
                // reference on the view's handle, released by Dispose, so the mapping stays
                // while `start` is used (and while pinned, past Dispose).
                unsafe
                {
                    byte* pointer = null;
                    handle.AcquirePointer(ref pointer);
                    start = (IntPtr)(pointer + view.PointerOffset);
                }
            }
            catch
            {
                if (view != null)
                {
                    view.Dispose();
                }
                file.Dispose();
                throw;
            }
            if (view.Capacity < length || ((long)start & 7) != 0)
            {
                Dispose();
                throw new InvalidOperationException("the mapping of the segment is shorter than its file or misaligned");
            }
        }

        public ShmProducer Producer { get; private set; }

        public ShmConsumer Consumer { get; private set; }

        /// <summary>How many bytes each ring holds.</summary>
        public long Capacity { get; private set; }

        /// <summary>
        /// Creates a segment at <paramref name="path"/> (which must not exist) with rings of
        /// <paramref name="capacity"/> bytes; the processor's side.
        /// </summary>
        public static ShmEndpoint Create(string path, long capacity)
        {
            if (!ShmLayout.IsValidCapacity(capacity))
            {
                throw new ShmSegmentException(string.Format(
                    CultureInfo.InvariantCulture,
                    "ring capacity {0} is not a power of two from {1} to {2} bytes",
                    capacity,
                    ShmLayout.MinCapacity,
                    ShmLayout.MaxCapacity));
            }
            var end = Map(path, FileMode.CreateNew, ShmLayout.SegmentLength(capacity));
            // SYNC POINT: relaxed (a release here), published by the release of the magic below.
            end.StoreInt(ShmLayout.VersionOffset, (int)ShmLayout.Version);
            // SYNC POINT: relaxed (a release here), published by the release of the magic below.
            end.Store(ShmLayout.CapacityOffset, capacity);
            // SYNC POINT: release: an opener that acquires the magic sees the words above.
            end.StoreInt(ShmLayout.MagicOffset, unchecked((int)ShmLayout.Magic));
            end.Split(capacity, ShmLayout.ToWrapper, ShmLayout.ToProcessor);
            return end;
        }

        /// <summary>
        /// Opens the segment a processor made at <paramref name="path"/> and claims it; the
        /// wrapper's side. Only one opener succeeds.
        /// </summary>
        public static ShmEndpoint Open(string path)
        {
            var end = Map(path, FileMode.Open, -1);
            try
            {
                Func<string, ShmSegmentException> layoutError = reason => new ShmSegmentException(
                    path + " is not a ferrite segment of layout version " + ShmLayout.Version + ": " + reason);
                // SYNC POINT: acquire pairs with the creator's release of the magic.
                uint magic = unchecked((uint)end.LoadInt(ShmLayout.MagicOffset));
                if (magic != ShmLayout.Magic)
                {
                    throw layoutError("magic is 0x" + magic.ToString("x8", CultureInfo.InvariantCulture));
                }
                // SYNC POINT: relaxed (an acquire here), ordered by the acquire of the magic.
                uint version = unchecked((uint)end.LoadInt(ShmLayout.VersionOffset));
                if (version != ShmLayout.Version)
                {
                    throw layoutError("layout version is " + version);
                }
                // SYNC POINT: relaxed (an acquire here), ordered by the acquire of the magic.
                long capacity = end.Load(ShmLayout.CapacityOffset);
                if (!ShmLayout.IsValidCapacity(capacity))
                {
                    throw layoutError("capacity is " + unchecked((ulong)capacity));
                }
                if (end.length != ShmLayout.SegmentLength(capacity))
                {
                    throw layoutError(end.length + " bytes long, but rings of " + capacity + " need " + ShmLayout.SegmentLength(capacity));
                }
                // SYNC POINT: the claim decides who may use the wrapper's halves and
                // publishes nothing else; CompareExchange is a full fence, more than needed.
                if (end.ClaimAttached() != 0)
                {
                    throw new ShmSegmentException("shared-memory segment " + path + " is already open by a wrapper");
                }
                end.Split(capacity, ShmLayout.ToProcessor, ShmLayout.ToWrapper);
                return end;
            }
            catch
            {
                end.Dispose();
                throw;
            }
        }

        /// <summary>Opens (or creates, sized to <paramref name="size"/>) the file and maps all of it.</summary>
        private static ShmEndpoint Map(string path, FileMode mode, long size)
        {
            FileStream stream;
            try
            {
                stream = new FileStream(path, mode, FileAccess.ReadWrite, FileShare.ReadWrite);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new ShmSegmentException("shared-memory segment " + path + ": " + e.Message, e);
            }
            try
            {
                if (size >= 0)
                {
                    // A new file reads as zeros: empty rings, nobody asleep, nobody attached.
                    stream.SetLength(size);
                }
                if (stream.Length < ShmLayout.DataOffset)
                {
                    throw new ShmSegmentException(path + " is not a ferrite segment of layout version " + ShmLayout.Version + ": too short for the header");
                }
                // The mapping keeps what it needs of the file; the stream closes with it.
                return new ShmEndpoint(stream);
            }
            catch
            {
                stream.Dispose();
                throw;
            }
        }

        private void Split(long capacity, int outgoing, int incoming)
        {
            Capacity = capacity;
            Producer = new ShmProducer(this, outgoing, capacity);
            Consumer = new ShmConsumer(this, incoming, capacity);
        }

        /// <summary>Keeps the mapping until <see cref="Unpin"/>, even if disposed meanwhile; throws once disposed.</summary>
        public void Pin()
        {
            bool added = false;
            handle.DangerousAddRef(ref added);
        }

        public void Unpin()
        {
            handle.DangerousRelease();
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0)
            {
                return;
            }
            handle.ReleasePointer();
            view.Dispose();
            file.Dispose();
        }

        // The accessors of the mapping: every read and write of the segment goes through
        // one of these. `offset` is always one of ShmLayout's word offsets (below
        // DataOffset, aligned for its type), or, in the copies, a range of a ring's data
        // area that ShmProducer or ShmConsumer computed from an index masked to the
        // capacity, inside `length` because Split is only called once `length` was checked
        // to be SegmentLength(capacity).

        /// <summary>An acquire load of the u64 at <paramref name="offset"/>.</summary>
        internal long Load(long offset)
        {
            // SAFETY: `offset` names an aligned u64 of the header inside the mapping (see
            // above), which stays mapped while the caller uses this endpoint; another
            // process writes it concurrently only through atomic accesses, so a volatile
            // (atomic, acquire) read of it is no data race.
            unsafe
            {
                return Volatile.Read(ref *(long*)((byte*)start + offset));
            }
        }

        /// <summary>A release store of the u64 at <paramref name="offset"/>.</summary>
        internal void Store(long offset, long value)
        {
            // SAFETY: as in Load; the caller is the word's only writer (PROTOCOL.md says
            // which side writes each word), so no other store races this one.
            unsafe
            {
                Volatile.Write(ref *(long*)((byte*)start + offset), value);
            }
        }

        private int LoadInt(long offset)
        {
            // SAFETY: as in Load, for one of the header's aligned u32 words.
            unsafe
            {
                return Volatile.Read(ref *(int*)((byte*)start + offset));
            }
        }

        private void StoreInt(long offset, int value)
        {
            // SAFETY: as in Store, for one of the header's aligned u32 words, written only
            // by the segment's creator before any opener can see the magic.
            unsafe
            {
                Volatile.Write(ref *(int*)((byte*)start + offset), value);
            }
        }

        /// <summary>Changes <c>attached</c> from 0 to 1; its old value (0 when the claim is ours).</summary>
        private int ClaimAttached()
        {
            // SAFETY: as in Load, for the aligned u32 `attached`; CompareExchange is atomic
            // against the other opener's, whichever process it runs in.
            unsafe
            {
                return Interlocked.CompareExchange(ref *(int*)((byte*)start + ShmLayout.AttachedOffset), 1, 0);
            }
        }

        /// <summary>The sequentially consistent fence of the wake-up protocol.</summary>
        internal void FullFence()
        {
            // SYNC POINT: full fence; see ShmSleeper for the pair it makes.
            Interlocked.MemoryBarrier();
        }

        /// <summary>Copies <paramref name="count"/> bytes of <paramref name="source"/> to the mapping at <paramref name="offset"/>.</summary>
        internal void CopyIn(long offset, byte[] source, int sourceOffset, int count)
        {
            // SAFETY: `offset .. offset + count` is a range of a ring's data area inside the
            // mapping (see above) that the ring protocol has given to the producer calling
            // this: the consumer released it (its head was acquired) and will not read it
            // before the producer publishes its tail after the copy. Marshal.Copy checks the
            // array's bounds. A peer that broke the protocol could only garble the bytes,
            // which the codec then rejects.
            unsafe
            {
                Marshal.Copy(source, sourceOffset, (IntPtr)((byte*)start + offset), count);
            }
        }

        /// <summary>Copies <paramref name="count"/> bytes of the mapping at <paramref name="offset"/> to <paramref name="destination"/>.</summary>
        internal void CopyOut(long offset, byte[] destination, int destinationOffset, int count)
        {
            // SAFETY: as in CopyIn, with the roles swapped: the producer published these
            // bytes (its tail was acquired) and will not overwrite them before the consumer
            // calling this releases them by storing its head.
            unsafe
            {
                Marshal.Copy((IntPtr)((byte*)start + offset), destination, destinationOffset, count);
            }
        }
    }

    /// <summary>
    /// The writing half of one ring. After a <see cref="Write"/> that moved bytes, and before
    /// blocking on anything, call <see cref="NeedsRing"/> and ring the peer if it says so.
    /// One thread at a time.
    /// </summary>
    public sealed class ShmProducer
    {
        private readonly ShmEndpoint segment;
        private readonly long capacity;
        private readonly long tailAt;
        private readonly long headAt;
        private readonly long ownSleepAt;
        private readonly long peerSleepAt;
        private readonly long dataAt;

        /// <summary>Our tail: we alone write it, so this copy is current.</summary>
        private long tail;

        /// <summary>The consumer's head when last read; read again only when this copy says the ring is full.</summary>
        private long head;

        private readonly ShmSleeper sleeper;

        internal ShmProducer(ShmEndpoint segment, int ring, long capacity)
        {
            this.segment = segment;
            this.capacity = capacity;
            long control = ShmLayout.ControlOffset(ring);
            tailAt = control + ShmLayout.TailOffset;
            headAt = control + ShmLayout.HeadOffset;
            ownSleepAt = control + ShmLayout.ProducerSleepOffset;
            peerSleepAt = control + ShmLayout.ConsumerSleepOffset;
            dataAt = ShmLayout.DataOffsetOf(ring, capacity);
            // SYNC POINT: relaxed: only this half ever stores tail.
            tail = segment.Load(tailAt);
            // SYNC POINT: acquire, as in Free.
            head = segment.Load(headAt);
            sleeper = new ShmSleeper(segment, ownSleepAt, peerSleepAt);
        }

        public long Capacity
        {
            get { return capacity; }
        }

        /// <summary>Bytes that can be written now, reading the consumer's head afresh.</summary>
        public long Free()
        {
            // SYNC POINT: acquire pairs with the consumer's release of head in Read: its
            // copies out of the bytes we are about to reuse happen before our copies in.
            head = segment.Load(headAt);
            return CachedFree();
        }

        private long CachedFree()
        {
            // Clamped: a peer that broke the protocol can stall this ring, no worse.
            ulong used = Math.Min(unchecked((ulong)(tail - head)), (ulong)capacity);
            return capacity - (long)used;
        }

        /// <summary>Writes as much of the <paramref name="count"/> bytes as fits and publishes it; how much that was.</summary>
        public int Write(byte[] source, int offset, int count)
        {
            long free = CachedFree();
            if (free < count)
            {
                free = Free();
            }
            int n = (int)Math.Min(free, count);
            if (n == 0)
            {
                return 0;
            }
            int at = (int)(tail & (capacity - 1));
            int first = (int)Math.Min(n, capacity - at);
            segment.CopyIn(dataAt + at, source, offset, first);
            segment.CopyIn(dataAt, source, offset + first, n - first);
            tail = unchecked(tail + n);
            // SYNC POINT: release publishes the bytes copied above to the consumer's
            // acquire of tail.
            segment.Store(tailAt, tail);
            return n;
        }

        /// <summary>Whether the consumer sleeps waiting for data and must be rung, after bytes were published. True once per sleep.</summary>
        public bool NeedsRing()
        {
            return sleeper.ShouldRing();
        }

        /// <summary>
        /// Announces a sleep waiting for space: true when the ring is still full, so blocking
        /// on the doorbell is safe (the consumer will ring); false, withdrawn, when space
        /// appeared meanwhile. After blocking, call <see cref="CancelSleep"/>.
        /// </summary>
        public bool PrepareToSleep()
        {
            sleeper.Announce();
            if (Free() > 0)
            {
                CancelSleep();
                return false;
            }
            return true;
        }

        /// <summary>Ends an announced sleep, whatever woke this side; nothing when none is announced.</summary>
        public void CancelSleep()
        {
            sleeper.Withdraw();
        }
    }

    /// <summary>
    /// The reading half of one ring. After a <see cref="Read"/> that moved bytes, and before
    /// blocking on anything, call <see cref="NeedsRing"/> and ring the peer if it says so.
    /// One thread at a time.
    /// </summary>
    public sealed class ShmConsumer
    {
        private readonly ShmEndpoint segment;
        private readonly long capacity;
        private readonly long tailAt;
        private readonly long headAt;
        private readonly long dataAt;

        /// <summary>Our head: we alone write it.</summary>
        private long head;

        /// <summary>The producer's tail when last read.</summary>
        private long tail;

        private readonly ShmSleeper sleeper;

        internal ShmConsumer(ShmEndpoint segment, int ring, long capacity)
        {
            this.segment = segment;
            this.capacity = capacity;
            long control = ShmLayout.ControlOffset(ring);
            tailAt = control + ShmLayout.TailOffset;
            headAt = control + ShmLayout.HeadOffset;
            dataAt = ShmLayout.DataOffsetOf(ring, capacity);
            // SYNC POINT: relaxed: only this half ever stores head.
            head = segment.Load(headAt);
            // SYNC POINT: acquire, as in Available.
            tail = segment.Load(tailAt);
            sleeper = new ShmSleeper(segment, control + ShmLayout.ConsumerSleepOffset, control + ShmLayout.ProducerSleepOffset);
        }

        public long Capacity
        {
            get { return capacity; }
        }

        /// <summary>Bytes that can be read now, reading the producer's tail afresh.</summary>
        public long Available()
        {
            // SYNC POINT: acquire pairs with the producer's release of tail in Write: its
            // copies into the bytes up to tail happen before our copies out.
            tail = segment.Load(tailAt);
            return CachedAvailable();
        }

        private long CachedAvailable()
        {
            // Clamped like ShmProducer's: a broken peer yields garbage, never an access outside the ring.
            return (long)Math.Min(unchecked((ulong)(tail - head)), (ulong)capacity);
        }

        /// <summary>Reads what is buffered, up to <paramref name="count"/> bytes, and releases its space; how many.</summary>
        public int Read(byte[] destination, int offset, int count)
        {
            long available = CachedAvailable();
            if (available < count)
            {
                available = Available();
            }
            int n = (int)Math.Min(available, count);
            if (n == 0)
            {
                return 0;
            }
            int at = (int)(head & (capacity - 1));
            int first = (int)Math.Min(n, capacity - at);
            segment.CopyOut(dataAt + at, destination, offset, first);
            segment.CopyOut(dataAt, destination, offset + first, n - first);
            head = unchecked(head + n);
            // SYNC POINT: release hands the space back: our copies above happen before the
            // producer, acquiring head, writes there again.
            segment.Store(headAt, head);
            return n;
        }

        /// <summary>Whether the producer sleeps waiting for space and must be rung, after space was freed. True once per sleep.</summary>
        public bool NeedsRing()
        {
            return sleeper.ShouldRing();
        }

        /// <summary>
        /// Announces a sleep waiting for data: true when the ring is still empty, so blocking
        /// on the doorbell is safe (the producer will ring); false, withdrawn, when bytes
        /// arrived meanwhile. After blocking, call <see cref="CancelSleep"/>.
        /// </summary>
        public bool PrepareToSleep()
        {
            sleeper.Announce();
            if (Available() > 0)
            {
                CancelSleep();
                return false;
            }
            return true;
        }

        /// <summary>Ends an announced sleep, whatever woke this side; nothing when none is announced.</summary>
        public void CancelSleep()
        {
            sleeper.Withdraw();
        }
    }

    /// <summary>
    /// One half's part in the wake-up protocol. Its own sleep word has one writer, this
    /// half, which makes it odd to announce a sleep and even to end it; the peer rings for
    /// an odd value once.
    ///
    /// No wake-up is lost because of two full fences: the sleeper stores its announcement,
    /// fences (Announce), and re-reads the index it waits on; the other half stores that
    /// index, fences (ShouldRing), and reads the announcement. Of two sequentially
    /// consistent fences one comes first, so either the sleeper sees the change or the
    /// other half sees the announcement and rings.
    /// </summary>
    internal sealed class ShmSleeper
    {
        private readonly ShmEndpoint segment;
        private readonly long ownAt;
        private readonly long peerAt;

        /// <summary>Our sleep word's value: we alone write it.</summary>
        private long own;

        /// <summary>The peer's sleep word when we last rang for it.</summary>
        private long rung;

        internal ShmSleeper(ShmEndpoint segment, long ownAt, long peerAt)
        {
            this.segment = segment;
            this.ownAt = ownAt;
            this.peerAt = peerAt;
            // SYNC POINT: relaxed: only this half ever stores its own sleep word.
            own = segment.Load(ownAt);
        }

        /// <summary>Announces a sleep; the caller then reads its index again.</summary>
        internal void Announce()
        {
            if ((own & 1) == 0)
            {
                own = unchecked(own + 1);
                // SYNC POINT: relaxed (a release here): the full fence below orders it before the index read.
                segment.Store(ownAt, own);
            }
            // SYNC POINT: full fence between the announcement and the caller's index read;
            // pairs with the one in the peer's ShouldRing.
            segment.FullFence();
        }

        internal void Withdraw()
        {
            if ((own & 1) == 1)
            {
                own = unchecked(own + 1);
                // SYNC POINT: relaxed (a release here): a peer that reads the old, odd value
                // rings once more, which costs one spurious wake-up and loses nothing.
                segment.Store(ownAt, own);
            }
        }

        /// <summary>After the caller moved its index: whether the peer announced a sleep not yet rung for.</summary>
        internal bool ShouldRing()
        {
            // SYNC POINT: full fence between the caller's index store and reading the peer's
            // announcement; pairs with the one in the peer's Announce.
            segment.FullFence();
            // SYNC POINT: relaxed (an acquire here): the fence orders it; the doorbell's
            // syscalls order the rest.
            long seen = segment.Load(peerAt);
            if ((seen & 1) == 1 && seen != rung)
            {
                rung = seen;
                return true;
            }
            return false;
        }
    }
}
