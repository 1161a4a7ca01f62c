"use strict";
/**
 * The wrapper's end of a transport: framed messages read and written over the byte
 * stream a transport (`src/transport`) connected, whatever the codec.
 *
 * Writes are batched: {@link Connection#queue} corks the socket and uncorks it once the
 * current turn of the event loop is over, so every response finished in that turn (all
 * the synchronous handlers of one read, say) goes out in one `writev`.
 * {@link Connection#send} writes at once, after anything queued: for logs, which must
 * reach the processor even if the handler then blocks or kills its process.
 */

/** A transport's stream (`socket`) plus its codec, which says where frames end. */
class Connection {
  constructor(socket, codec) {
    this.socket = socket;
    this.codec = codec;
    this.corked = false;
    this.closed = false;
    this._uncork = () => {
      this.corked = false;
      this.socket.uncork();
    };
    // Until `listen`, remember how the stream ended (during a long init, say), so the
    // wrapper still learns of it and leaves.
    this.ended = false;
    this.failure = undefined;
    this._onEnd = () => {
      this.ended = true;
    };
    this._onError = (err) => {
      this.failure = err;
    };
    socket.once("end", this._onEnd);
    socket.on("error", this._onError);
  }

  /**
   * Calls `onMessages(messages)` with the messages of each read, `onEnd()` at the end of
   * the stream, `onError(err)` when the stream breaks or carries something that does
   * not decode (a ProtocolError); after an error nothing more is read.
   */
  listen({ onMessages, onEnd, onError }) {
    const socket = this.socket;
    socket.off("end", this._onEnd);
    socket.off("error", this._onError);
    if (this.failure !== undefined) {
      onError(this.failure);
      return;
    }
    if (this.ended) {
      onEnd();
      return;
    }
    const onData = (chunk) => {
      let messages;
      try {
        messages = this.codec.decode(chunk);
      } catch (err) {
        stop();
        onError(err);
        return;
      }
      if (messages.length > 0) onMessages(messages);
    };
    const stop = () => {
      socket.off("data", onData);
      socket.pause();
    };
    socket.on("data", onData);
    socket.once("end", () => {
      if (this.codec.buffered > 0) {
        onError(
          new Error(
            `connection closed in the middle of a frame (${this.codec.buffered} bytes pending)`,
          ),
        );
      } else {
        onEnd();
      }
    });
    socket.on("error", (err) => {
      stop();
      onError(err);
    });
  }

  /** Adds a frame to the batch written at the end of this turn of the event loop. */
  queue(frame) {
    if (this.closed) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(this._uncork);
    }
    this.socket.write(frame);
  }

  /** Writes a frame now, after any queued ones. */
  send(frame) {
    if (this.closed) return;
    if (this.corked) {
      // Keep the order: what was queued goes first, in the same write.
      this.socket.write(frame);
      this.socket.uncork();
      this.socket.cork();
    } else {
      this.socket.write(frame);
    }
  }

  /** Writes everything queued now. */
  flush() {
    if (this.corked) {
      this.socket.uncork();
      this.socket.cork();
    }
  }

  /** Writes what is queued and closes the connection; resolves once that is done (or
   * the peer is gone). */
  close() {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const socket = this.socket;
    if (this.corked) {
      this.corked = false;
      socket.uncork();
    }
    return new Promise((resolve) => {
      if (socket.destroyed) {
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      // A peer that stopped reading must not keep the wrapper from exiting.
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, 2000);
      socket.once("close", done);
      socket.once("error", done);
      // "finish": everything written has been handed to the kernel, FIN included.
      socket.end(done);
    });
  }
}

module.exports = { Connection };
