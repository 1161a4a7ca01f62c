using System.Net.Sockets;

namespace Ferrite.Wrapper.Transport
{
    /// <summary>
    /// A unix domain socket; <c>FERRITE_ADDRESS</c> is its path. <c>UnixDomainSocketEndPoint</c>
    /// is in both Mono (6 and later) and .NET (Core 2.1 and later).
    /// </summary>
    public sealed class UnixTransport : SocketTransport
    {
        private UnixTransport(Socket socket)
            : base(socket)
        {
        }

        public static UnixTransport Connect(string path)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return new UnixTransport(socket);
        }
    }
}
