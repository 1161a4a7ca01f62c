package io.ferrite.wrapper.codec;

import java.io.OutputStream;
import java.util.Arrays;

/** A growable byte array that encoders write frames into, reused from frame to frame. */
public final class FrameBuffer extends OutputStream {
  private static final int INITIAL = 16 * 1024;

  private byte[] bytes = new byte[INITIAL];
  private int size;

  @Override
  public void write(int b) {
    ensure(1);
    bytes[size++] = (byte) b;
  }

  @Override
  public void write(byte[] source, int offset, int length) {
    ensure(length);
    System.arraycopy(source, offset, bytes, size, length);
    size += length;
  }

  /** Writes a big-endian u32 at {@code position}, which must already be written. */
  void putInt(int position, int value) {
    bytes[position] = (byte) (value >>> 24);
    bytes[position + 1] = (byte) (value >>> 16);
    bytes[position + 2] = (byte) (value >>> 8);
    bytes[position + 3] = (byte) value;
  }

  /**
   * How many bytes are written.
   *
   * @return the size
   */
  public int size() {
    return size;
  }

  /**
   * The bytes; those past {@link #size} are not the frames'.
   *
   * @return the backing array
   */
  public byte[] array() {
    return bytes;
  }

  /** Drops everything past {@code size} (a frame that failed to encode). */
  void truncate(int size) {
    this.size = size;
  }

  /** Empties the buffer, and gives back the memory of a frame far larger than usual. */
  public void reset() {
    size = 0;
    if (bytes.length > 64 * INITIAL) {
      bytes = new byte[INITIAL];
    }
  }

  /** Makes room for {@code extra} more bytes, so a large write grows the buffer once. */
  void ensure(int extra) {
    long needed = (long) size + extra;
    if (needed > bytes.length) {
      if (needed > Integer.MAX_VALUE - 16) {
        throw new OutOfMemoryError("frame buffer over 2 GiB");
      }
      bytes =
          Arrays.copyOf(
              bytes, (int) Math.max(needed, Math.min(2L * bytes.length, Integer.MAX_VALUE - 16)));
    }
  }
}
