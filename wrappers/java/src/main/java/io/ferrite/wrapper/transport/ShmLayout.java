package io.ferrite.wrapper.transport;

/**
 * Where everything lies in an shm segment ({@code schemas/PROTOCOL.md} section 2, "shm"; the same
 * numbers as data in {@code schemas/shm-layout.json}, which the tests check these against). Offsets
 * in bytes; integers little-endian, only ever accessed atomically.
 */
public final class ShmLayout {
  private ShmLayout() {}

  /** The segment's first four bytes, {@code FRNG}, read as a little-endian u32. */
  public static final int MAGIC = 0x474E5246;

  /** Layout version: a reader refuses any other. */
  public static final int VERSION = 1;

  /** Offset of the magic (u32). */
  public static final int MAGIC_OFFSET = 0;

  /** Offset of the layout version (u32). */
  public static final int VERSION_OFFSET = 4;

  /** Offset of each ring's capacity in bytes (u64). */
  public static final int CAPACITY_OFFSET = 8;

  /** Offset of the wrapper's claim (u32, 0 then 1). */
  public static final int ATTACHED_OFFSET = 16;

  /** Spacing of words different sides write: two 64-byte lines, as x86 prefetches pairs. */
  public static final int LINE = 128;

  /** The ring the processor writes and the wrapper reads. */
  public static final int TO_WRAPPER = 0;

  /** The ring the wrapper writes and the processor reads. */
  public static final int TO_PROCESSOR = 1;

  /** Within a control block: {@code tail} (u64), written by the ring's producer. */
  public static final int TAIL_OFFSET = 0;

  /** Within a control block: {@code producer_sleep} (u64), odd while the producer sleeps. */
  public static final int PRODUCER_SLEEP_OFFSET = 8;

  /** Within a control block: {@code head} (u64), written by the ring's consumer. */
  public static final int HEAD_OFFSET = LINE;

  /** Within a control block: {@code consumer_sleep} (u64), odd while the consumer sleeps. */
  public static final int CONSUMER_SLEEP_OFFSET = LINE + 8;

  /** Offset of the first ring's bytes: a page, so the data areas are page-aligned. */
  public static final int DATA_OFFSET = 4096;

  /** Smallest capacity a segment may have. */
  public static final long MIN_CAPACITY = 64;

  /** Largest capacity a segment may have: 1 GiB per ring. */
  public static final long MAX_CAPACITY = 1L << 30;

  /** The value rung on the doorbell socket (a reader ignores it). */
  public static final byte DOORBELL = 1;

  /**
   * Offset of a ring's control block.
   *
   * @param ring {@link #TO_WRAPPER} or {@link #TO_PROCESSOR}
   * @return 128 or 384
   */
  public static int controlOffset(int ring) {
    return LINE + ring * 2 * LINE;
  }

  /**
   * Whether a segment may have this capacity: a power of two within the limits.
   *
   * @param capacity bytes per ring
   * @return whether it is valid
   */
  public static boolean isValidCapacity(long capacity) {
    return capacity >= MIN_CAPACITY && capacity <= MAX_CAPACITY && Long.bitCount(capacity) == 1;
  }

  /**
   * Size of a segment whose rings hold {@code capacity} bytes each.
   *
   * @param capacity bytes per ring
   * @return the file's length
   */
  public static long segmentLength(long capacity) {
    return DATA_OFFSET + 2 * capacity;
  }

  /**
   * Offset of a ring's bytes.
   *
   * @param ring {@link #TO_WRAPPER} or {@link #TO_PROCESSOR}
   * @param capacity bytes per ring
   * @return the offset in the segment
   */
  public static long dataOffset(int ring, long capacity) {
    return DATA_OFFSET + ring * capacity;
  }
}
