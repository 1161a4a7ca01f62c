namespace Ferrite.Wrapper.Codec
{
    /// <summary>
    /// The <c>u32</c> big-endian length that starts every msgpack and flatbuffers frame
    /// (schemas/PROTOCOL.md §3).
    /// </summary>
    internal static class LengthPrefix
    {
        public const int Size = 4;

        /// <summary>
        /// The length of the frame at <paramref name="start"/> (without the prefix), or -1
        /// while the buffer holds only part of it; <paramref name="needed"/> is then the size
        /// the whole frame takes, prefix included, once its length is known (else 0).
        /// </summary>
        public static int Read(byte[] buffer, int start, int end, string codec, out int needed)
        {
            needed = 0;
            if (end - start < Size)
            {
                return -1;
            }
            long length = ((long)buffer[start] << 24) | ((long)buffer[start + 1] << 16)
                | ((long)buffer[start + 2] << 8) | buffer[start + 3];
            if (length == 0 || length > Protocol.MaxFrame)
            {
                throw new ProtocolException(codec + " frame length " + length + " is out of range (1 to 256 MiB)");
            }
            if (end - start < Size + length)
            {
                needed = (int)(Size + length);
                return -1;
            }
            return (int)length;
        }
    }
}
