using System;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Ferrite.Wrapper.Transport
{
    /// <summary>TCP; <c>FERRITE_ADDRESS</c> is <c>host:port</c>, the host an IP address (<c>[::1]:port</c> for IPv6).</summary>
    public sealed class TcpTransport : SocketTransport
    {
        private TcpTransport(Socket socket)
            : base(socket)
        {
        }

        public static TcpTransport Connect(string address)
        {
            int colon = address.LastIndexOf(':');
            int port;
            IPAddress host;
            if (colon < 0
                || !int.TryParse(address.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port)
                || !IPAddress.TryParse(address.Substring(0, colon).Trim('[', ']'), out host))
            {
                throw new ArgumentException("FERRITE_ADDRESS=" + address + " is not host:port");
            }
            var socket = new Socket(host.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            // A response goes out whole in one write; waiting to coalesce it only adds latency.
            socket.NoDelay = true;
            socket.Connect(new IPEndPoint(host, port));
            return new TcpTransport(socket);
        }
    }
}
