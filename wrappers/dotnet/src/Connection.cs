using System;
using System.Collections.Generic;
using Ferrite.Wrapper.Codec;
using Ferrite.Wrapper.Transport;

namespace Ferrite.Wrapper
{
    /// <summary>
    /// Framed, batched I/O over one transport with one codec, which says where a frame ends:
    /// <see cref="Receive"/> reads every whole frame that has arrived, <see cref="Send"/>
    /// writes one frame at once.
    /// </summary>
    public sealed class Connection : IDisposable
    {
        private const int InitialBuffer = 64 * 1024;

        private readonly ITransport transport;
        private readonly ICodec codec;
        private readonly object sending = new object();

        /// <summary>The frame being sent, encoded in place; kept for the next one (under <see cref="sending"/>).</summary>
        private readonly FrameWriter outgoing = new FrameWriter();
        private byte[] buffer = new byte[InitialBuffer];
        private int start;
        private int end;

        public Connection(ITransport transport, ICodec codec)
        {
            this.transport = transport;
            this.codec = codec;
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
                int read = transport.Read(buffer, end, buffer.Length - end);
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
                    transport.Write(outgoing.Buffer, 0, outgoing.Length);
                }
                finally
                {
                    outgoing.Clear();
                }
            }
        }

        public void Dispose()
        {
            transport.Dispose();
        }
    }
}
