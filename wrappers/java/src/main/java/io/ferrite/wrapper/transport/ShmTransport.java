package io.ferrite.wrapper.transport;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * Shared memory ({@code schemas/PROTOCOL.md} section 2, "shm"): the byte stream goes through the
 * two rings of the segment at {@code FERRITE_SHM_PATH} ({@link ShmRing}), and the unix socket at
 * {@code FERRITE_ADDRESS} carries only the doorbells, and by closing says the peer has gone.
 *
 * <p>A read or a write that cannot go on re-checks its ring for {@code FERRITE_SPIN_MICROS}, then
 * announces a sleep and blocks on the doorbell. The worker reads on one thread while another may
 * write (a handler on a pool thread, or its logging), so the reader and a writer can both wait at
 * once on the one socket: whichever blocks first reads the socket and tells the other of every
 * wake-up ({@link #waitForBell}), since a ring byte may be meant for either.
 *
 * <p>A write that finds the ring full blocks, even on the thread that also reads (the worker with
 * concurrency 1 answers events on its reading thread). That is safe because the processor drains
 * {@code to_processor} independently of writing {@code to_wrapper} (its reader never waits for its
 * writer), so the space comes without this side reading; the protocol's rule that a side waiting
 * for space keeps reading is for sides whose reads could wait behind their writes.
 */
public final class ShmTransport implements Transport {
  private static final byte[] RING = {ShmLayout.DOORBELL};

  private final ShmRing.Producer producer;
  private final ShmRing.Consumer consumer;
  private final SocketChannel bell;
  private final long spinNanos;

  /** Guards the fields below; the waiters of {@link #waitForBell} wait on it. */
  private final Object waiting = new Object();

  /** Whether a thread is blocked reading the doorbell socket. */
  private boolean listening;

  /** How often the doorbell socket returned: a waiter that saw it change was woken. */
  private long wakeups;

  /** The socket reached its end (the peer has gone), or this transport was closed. */
  private volatile boolean closed;

  /** Where the rings waiting on the socket are drained to, by the one thread listening. */
  private final ByteBuffer drained = ByteBuffer.allocate(64);

  /**
   * A transport over one side of a segment.
   *
   * @param end this side's halves of the segment
   * @param bell the connected doorbell socket, blocking; closed with the transport
   * @param spinMicros how long to re-check a ring before announcing a sleep
   */
  public ShmTransport(ShmRing.Endpoint end, SocketChannel bell, int spinMicros) {
    this.producer = end.producer;
    this.consumer = end.consumer;
    this.bell = bell;
    this.spinNanos = spinMicros * 1000L;
  }

  /**
   * Maps and claims the segment, then connects to its doorbell socket: the processor removes the
   * segment's name once the wrapper has connected, so the mapping comes first.
   *
   * @param target the doorbell socket's path, the segment's path and the spin time
   * @return the transport
   * @throws IOException if the segment is not one to use, or nothing listens on the socket
   */
  public static ShmTransport connect(Target target) throws IOException {
    if (target.shmPath().isEmpty()) {
      throw new IllegalArgumentException("FERRITE_SHM_PATH is not set (FERRITE_TRANSPORT=shm)");
    }
    ShmRing.Endpoint end = ShmRing.open(Path.of(target.shmPath()));
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.connect(UnixDomainSocketAddress.of(target.address()));
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    return new ShmTransport(end, channel, target.spinMicros());
  }

  @Override
  public int read(byte[] into, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    while (true) {
      // Look before the ring: the peer wrote its last bytes before it closed.
      boolean ended = closed;
      int n = consumer.read(into, offset, length);
      if (n > 0) {
        if (consumer.needsRing()) {
          ring();
        }
        return n;
      }
      if (ended) {
        return -1;
      }
      if (spin(true)) {
        continue;
      }
      // Noted before the announcement, so a wake-up the other waiting thread reads for us after
      // it is not missed.
      long seen = wakeups();
      if (consumer.prepareToSleep()) {
        waitForBell(seen);
      }
      consumer.cancelSleep();
    }
  }

  @Override
  public void write(byte[] from, int offset, int length) throws IOException {
    while (length > 0) {
      int n = producer.write(from, offset, length);
      if (n > 0) {
        offset += n;
        length -= n;
        if (producer.needsRing()) {
          ring();
        }
        continue;
      }
      if (closed) {
        throw new IOException(
            "the shm doorbell socket closed while " + length + " bytes waited for room");
      }
      if (spin(false)) {
        continue;
      }
      long seen = wakeups();
      if (producer.prepareToSleep()) {
        waitForBell(seen);
      }
      producer.cancelSleep();
    }
  }

  /** Re-checks the incoming ring's data or the outgoing one's space for the spin time. */
  private boolean spin(boolean reading) {
    if (spinNanos <= 0) {
      return false;
    }
    long start = System.nanoTime();
    do {
      if (reading ? consumer.available() > 0 : producer.free() > 0) {
        return true;
      }
      Thread.onSpinWait();
    } while (System.nanoTime() - start < spinNanos);
    return false;
  }

  private void ring() {
    try {
      bell.write(ByteBuffer.wrap(RING));
    } catch (IOException e) {
      // The peer has gone (EPIPE, ECONNRESET), or we closed: whoever waits next sees the end.
    }
  }

  private long wakeups() {
    synchronized (waiting) {
      return wakeups;
    }
  }

  /**
   * Blocks until the doorbell rings or closes, unless it did since {@code seen} (taken before the
   * caller announced its sleep, so no ring for that announcement is missed).
   */
  private void waitForBell(long seen) {
    synchronized (waiting) {
      if (wakeups != seen || closed) {
        return;
      }
      if (listening) {
        // The listener wakes us with whatever it reads.
        boolean interrupted = false;
        while (wakeups == seen && !closed) {
          try {
            waiting.wait();
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
        return;
      }
      listening = true;
    }
    // A channel read by an interrupted thread closes the channel: keep the interrupt for after.
    boolean interrupted = Thread.interrupted();
    int read = -1;
    try {
      drained.clear();
      read = bell.read(drained);
    } catch (IOException e) {
      // Reset by the peer, or closed under us: the end either way.
    } finally {
      synchronized (waiting) {
        listening = false;
        wakeups++;
        if (read < 0) {
          closed = true;
        }
        waiting.notifyAll();
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() throws IOException {
    synchronized (waiting) {
      closed = true;
      waiting.notifyAll();
    }
    // Wakes a thread blocked reading it; the peer sees the end.
    bell.close();
  }
}
