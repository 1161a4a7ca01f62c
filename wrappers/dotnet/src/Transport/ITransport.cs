using System;

namespace Ferrite.Wrapper.Transport
{
    /// <summary>
    /// The byte stream to the processor, connected to <c>FERRITE_ADDRESS</c> when made;
    /// <see cref="Transports"/> makes one from its name. Frames are the
    /// <see cref="Connection"/>'s business, not the transport's. Dispose closes it.
    /// </summary>
    public interface ITransport : IDisposable
    {
        /// <summary>
        /// Blocks until some bytes arrive and puts up to <paramref name="count"/> of them in
        /// <paramref name="buffer"/> at <paramref name="offset"/>: how many, 0 when the
        /// processor has closed the stream.
        /// </summary>
        int Read(byte[] buffer, int offset, int count);

        /// <summary>Writes all <paramref name="count"/> bytes, blocking until they are taken.</summary>
        void Write(byte[] buffer, int offset, int count);
    }
}
