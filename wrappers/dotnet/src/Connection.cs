using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Ferrite.Wrapper
{
    /// <summary>
    /// The socket to the processor, unix or TCP, with its codec: <see cref="Receive"/> reads
    /// every whole frame that has arrived, <see cref="Send"/> writes one frame at once.
    /// <c>UnixDomainSocketEndPoint</c> is in both Mono (6 and later) and .NET (Core 2.1 and later).
    /// </summary>
    public sealed class Connection : IDisposable
    {
        private const int InitialBuffer = 64 * 1024;

        private readonly Socket socket;
        private readonly ICodec codec;
        private readonly object sending = new object();

        /// <summary>The frame being sent, encoded in place; kept for the next one (under <see cref="sending"/>).</summary>
        private readonly FrameWriter outgoing = new FrameWriter();
        private byte[] buffer = new byte[InitialBuffer];
        private int start;
        private int end;

        public Connection(Socket socket, ICodec codec)
        {
            this.socket = socket;
            this.codec = codec;
        }

        public static Connection Open(Config config)
        {
            Socket socket;
            if (config.Transport == "unix")
            {
                socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Connect(new UnixDomainSocketEndPoint(config.Address));
            }
            else
            {
                int colon = config.Address.LastIndexOf(':');
                int port;
                if (colon < 0 || !int.TryParse(config.Address.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port))
                {
                    throw new ArgumentException("FERRITE_ADDRESS=" + config.Address + " is not host:port");
                }
                var host = IPAddress.Parse(config.Address.Substring(0, colon).Trim('[', ']'));
                socket = new Socket(host.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                socket.NoDelay = true;
                socket.Connect(new IPEndPoint(host, port));
            }
            return new Connection(socket, config.NewCodec());
        }

        /// <summary>
        /// Blocks until at least one message has arrived and adds every whole one to
        /// <paramref name="messages"/>; false when the processor closed the connection.
        /// </summary>
        public bool Receive(List<Message> messages)
        {
            while (true)
            {
                while (true)
                {
                    Message message;
                    int needed;
                    int used = codec.TryDecode(buffer, start, end, out message, out needed);
                    if (used == 0)
                    {
                        MakeRoom(needed);
                        break;
                    }
                    start += used;
                    messages.Add(message);
                }
                if (start == end)
                {
                    start = end = 0;
                }
                if (messages.Count > 0)
                {
                    return true;
                }
                int read;
                try
                {
                    read = socket.Receive(buffer, end, buffer.Length - end, SocketFlags.None);
                }
                catch (SocketException e)
                {
                    if (e.SocketErrorCode == SocketError.ConnectionReset)
                    {
                        return false;
                    }
                    throw;
                }
                if (read == 0)
                {
                    return false;
                }
                end += read;
            }
        }

        /// <summary>Keeps the unread bytes and makes room after them for <paramref name="needed"/> in all.</summary>
        private void MakeRoom(int needed)
        {
            int unread = end - start;
            int want = Math.Max(needed, unread + 1);
            if (start > 0 && (want > buffer.Length - start || end == buffer.Length))
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, unread);
                start = 0;
                end = unread;
            }
            if (want > buffer.Length - start || end == buffer.Length)
            {
                long size = Math.Max((long)buffer.Length * 2, want);
                var bigger = new byte[Math.Min(size, (long)Protocol.MaxFrame + 16)];
                Buffer.BlockCopy(buffer, start, bigger, 0, unread);
                buffer = bigger;
                start = 0;
                end = unread;
            }
            else if (start == end)
            {
                start = end = 0;
            }
        }

        /// <summary>Writes one message; safe to call from any thread.</summary>
        public void Send(Message message)
        {
            lock (sending)
            {
                try
                {
                    codec.Encode(message, outgoing);
                    int sent = 0;
                    while (sent < outgoing.Length)
                    {
                        sent += socket.Send(outgoing.Buffer, sent, outgoing.Length - sent, SocketFlags.None);
                    }
                }
                finally
                {
                    outgoing.Clear();
                }
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
