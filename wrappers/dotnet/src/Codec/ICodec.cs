namespace Ferrite.Wrapper.Codec
{
    /// <summary>
    /// A codec: framing and payload encoding together, pure (never touches a socket). One
    /// instance serves one connection; <see cref="Codecs"/> makes it from its name.
    /// </summary>
    public interface ICodec
    {
        /// <summary>
        /// Takes the first complete frame of <c>buffer[start..end)</c>: the bytes it used, or 0
        /// (and <paramref name="message"/> null) when the frame is not complete yet.
        /// <paramref name="needed"/> is then how many bytes from <c>start</c> the frame needs,
        /// when known, else 0. Throws <see cref="ProtocolException"/> on a bad frame.
        /// </summary>
        int TryDecode(byte[] buffer, int start, int end, out Message message, out int needed);

        /// <summary>
        /// Appends one whole frame to <paramref name="output"/>. Throws
        /// <see cref="ProtocolException"/> if it would be too large, leaving part of it written.
        /// </summary>
        void Encode(Message message, FrameWriter output);
    }
}
