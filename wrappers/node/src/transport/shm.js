"use strict";
/**
 * {@link ShmTransport}: the two byte rings of a shared-memory segment, with a unix socket
 * beside them for the doorbells (`schemas/PROTOCOL.md` §2, shm). `FERRITE_SHM_PATH` is
 * the segment, `FERRITE_ADDRESS` the doorbell socket.
 *
 * `connect` gives the worker what the socket transports give: a duplex byte stream
 * ({@link RingStream}), so the Connection, the codecs and the framing are unchanged. The
 * loads, stores and fences of the protocol are C11's, in the addon (`native/`); the
 * waiting is done here, on the event loop, never blocking it: while there is nothing to
 * move, the stream re-checks the rings once per turn of the loop (`setImmediate`, so I/O
 * and timers run between checks) for up to `FERRITE_SPIN_MICROS`, then announces its
 * sleep and waits for the doorbell socket to become readable.
 */

const { Duplex } = require("node:stream");

const { connectSocket } = require("./socket");

// The most one read takes from the ring: the codecs handle any chunk size, and a large
// ring drained in one Buffer would only delay the first frame's decoding.
const MAX_READ = 1 << 20;
const DOORBELL = Buffer.from([0x01]);

/**
 * A duplex stream over one side's rings: what arrives in the ring this side reads comes
 * out as `data`, what is written goes into the ring it writes. Both directions are served
 * by one pump, so a write waiting for space never stops reads: a processor writing a
 * large event while this side writes a large response cannot deadlock with it.
 */
class RingStream extends Duplex {
  /**
   * `endpoint`: an addon `Endpoint` (the wrapper's end, or the processor's in tests);
   * `doorbell`: the connected unix socket beside the segment; `spinMicros`: how long to
   * re-check before sleeping.
   */
  constructor(endpoint, doorbell, spinMicros) {
    // Half-open as a socket is by default: when the peer has gone, so has this side.
    super({ allowHalfOpen: false, decodeStrings: true });
    this.endpoint = endpoint;
    this.doorbell = doorbell;
    this.spinNanos = BigInt(spinMicros) * 1000n;
    // Chunks being written: [{ chunk, offset }], and the callback for all of them.
    this.outgoing = [];
    this.written = undefined;
    // The reading side asked for no more until `_read`.
    this.readPaused = false;
    // The peer has gone (EOF on the doorbell): drain what is left, then end.
    this.peerGone = false;
    this.eofPushed = false;
    // Blocked on the doorbell after announcing a sleep.
    this.sleeping = false;
    this.scheduled = false;
    // Inside `pump`: a push or a write callback can call back in (`_read`, `_write`),
    // which then asks for one more round instead of pumping inside the pump.
    this.pumping = false;
    this.again = false;
    this.spinStart = process.hrtime.bigint();
    this.wakePending = false;
    this._wakeSoon = () => {
      this.wakePending = false;
      this.wake();
    };
    this._pump = () => {
      this.scheduled = false;
      this.pump();
    };

    // A doorbell's bytes are hints: one `data` event is one read of all that waited, and
    // waking is all they do (a spurious one costs one more check).
    doorbell.on("data", () => this.wake());
    doorbell.on("end", () => {
      this.peerGone = true;
      this.wake();
    });
    doorbell.on("error", (err) => this.destroy(err));
    doorbell.on("close", () => {
      if (!this.peerGone) {
        this.peerGone = true;
        this.wake();
      }
    });
  }

  _read() {
    this.readPaused = false;
    this.wake();
  }

  _write(chunk, _encoding, callback) {
    this.outgoing.push({ chunk, offset: 0 });
    this.written = callback;
    this.wakeSoon();
  }

  _writev(chunks, callback) {
    for (const { chunk } of chunks) this.outgoing.push({ chunk, offset: 0 });
    this.written = callback;
    this.wakeSoon();
  }

  _final(callback) {
    // Everything written is in the ring; closing the doorbell tells the peer we are gone.
    this.doorbell.end(() => callback());
  }

  _destroy(err, callback) {
    this.doorbell.destroy();
    this.endpoint.close();
    const written = this.written;
    this.written = undefined;
    this.outgoing = [];
    if (written) written(err ?? new Error("the shm stream was destroyed"));
    callback(err);
  }

  /**
   * `wake`, after the current call returns: for `_write` and `_writev`, which must not
   * cause writes to this stream before they return. The pump's reads emit `data`, whose
   * handler may write a response; a write made inside `_writev` lands in the Writable's
   * buffer just before Node replaces that buffer, and is lost (Node 20), which hung the
   * wrapper in a pipelined benchmark.
   */
  wakeSoon() {
    if (!this.wakePending) {
      this.wakePending = true;
      process.nextTick(this._wakeSoon);
    }
  }

  /** Something may have changed (a doorbell, a write, a read request): run the pump now. */
  wake() {
    if (this.destroyed) return;
    if (this.sleeping) {
      this.sleeping = false;
      this.endpoint.consumerCancelSleep();
      this.endpoint.producerCancelSleep();
    }
    this.spinStart = process.hrtime.bigint();
    this.pump();
  }

  /** Runs `step` until nothing asked for another round meanwhile. */
  pump() {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        this.step();
      } while (this.again && !this.sleeping);
    } finally {
      this.pumping = false;
    }
  }

  /** Moves what can move both ways, rings for it, then decides how to wait. */
  step() {
    if (this.destroyed || this.sleeping) return;
    const endpoint = this.endpoint;
    let moved = false;

    let readSome = false;
    while (!this.readPaused && !this.eofPushed) {
      const chunk = endpoint.read(MAX_READ);
      if (chunk === null) break;
      readSome = true;
      if (!this.push(chunk)) this.readPaused = true;
    }

    let wroteSome = false;
    while (this.outgoing.length > 0) {
      const pending = this.outgoing[0];
      if (this.peerGone) {
        // Nobody will read it: drop it, as a socket's write to a closed peer goes nowhere.
        this.outgoing.shift();
        continue;
      }
      const n = endpoint.write(pending.chunk, pending.offset);
      if (n === 0) break;
      wroteSome = true;
      pending.offset += n;
      if (pending.offset < pending.chunk.length) break;
      this.outgoing.shift();
    }
    if (this.outgoing.length === 0 && this.written !== undefined) {
      const written = this.written;
      this.written = undefined;
      // Called after the ring decisions below, so that a write issued from the callback
      // finds them done.
      process.nextTick(written);
    }

    // After moving bytes and before waiting on anything: ring a peer that sleeps.
    if (
      (wroteSome && endpoint.producerNeedsRing()) ||
      (readSome && endpoint.consumerNeedsRing())
    ) {
      this.doorbell.write(DOORBELL);
    }
    moved = readSome || wroteSome;

    if (this.peerGone && !this.eofPushed && !readSome) {
      // The peer wrote everything before it went, and we have it all.
      this.eofPushed = true;
      this.push(null);
    }
    const waitsToRead = !this.readPaused && !this.eofPushed;
    const waitsToWrite = this.outgoing.length > 0;
    if (!waitsToRead && !waitsToWrite) return; // `_read` or `_write` wakes us
    if (this.peerGone) return; // nothing more will come; the stream is ending
    if (moved) this.spinStart = process.hrtime.bigint();
    if (moved || process.hrtime.bigint() - this.spinStart < this.spinNanos) {
      this.schedule();
      return;
    }
    // Announce what we wait on (both, when both), then block on the doorbell, unless
    // what we wait for came meanwhile.
    const sleepRead = waitsToRead ? endpoint.consumerPrepareToSleep() : true;
    const sleepWrite = waitsToWrite ? endpoint.producerPrepareToSleep() : true;
    if (sleepRead && sleepWrite) {
      this.sleeping = true;
      return;
    }
    endpoint.consumerCancelSleep();
    endpoint.producerCancelSleep();
    this.schedule();
  }

  schedule() {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this._pump);
    }
  }
}

/** The `shm` transport. */
const ShmTransport = {
  name: "shm",

  /** Maps and claims `config.shmPath`, connects to the doorbell at `address`; resolves
   * with the {@link RingStream}. */
  async connect(address, config) {
    if (!config?.shmPath) {
      throw new Error("FERRITE_SHM_PATH is not set");
    }
    // Required here, not above: the other transports work without the addon built.
    const { Endpoint } = require("../../native");
    // Claim the segment before connecting: a segment already claimed is refused here,
    // and the processor learns of the refusal by the wrapper's exit.
    const endpoint = Endpoint.open(config.shmPath);
    let doorbell;
    try {
      doorbell = await connectSocket({ path: address });
    } catch (err) {
      endpoint.close();
      throw err;
    }
    return new RingStream(endpoint, doorbell, config.spinMicros ?? 0);
  },
};

module.exports = { RingStream, ShmTransport };
