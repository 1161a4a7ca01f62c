package io.ferrite.wrapper.transport;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The shm transport's two single-producer single-consumer byte rings in one mapped segment: the
 * same steps as the Rust crate ferrite-ring ({@code ring/src/shm.rs} and {@code segment.rs}) on the
 * same layout ({@link ShmLayout}; {@code schemas/PROTOCOL.md} section 2, "shm").
 *
 * <p>Each ring counts bytes in free-running u64 indices: the producer alone advances {@code tail},
 * the consumer alone {@code head}; byte {@code i} lies at {@code i & (capacity - 1)}. Bytes are
 * handed over by a release store of an index and taken by an acquire load of it. The words are
 * reached through {@link VarHandle} views of the mapping ({@code getAcquire}, {@code setRelease},
 * and {@code getOpaque}/{@code setOpaque} for the protocol's relaxed accesses, which opaque
 * satisfies), the data bytes by plain bulk copies that those indices order.
 *
 * <p>A {@code MappedByteBuffer} holds at most 2 GiB, less than a segment of two 1 GiB rings, so the
 * header and each ring's bytes are three mappings of the one file. The JDK cannot unmap a buffer
 * before it is collected, which is what makes this safe code: a use after {@link Endpoint} is done
 * still touches mapped memory.
 */
public final class ShmRing {
  private ShmRing() {}

  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INTS =
      MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  /** A file that is not a segment this wrapper can use, or one already claimed. */
  public static final class SegmentException extends IOException {
    private static final long serialVersionUID = 1L;

    SegmentException(String message) {
      super(message);
    }
  }

  /**
   * One side's halves of a segment: the only producer of the ring it writes and the only consumer
   * of the ring it reads. Each may be used by one thread at a time, the two at once.
   */
  public static final class Endpoint {
    /** Writes this side's outgoing bytes. */
    public final Producer producer;

    /** Reads this side's incoming bytes. */
    public final Consumer consumer;

    private final long capacity;

    private Endpoint(ByteBuffer header, ByteBuffer[] data, long capacity, boolean wrapper) {
      int out = wrapper ? ShmLayout.TO_PROCESSOR : ShmLayout.TO_WRAPPER;
      int in = wrapper ? ShmLayout.TO_WRAPPER : ShmLayout.TO_PROCESSOR;
      this.capacity = capacity;
      this.producer = new Producer(header, data[out], ShmLayout.controlOffset(out));
      this.consumer = new Consumer(header, data[in], ShmLayout.controlOffset(in));
    }

    /**
     * How many bytes each ring holds.
     *
     * @return the capacity
     */
    public long capacity() {
      return capacity;
    }
  }

  /**
   * Creates a segment as the processor does, with rings of {@code capacity} bytes, and returns the
   * processor's end: for tests and the in-process processor, since the real one is made in Rust.
   *
   * @param path where; must not exist
   * @param capacity bytes per ring
   * @return the processor's end
   * @throws IOException if the file cannot be made or the capacity is not valid
   */
  public static Endpoint create(Path path, long capacity) throws IOException {
    if (!ShmLayout.isValidCapacity(capacity)) {
      throw new SegmentException(
          "ring capacity "
              + capacity
              + " is not a power of two from "
              + ShmLayout.MIN_CAPACITY
              + " to "
              + ShmLayout.MAX_CAPACITY
              + " bytes");
    }
    try (FileChannel file =
        FileChannel.open(
            path,
            java.util.Set.of(
                StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
      // A new file reads as zeros: empty rings, nobody asleep, nobody attached.
      file.write(ByteBuffer.allocate(1), ShmLayout.segmentLength(capacity) - 1);
      ByteBuffer header = file.map(FileChannel.MapMode.READ_WRITE, 0, ShmLayout.DATA_OFFSET);
      // SYNC POINT: relaxed (opaque), published by the release of the magic below.
      INTS.setOpaque(header, ShmLayout.VERSION_OFFSET, ShmLayout.VERSION);
      // SYNC POINT: relaxed (opaque), published by the release of the magic below.
      LONGS.setOpaque(header, ShmLayout.CAPACITY_OFFSET, capacity);
      // SYNC POINT: release: an opener that acquires the magic sees the words above.
      INTS.setRelease(header, ShmLayout.MAGIC_OFFSET, ShmLayout.MAGIC);
      return new Endpoint(header, mapRings(file, capacity), capacity, false);
    }
  }

  /**
   * Opens the segment a processor made, checks it and claims it: the wrapper's end. Only one opener
   * succeeds.
   *
   * @param path {@code FERRITE_SHM_PATH}
   * @return the wrapper's end
   * @throws SegmentException if the file is not a segment of this layout, or is already claimed
   * @throws IOException if it cannot be opened or mapped
   */
  public static Endpoint open(Path path) throws IOException {
    try (FileChannel file =
        FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = file.size();
      if (size < ShmLayout.DATA_OFFSET) {
        throw notASegment(path, "too short for the header");
      }
      ByteBuffer header = file.map(FileChannel.MapMode.READ_WRITE, 0, ShmLayout.DATA_OFFSET);
      // SYNC POINT: acquire pairs with the creator's release of the magic.
      int magic = (int) INTS.getAcquire(header, ShmLayout.MAGIC_OFFSET);
      if (magic != ShmLayout.MAGIC) {
        throw notASegment(path, String.format("magic is 0x%08x", magic));
      }
      // SYNC POINT: relaxed (opaque), ordered by the acquire of the magic.
      int version = (int) INTS.getOpaque(header, ShmLayout.VERSION_OFFSET);
      if (version != ShmLayout.VERSION) {
        throw notASegment(path, "layout version is " + Integer.toUnsignedString(version));
      }
      // SYNC POINT: relaxed (opaque), ordered by the acquire of the magic.
      long capacity = (long) LONGS.getOpaque(header, ShmLayout.CAPACITY_OFFSET);
      if (!ShmLayout.isValidCapacity(capacity)) {
        throw notASegment(path, "capacity is " + Long.toUnsignedString(capacity));
      }
      if (size != ShmLayout.segmentLength(capacity)) {
        throw notASegment(
            path,
            size
                + " bytes long, but rings of "
                + capacity
                + " need "
                + ShmLayout.segmentLength(capacity));
      }
      // SYNC POINT: the claim decides who may use the wrapper's halves and publishes nothing
      // else; compareAndSet is a volatile (sequentially consistent) access, more than needed.
      if (!INTS.compareAndSet(header, ShmLayout.ATTACHED_OFFSET, 0, 1)) {
        throw new SegmentException(
            "shared-memory segment " + path + " is already open by a wrapper");
      }
      return new Endpoint(header, mapRings(file, capacity), capacity, true);
    }
  }

  private static SegmentException notASegment(Path path, String reason) {
    return new SegmentException(
        path + " is not a ferrite segment of layout version " + ShmLayout.VERSION + ": " + reason);
  }

  /** Each ring's bytes, by ring index; the mappings outlive the channel. */
  private static ByteBuffer[] mapRings(FileChannel file, long capacity) throws IOException {
    ByteBuffer[] data = new ByteBuffer[2];
    for (int ring = 0; ring < 2; ring++) {
      data[ring] =
          file.map(FileChannel.MapMode.READ_WRITE, ShmLayout.dataOffset(ring, capacity), capacity);
    }
    return data;
  }

  /**
   * The writing half of one ring.
   *
   * <p>After a {@link #write} that moved bytes, and before this side blocks on anything, call
   * {@link #needsRing} and ring the peer's doorbell if it says so.
   */
  public static final class Producer {
    private final ByteBuffer words;
    private final ByteBuffer data;
    private final int tailAt;
    private final int headAt;
    private final int ownSleepAt;
    private final int peerSleepAt;
    private final int capacity;
    private final Sleeper sleeper;

    /** Our {@code tail}: we alone write it, so this copy is always current. */
    private long tail;

    /** The consumer's {@code head} when last read; re-read only when the ring looks full. */
    private long head;

    private Producer(ByteBuffer words, ByteBuffer data, int control) {
      this.words = words;
      this.data = data;
      this.tailAt = control + ShmLayout.TAIL_OFFSET;
      this.headAt = control + ShmLayout.HEAD_OFFSET;
      this.ownSleepAt = control + ShmLayout.PRODUCER_SLEEP_OFFSET;
      this.peerSleepAt = control + ShmLayout.CONSUMER_SLEEP_OFFSET;
      this.capacity = data.capacity();
      // SYNC POINT: relaxed (opaque): only this half ever stores tail.
      this.tail = (long) LONGS.getOpaque(words, tailAt);
      // SYNC POINT: acquire, as in free.
      this.head = (long) LONGS.getAcquire(words, headAt);
      this.sleeper = new Sleeper(words, ownSleepAt);
    }

    /**
     * Bytes that can be written now, reading the consumer's {@code head} afresh.
     *
     * @return free bytes
     */
    public int free() {
      // SYNC POINT: acquire pairs with the consumer's release of head in read: its copies out of
      // the bytes we are about to reuse happen before our copies into them.
      head = (long) LONGS.getAcquire(words, headAt);
      return cachedFree();
    }

    private int cachedFree() {
      // A peer that broke the protocol could make this exceed the capacity: clamp, so the worst
      // it can do is stall this ring.
      long used = Long.compareUnsigned(tail - head, capacity) > 0 ? capacity : tail - head;
      return capacity - (int) used;
    }

    /**
     * Writes as much of {@code from[offset, offset + length)} as fits and publishes it.
     *
     * @param from the bytes
     * @param offset the first to write
     * @param length how many to write at most
     * @return how many were written
     */
    public int write(byte[] from, int offset, int length) {
      int free = cachedFree();
      if (free < length) {
        free = free();
      }
      int n = Math.min(free, length);
      if (n == 0) {
        return 0;
      }
      int start = (int) (tail & (capacity - 1));
      int first = Math.min(n, capacity - start);
      // The bytes at tail .. tail + n are ours: n <= free, so the consumer has released them
      // (head was acquired), and it reads none of them before we publish tail below.
      data.put(start, from, offset, first);
      data.put(0, from, offset + first, n - first);
      tail += n;
      // SYNC POINT: release publishes the bytes copied above to the consumer's acquire of tail.
      LONGS.setRelease(words, tailAt, tail);
      return n;
    }

    /**
     * Whether the consumer sleeps on its doorbell and must be rung, after this half published
     * bytes. True at most once per sleep.
     *
     * @return whether to ring
     */
    public boolean needsRing() {
      return sleeper.shouldRing(peerSleepAt);
    }

    /**
     * Announces that this half will block on its doorbell until the consumer frees space.
     *
     * @return true when the ring is still full, so blocking is safe; false, the announcement
     *     withdrawn, when space appeared meanwhile. After blocking, call {@link #cancelSleep}.
     */
    public boolean prepareToSleep() {
      sleeper.announce();
      if (free() > 0) {
        cancelSleep();
        return false;
      }
      return true;
    }

    /** Ends a sleep announced by {@link #prepareToSleep}, whatever woke this side. */
    public void cancelSleep() {
      sleeper.withdraw();
    }
  }

  /**
   * The reading half of one ring.
   *
   * <p>After a {@link #read} that moved bytes, and before this side blocks on anything, call {@link
   * #needsRing} and ring the peer's doorbell if it says so.
   */
  public static final class Consumer {
    private final ByteBuffer words;
    private final ByteBuffer data;
    private final int tailAt;
    private final int headAt;
    private final int peerSleepAt;
    private final int capacity;
    private final Sleeper sleeper;

    /** Our {@code head}: we alone write it. */
    private long head;

    /** The producer's {@code tail} when last read. */
    private long tail;

    private Consumer(ByteBuffer words, ByteBuffer data, int control) {
      this.words = words;
      this.data = data;
      this.tailAt = control + ShmLayout.TAIL_OFFSET;
      this.headAt = control + ShmLayout.HEAD_OFFSET;
      this.peerSleepAt = control + ShmLayout.PRODUCER_SLEEP_OFFSET;
      this.capacity = data.capacity();
      // SYNC POINT: relaxed (opaque): only this half ever stores head.
      this.head = (long) LONGS.getOpaque(words, headAt);
      // SYNC POINT: acquire, as in available.
      this.tail = (long) LONGS.getAcquire(words, tailAt);
      this.sleeper = new Sleeper(words, control + ShmLayout.CONSUMER_SLEEP_OFFSET);
    }

    /**
     * Bytes that can be read now, reading the producer's {@code tail} afresh.
     *
     * @return buffered bytes
     */
    public int available() {
      // SYNC POINT: acquire pairs with the producer's release of tail in write: its copies into
      // the bytes up to tail happen before our copies out of them.
      tail = (long) LONGS.getAcquire(words, tailAt);
      return cachedAvailable();
    }

    private int cachedAvailable() {
      // Clamped like the producer's free space: a broken peer yields garbage, never an access
      // outside the ring.
      long used = tail - head;
      return Long.compareUnsigned(used, capacity) > 0 ? capacity : (int) used;
    }

    /**
     * Reads as many bytes as are buffered, up to {@code length}, and releases their space.
     *
     * @param into where to
     * @param offset the first byte to fill
     * @param length how many at most
     * @return how many were read
     */
    public int read(byte[] into, int offset, int length) {
      int available = cachedAvailable();
      if (available < length) {
        available = available();
      }
      int n = Math.min(available, length);
      if (n == 0) {
        return 0;
      }
      int start = (int) (head & (capacity - 1));
      int first = Math.min(n, capacity - start);
      // The bytes at head .. head + n are ours: n <= tail - head, so the producer has published
      // them (tail was acquired), and it overwrites none before we release them below.
      data.get(start, into, offset, first);
      data.get(0, into, offset + first, n - first);
      head += n;
      // SYNC POINT: release hands the space back: our copies above happen before the producer,
      // acquiring head, writes there again.
      LONGS.setRelease(words, headAt, head);
      return n;
    }

    /**
     * Whether the producer sleeps waiting for space and must be rung, after this half freed some.
     * True at most once per sleep.
     *
     * @return whether to ring
     */
    public boolean needsRing() {
      return sleeper.shouldRing(peerSleepAt);
    }

    /**
     * Announces that this half will block on its doorbell until the producer writes.
     *
     * @return true when the ring is still empty, so blocking is safe; false, the announcement
     *     withdrawn, when bytes arrived meanwhile. After blocking, call {@link #cancelSleep}.
     */
    public boolean prepareToSleep() {
      sleeper.announce();
      if (available() > 0) {
        cancelSleep();
        return false;
      }
      return true;
    }

    /** Ends a sleep announced by {@link #prepareToSleep}, whatever woke this side. */
    public void cancelSleep() {
      sleeper.withdraw();
    }
  }

  /**
   * One half's part in the wake-up protocol. Each sleep word has one writer, its owner, which makes
   * it odd to announce a sleep and even again to end it; the peer rings for an odd value once.
   *
   * <p>The two full fences, one in {@link #announce} and one in {@link #shouldRing}, are what no
   * wake-up is lost by. The sleeper stores its announcement, fences, and reads the index it waits
   * on; the other half stores that index, fences, and reads the announcement. Of two sequentially
   * consistent fences one comes first, so either the sleeper sees the change and stays awake, or
   * the other half sees the announcement and rings. Without them each may read the other's old
   * value (store buffering), and the sleeper sleeps on a change nobody rings for.
   */
  private static final class Sleeper {
    private final ByteBuffer words;
    private final int ownAt;

    /** Our sleep word's value: we alone write it, so this copy is current. */
    private long own;

    /** The peer's sleep word when we last rang for it. */
    private long rung;

    Sleeper(ByteBuffer words, int ownAt) {
      this.words = words;
      this.ownAt = ownAt;
      // SYNC POINT: relaxed (opaque): only this half ever stores its own sleep word.
      this.own = (long) LONGS.getOpaque(words, ownAt);
    }

    /** Announces a sleep; the caller then reads its index again. */
    void announce() {
      if ((own & 1) == 0) {
        own++;
        // SYNC POINT: relaxed (opaque): the full fence below orders it before the index read.
        LONGS.setOpaque(words, ownAt, own);
      }
      // SYNC POINT: full fence between the announcement and the caller's index read; pairs with
      // the one in the peer's shouldRing.
      VarHandle.fullFence();
    }

    void withdraw() {
      if ((own & 1) == 1) {
        own++;
        // SYNC POINT: relaxed (opaque): a peer that reads the old, odd value rings once more,
        // which costs one spurious wake-up and loses nothing.
        LONGS.setOpaque(words, ownAt, own);
      }
    }

    /** After the caller moved its index: whether the peer announced a sleep not yet rung for. */
    boolean shouldRing(int peerAt) {
      // SYNC POINT: full fence between the caller's index store and reading the peer's
      // announcement; pairs with the one in the peer's announce.
      VarHandle.fullFence();
      // SYNC POINT: relaxed (opaque): the fence orders it; the doorbell's syscalls the rest.
      long seen = (long) LONGS.getOpaque(words, peerAt);
      if ((seen & 1) == 1 && seen != rung) {
        rung = seen;
        return true;
      }
      return false;
    }
  }
}
