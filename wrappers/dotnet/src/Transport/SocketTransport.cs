using System;
using System.Net.Sockets;

namespace Ferrite.Wrapper.Transport
{
    /// <summary>A transport over a connected stream socket: what unix and TCP have in common.</summary>
    public abstract class SocketTransport : ITransport
    {
        private readonly Socket socket;

        protected SocketTransport(Socket socket)
        {
            this.socket = socket;
        }

        public int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                return socket.Receive(buffer, offset, count, SocketFlags.None);
            }
            catch (SocketException e)
            {
                // The processor went away without closing first: the same end of the stream.
                if (e.SocketErrorCode == SocketError.ConnectionReset)
                {
                    return 0;
                }
                throw;
            }
        }

        public void Write(byte[] buffer, int offset, int count)
        {
            int sent = 0;
            while (sent < count)
            {
                sent += socket.Send(buffer, offset + sent, count - sent, SocketFlags.None);
            }
        }

        public void Dispose()
        {
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
            socket.Close();
        }
    }
}
