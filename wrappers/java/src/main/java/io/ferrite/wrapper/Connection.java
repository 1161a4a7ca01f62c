package io.ferrite.wrapper;

import io.ferrite.wrapper.Protocol.Message;
import io.ferrite.wrapper.Protocol.ProtocolException;
import io.ferrite.wrapper.codec.Codec;
import io.ferrite.wrapper.codec.FrameBuffer;
import io.ferrite.wrapper.transport.Transport;
import java.io.Closeable;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * Framed, batched messages over one transport: a read buffer and a queue of frames to write. It
 * knows neither socket nor encoding: the transport moves the bytes, the codec says where a frame
 * ends and what it holds.
 *
 * <p>Reads are batched: one read takes whatever the processor has written (it pipelines several
 * events ahead), and every complete frame in it is decoded at once. Writes may come from several
 * threads (handlers running at once, a handler's own threads logging): each {@link #send} appends
 * its frame to a shared buffer and one thread at a time writes out everything queued, so frames
 * never interleave and frames that pile up go out in one write. {@code send} returns once its own
 * frame is written.
 */
final class Connection implements Closeable {
  private static final int READ_CHUNK = 64 * 1024;

  /** The least room a read is given. */
  private static final int MIN_READ = 4 * 1024;

  private final Transport transport;
  private final Codec codec;

  private byte[] in = new byte[READ_CHUNK];
  private int start;
  private int end;

  private final Object lock = new Object();
  // Guarded by lock: frames queued, the spare buffer, and how far writing has got.
  private FrameBuffer queued = new FrameBuffer();
  private FrameBuffer spare = new FrameBuffer();
  private boolean writing;
  private long queuedCount;
  private long writtenCount;
  private IOException writeFailure;

  Connection(Transport transport, Codec codec) {
    this.transport = transport;
    this.codec = codec;
  }

  /**
   * Adds the next messages to {@code out}, blocking until there is at least one.
   *
   * @return false at a clean end of the stream
   * @throws ProtocolException if the bytes are not messages, or the stream ends inside a frame
   */
  boolean receive(List<Message> out) throws IOException, ProtocolException {
    while (true) {
      if (end > start) {
        start += codec.decode(in, start, end, out);
        if (start == end) {
          start = end = 0;
        }
        if (!out.isEmpty()) {
          return true;
        }
      }
      makeRoom();
      int count = transport.read(in, end, in.length - end);
      if (count < 0) {
        if (end > start) {
          throw new ProtocolException(
              "connection closed in the middle of a frame (" + (end - start) + " bytes pending)");
        }
        return false;
      }
      end += count;
    }
  }

  /**
   * Moves the bytes not yet decoded to the front of the buffer and makes room after them for the
   * rest of the frame being read (when the codec can tell its size), or for another read.
   */
  private void makeRoom() {
    if (start > 0) {
      System.arraycopy(in, start, in, 0, end - start);
      end -= start;
      start = 0;
    }
    int frame = codec.frameSize(in, 0, end);
    long needed = Math.max(frame, (long) end + MIN_READ);
    if (needed > in.length) {
      long size = Math.max(needed, Math.min(2L * in.length, Protocol.MAX_FRAME_LEN + 8L));
      in = Arrays.copyOf(in, (int) size);
    } else if (end == 0 && in.length > 4 * READ_CHUNK) {
      // Done with a large frame: give its memory back.
      in = new byte[READ_CHUNK];
    }
  }

  /** Writes a frame now, after any queued ones; returns once it is written. */
  void send(Message message) throws IOException, ProtocolException {
    long mine;
    synchronized (lock) {
      failIfBroken();
      codec.encode(message, queued);
      mine = ++queuedCount;
      if (writing) {
        // Another thread is writing; it writes this frame too.
        awaitWritten(mine);
        return;
      }
      writing = true;
    }
    writeQueued();
  }

  /** Adds a frame to the next write. */
  void queue(Message message) throws IOException, ProtocolException {
    synchronized (lock) {
      failIfBroken();
      codec.encode(message, queued);
      ++queuedCount;
    }
  }

  /** Writes every queued frame; returns once they are written. */
  void flush() throws IOException {
    long target;
    synchronized (lock) {
      failIfBroken();
      target = queuedCount;
      if (writtenCount >= target) {
        return;
      }
      if (writing) {
        awaitWritten(target);
        return;
      }
      writing = true;
    }
    writeQueued();
  }

  /** Writes batches until the queue is empty; the caller has set {@code writing}. */
  private void writeQueued() throws IOException {
    while (true) {
      FrameBuffer batch;
      long upTo;
      synchronized (lock) {
        if (queued.size() == 0) {
          writing = false;
          return;
        }
        batch = queued;
        queued = spare;
        spare = null;
        upTo = queuedCount;
      }
      try {
        transport.write(batch.array(), 0, batch.size());
      } catch (IOException e) {
        synchronized (lock) {
          writeFailure = e;
          writing = false;
          lock.notifyAll();
        }
        throw e;
      }
      batch.reset();
      synchronized (lock) {
        spare = batch;
        writtenCount = upTo;
        lock.notifyAll();
      }
    }
  }

  private void awaitWritten(long count) throws IOException {
    boolean interrupted = false;
    try {
      while (writtenCount < count && writeFailure == null) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    failIfBroken();
  }

  private void failIfBroken() throws IOException {
    if (writeFailure != null) {
      throw new IOException(
          "the connection to the processor broke: " + writeFailure.getMessage(), writeFailure);
    }
  }

  /** Writes what is queued (if the processor still listens) and closes the transport. */
  @Override
  public void close() throws IOException {
    try {
      flush();
    } catch (IOException ignored) {
      // The processor is gone; nothing more to tell it.
    } finally {
      transport.close();
    }
  }
}
