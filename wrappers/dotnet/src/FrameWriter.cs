using System;

namespace Ferrite.Wrapper
{
    /// <summary>
    /// A growable byte buffer that codecs write frames into. The connection keeps one from
    /// frame to frame, so a response costs no new array and no copy out of a stream.
    /// </summary>
    public sealed class FrameWriter
    {
        private const int Initial = 16 * 1024;

        /// <summary>Above this a buffer is dropped once its frame is out: a rare large body should not hold its memory.</summary>
        private const int Kept = 4 * 1024 * 1024;

        private byte[] buffer = new byte[Initial];
        private int length;

        /// <summary>The bytes written; valid up to <see cref="Length"/>.</summary>
        public byte[] Buffer
        {
            get { return buffer; }
        }

        public int Length
        {
            get { return length; }
        }

        /// <summary>Empties the buffer, and gives back the memory of a frame far larger than usual.</summary>
        public void Clear()
        {
            length = 0;
            if (buffer.Length > Kept)
            {
                buffer = new byte[Initial];
            }
        }

        public void WriteByte(byte value)
        {
            if (length == buffer.Length)
            {
                Reserve(1);
            }
            buffer[length++] = value;
        }

        public void Write(byte[] bytes, int offset, int count)
        {
            Reserve(count);
            if (count <= 16)
            {
                // Buffer.BlockCopy is a call into the runtime, dearer on Mono than a short loop.
                for (int i = 0; i < count; i++)
                {
                    buffer[length + i] = bytes[offset + i];
                }
            }
            else
            {
                System.Buffer.BlockCopy(bytes, offset, buffer, length, count);
            }
            length += count;
        }

        /// <summary>
        /// Makes room for <paramref name="count"/> more bytes, growing once for a large write:
        /// the caller then fills <c>Buffer[Length..]</c> and calls <see cref="Advance"/>.
        /// No frame may pass 256 MiB, so growing past that is a <see cref="ProtocolException"/>
        /// (the codec's own check names the exact size when it gets that far).
        /// </summary>
        public void Reserve(int count)
        {
            long needed = (long)length + count;
            if (needed <= buffer.Length)
            {
                return;
            }
            // Room for the length prefix and a json line's end beside the largest payload.
            if (needed > Protocol.MaxFrame + 16L)
            {
                throw new ProtocolException("frame of at least " + needed + " bytes is over the 256 MiB limit");
            }
            var bigger = new byte[Math.Max(needed, Math.Min(2L * buffer.Length, Protocol.MaxFrame + 16L))];
            System.Buffer.BlockCopy(buffer, 0, bigger, 0, length);
            buffer = bigger;
        }

        /// <summary>Counts <paramref name="count"/> bytes the caller wrote after <see cref="Reserve"/>.</summary>
        public void Advance(int count)
        {
            length += count;
        }

        /// <summary>Writes a big-endian u32 at <paramref name="position"/>, which must already be written.</summary>
        public void PutUInt32(int position, long value)
        {
            buffer[position] = (byte)(value >> 24);
            buffer[position + 1] = (byte)(value >> 16);
            buffer[position + 2] = (byte)(value >> 8);
            buffer[position + 3] = (byte)value;
        }

        /// <summary>A copy of the bytes written.</summary>
        public byte[] ToArray()
        {
            var bytes = new byte[length];
            System.Buffer.BlockCopy(buffer, 0, bytes, 0, length);
            return bytes;
        }
    }
}
