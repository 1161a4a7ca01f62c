using System;
using System.Text;

namespace Ferrite.Wrapper
{
    /// <summary>
    /// Standard base64 with padding (RFC 4648 section 4) straight between byte arrays, for the
    /// json codec's bodies. <c>Convert</c> goes through a string (and, on Mono, slowly), and
    /// the text then has to be copied and transcoded into the frame once more; here the
    /// bytes are written into the frame and read out of the received line in one pass.
    ///
    /// The loops take two characters (twelve bits) per table lookup and use pointers: Mono
    /// checks every array index, and these loops run over every byte of a body. Each checks
    /// its bounds once, before it starts.
    /// </summary>
    public static unsafe class Base64
    {
        private static readonly byte[] Alphabet = Encoding.ASCII.GetBytes(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");

        /// <summary>Twelve bits to their two characters, as a ushort whose bytes in memory are those characters.</summary>
        private static readonly ushort[] Pairs = MakePairs();

        /// <summary>
        /// Two characters, read from memory as a ushort, to their twelve bits, or
        /// <see cref="Invalid"/> (the only entry with any of the top four bits set).
        /// </summary>
        private static readonly ushort[] Values = MakeValues();

        private const ushort Invalid = 0xffff;

        /// <summary>The text's length for <paramref name="length"/> bytes.</summary>
        public static long EncodedLength(int length)
        {
            return ((long)length + 2) / 3 * 4;
        }

        /// <summary>
        /// Writes <paramref name="bytes"/> as base64 into <paramref name="output"/> at
        /// <paramref name="at"/>; where it ends. The text is the one
        /// <c>Convert.ToBase64String</c> gives.
        /// </summary>
        public static int Encode(byte[] bytes, byte[] output, int at)
        {
            if (at < 0 || EncodedLength(bytes.Length) > output.Length - at)
            {
                throw new ArgumentOutOfRangeException("at", "no room for the base64 text");
            }
            int whole = bytes.Length / 3;
            if (whole > 0)
            {
                fixed (byte* input = bytes, text = output)
                fixed (ushort* pairs = Pairs)
                {
                    byte* next = input;
                    byte* end = input + whole * 3;
                    ushort* into = (ushort*)(text + at);
                    while (next < end)
                    {
                        int bits = (next[0] << 16) | (next[1] << 8) | next[2];
                        into[0] = pairs[bits >> 12];
                        into[1] = pairs[bits & 0xfff];
                        next += 3;
                        into += 2;
                    }
                }
                at += whole * 4;
            }
            int i = whole * 3;
            int left = bytes.Length - i;
            if (left > 0)
            {
                int bits = (bytes[i] << 16) | (left == 2 ? bytes[i + 1] << 8 : 0);
                output[at] = Alphabet[bits >> 18];
                output[at + 1] = Alphabet[(bits >> 12) & 0x3f];
                output[at + 2] = left == 2 ? Alphabet[(bits >> 6) & 0x3f] : (byte)'=';
                output[at + 3] = (byte)'=';
                at += 4;
            }
            return at;
        }

        /// <summary>
        /// The bytes of the base64 text <c>buffer[start..start+length)</c>, or null unless it is
        /// canonical: only alphabet characters, a length that is a multiple of four, one or
        /// two <c>=</c> only at the very end, and zero bits where padding leaves some unused.
        /// Every text accepted here decodes to the same bytes with
        /// <c>Convert.FromBase64String</c>; for any other (whitespace, bad characters,
        /// loose padding) the caller asks <c>Convert</c>, so what is accepted stays its choice.
        /// </summary>
        public static byte[] DecodeCanonical(byte[] buffer, int start, int length)
        {
            if (start < 0 || length < 0 || length > buffer.Length - start)
            {
                throw new ArgumentOutOfRangeException("length", "the text is not all in the buffer");
            }
            if (length % 4 != 0)
            {
                return null;
            }
            if (length == 0)
            {
                return new byte[0];
            }
            int end = start + length;
            int padding = buffer[end - 1] != (byte)'=' ? 0 : buffer[end - 2] != (byte)'=' ? 1 : 2;
            var bytes = new byte[length / 4 * 3 - padding];
            // Every quantum but the last, which may hold padding.
            int last = end - 4;
            if (last > start)
            {
                fixed (byte* text = buffer, output = bytes)
                fixed (ushort* values = Values)
                {
                    ushort* next = (ushort*)(text + start);
                    ushort* stop = (ushort*)(text + last);
                    byte* into = output;
                    while (next < stop)
                    {
                        int high = values[next[0]];
                        int low = values[next[1]];
                        if (((high | low) & 0xf000) != 0)
                        {
                            return null;
                        }
                        into[0] = (byte)(high >> 4);
                        into[1] = (byte)((high << 4) | (low >> 8));
                        into[2] = (byte)low;
                        next += 2;
                        into += 3;
                    }
                }
            }
            int at = (last - start) / 4 * 3;
            int a = Value(buffer[last]);
            int b = Value(buffer[last + 1]);
            int c = padding == 2 ? 0 : Value(buffer[last + 2]);
            int d = padding >= 1 ? 0 : Value(buffer[last + 3]);
            if ((a | b | c | d) < 0)
            {
                return null;
            }
            int bits = (a << 18) | (b << 12) | (c << 6) | d;
            if ((padding == 2 && (bits & 0xffff) != 0) || (padding == 1 && (bits & 0xff) != 0))
            {
                return null;
            }
            bytes[at] = (byte)(bits >> 16);
            if (padding < 2)
            {
                bytes[at + 1] = (byte)(bits >> 8);
            }
            if (padding < 1)
            {
                bytes[at + 2] = (byte)bits;
            }
            return bytes;
        }

        /// <summary>One character's six bits, or -1.</summary>
        private static int Value(byte character)
        {
            int value = Values[InMemory(character, (byte)'A')];
            return value == Invalid ? -1 : value >> 6;
        }

        /// <summary>The ushort that two bytes in a row are when read as one.</summary>
        private static int InMemory(byte first, byte second)
        {
            return BitConverter.IsLittleEndian ? first | (second << 8) : (first << 8) | second;
        }

        private static ushort[] MakePairs()
        {
            var pairs = new ushort[4096];
            for (int bits = 0; bits < pairs.Length; bits++)
            {
                pairs[bits] = (ushort)InMemory(Alphabet[bits >> 6], Alphabet[bits & 0x3f]);
            }
            return pairs;
        }

        private static ushort[] MakeValues()
        {
            var values = new ushort[65536];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = Invalid;
            }
            for (int first = 0; first < Alphabet.Length; first++)
            {
                for (int second = 0; second < Alphabet.Length; second++)
                {
                    values[InMemory(Alphabet[first], Alphabet[second])] = (ushort)((first << 6) | second);
                }
            }
            return values;
        }
    }
}
