package io.ferrite.wrapper.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;

/** TCP: {@code FERRITE_ADDRESS} is {@code HOST:PORT}, an IPv6 host in brackets. */
public final class TcpTransport extends SocketTransport {
  private TcpTransport(SocketChannel channel) {
    super(channel);
  }

  /**
   * Connects to a port.
   *
   * @param address {@code HOST:PORT}
   * @return the transport
   * @throws IllegalArgumentException if the address is not {@code HOST:PORT}
   * @throws IOException if nothing listens there
   */
  public static TcpTransport connect(String address) throws IOException {
    int colon = address.lastIndexOf(':');
    int port = -1;
    try {
      port = colon > 0 ? Integer.parseInt(address.substring(colon + 1)) : -1;
    } catch (NumberFormatException e) {
      // Reported below.
    }
    if (port < 0 || port > 0xffff) {
      throw new IllegalArgumentException("tcp address \"" + address + "\" is not HOST:PORT");
    }
    String host = address.substring(0, colon).replace("[", "").replace("]", "");
    SocketChannel channel = SocketChannel.open(new InetSocketAddress(host, port));
    try {
      // Frames are written whole; waiting to coalesce them only adds latency.
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    return new TcpTransport(channel);
  }
}
