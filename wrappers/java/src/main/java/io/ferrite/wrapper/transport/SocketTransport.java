package io.ferrite.wrapper.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A transport over a connected stream socket. Unix and TCP differ only in how they connect, so they
 * share this; the processor's end in the tests is one too.
 */
public class SocketTransport implements Transport {
  private final SocketChannel channel;

  /**
   * A transport over a socket.
   *
   * @param channel a connected, blocking socket; closed with the transport
   */
  public SocketTransport(SocketChannel channel) {
    this.channel = channel;
  }

  @Override
  public final int read(byte[] into, int offset, int length) throws IOException {
    return channel.read(ByteBuffer.wrap(into, offset, length));
  }

  @Override
  public final void write(byte[] from, int offset, int length) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(from, offset, length);
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
  }

  @Override
  public final void close() throws IOException {
    channel.close();
  }
}
