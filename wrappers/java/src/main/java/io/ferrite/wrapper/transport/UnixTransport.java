package io.ferrite.wrapper.transport;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;

/** A unix domain socket: {@code FERRITE_ADDRESS} is its path. The default transport. */
public final class UnixTransport extends SocketTransport {
  private UnixTransport(SocketChannel channel) {
    super(channel);
  }

  /**
   * Connects to the socket at a path.
   *
   * @param path the socket's path
   * @return the transport
   * @throws IOException if nothing listens there
   */
  public static UnixTransport connect(String path) throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.connect(UnixDomainSocketAddress.of(path));
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    return new UnixTransport(channel);
  }
}
