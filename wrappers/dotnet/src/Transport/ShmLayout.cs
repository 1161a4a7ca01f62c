namespace Ferrite.Wrapper.Transport
{
    /// <summary>
    /// Where everything lies in an shm segment (PROTOCOL.md section 2, "shm"; the same
    /// numbers as data in <c>schemas/shm-layout.json</c>, which the tests check these
    /// against). Offsets in bytes; integers little-endian, only ever accessed atomically.
    /// </summary>
    public static class ShmLayout
    {
        /// <summary>The segment's first four bytes, <c>FRNG</c> read as a little-endian u32.</summary>
        public const uint Magic = 0x474E5246;
        public const uint Version = 1;

        public const int MagicOffset = 0;
        public const int VersionOffset = 4;
        public const int CapacityOffset = 8;
        public const int AttachedOffset = 16;

        /// <summary>Spacing of words different sides write: two 64-byte cache lines, as x86 prefetches lines in pairs.</summary>
        public const int Line = 128;

        /// <summary>The ring the processor writes and the wrapper reads.</summary>
        public const int ToWrapper = 0;
        /// <summary>The ring the wrapper writes and the processor reads.</summary>
        public const int ToProcessor = 1;

        /// <summary>Offset of ring <paramref name="ring"/>'s control block.</summary>
        public static int ControlOffset(int ring)
        {
            return Line + ring * 2 * Line;
        }

        // Within a control block: the producer's line, then the consumer's.
        public const int TailOffset = 0;
        public const int ProducerSleepOffset = 8;
        public const int HeadOffset = Line;
        public const int ConsumerSleepOffset = Line + 8;

        /// <summary>Offset of the first ring's bytes: a page, so the data areas are page-aligned.</summary>
        public const int DataOffset = 4096;
        public const long MinCapacity = 64;
        public const long MaxCapacity = 1L << 30;

        /// <summary>A power of two from <see cref="MinCapacity"/> to <see cref="MaxCapacity"/>.</summary>
        public static bool IsValidCapacity(long capacity)
        {
            return capacity >= MinCapacity && capacity <= MaxCapacity && (capacity & (capacity - 1)) == 0;
        }

        public static long SegmentLength(long capacity)
        {
            return DataOffset + 2 * capacity;
        }

        /// <summary>Offset of ring <paramref name="ring"/>'s bytes in a segment of <paramref name="capacity"/>.</summary>
        public static long DataOffsetOf(int ring, long capacity)
        {
            return DataOffset + ring * capacity;
        }
    }
}
