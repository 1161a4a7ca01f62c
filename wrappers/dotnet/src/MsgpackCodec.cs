using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace Ferrite.Wrapper
{
    /// <summary>
    /// Length-prefixed frames (<c>u32 BE length, u8 kind, payload</c>) whose payload is one
    /// MessagePack map.
    ///
    /// The MessagePack encoding is written here rather than taken from a library: Debian
    /// packages no MessagePack library for Mono, and the wrapper must build offline with
    /// Mono's <c>mcs</c> as well as with the .NET SDK, so it cannot depend on a NuGet package.
    /// It covers the whole format except ext types (which the protocol never sends; a frame
    /// holding one is refused). MsgpackCodecTest checks it against the specification's bytes.
    /// </summary>
    public sealed class MsgpackCodec : ICodec
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false);

        public int TryDecode(byte[] buffer, int start, int end, out Message message, out int needed)
        {
            message = null;
            needed = 0;
            if (end - start < 4)
            {
                return 0;
            }
            long length = ((long)buffer[start] << 24) | ((long)buffer[start + 1] << 16)
                | ((long)buffer[start + 2] << 8) | buffer[start + 3];
            if (length == 0 || length > Protocol.MaxFrame)
            {
                throw new ProtocolException("msgpack frame length " + length + " is out of range (1 to 256 MiB)");
            }
            if (end - start < 4 + length)
            {
                needed = (int)(4 + length);
                return 0;
            }
            byte kind = buffer[start + 4];
            if (kind < Protocol.Hello || kind > Protocol.Shutdown)
            {
                throw new ProtocolException("msgpack frame of unknown kind " + kind);
            }
            int payloadEnd = start + 4 + (int)length;
            object payload;
            try
            {
                var reader = new Reader(buffer, start + 5, payloadEnd);
                payload = reader.ReadValue(0);
                if (reader.Position != payloadEnd)
                {
                    throw new ProtocolException("msgpack frame has bytes after its payload");
                }
            }
            catch (IndexOutOfRangeException)
            {
                throw new ProtocolException("msgpack payload is truncated");
            }
            var map = payload as Dictionary<string, object>;
            if (map == null)
            {
                throw new ProtocolException("msgpack payload is not a map with text keys");
            }
            message = new Message(kind, map);
            return 4 + (int)length;
        }

        public byte[] Encode(Message message)
        {
            var output = new MemoryStream(64);
            output.Write(new byte[] { 0, 0, 0, 0, message.Kind }, 0, 5);
            Pack(output, message.Payload);
            long length = output.Length - 4;
            if (length > Protocol.MaxFrame)
            {
                throw new ProtocolException("frame of " + output.Length + " bytes is over the 256 MiB limit");
            }
            var bytes = output.GetBuffer();
            bytes[0] = (byte)(length >> 24);
            bytes[1] = (byte)(length >> 16);
            bytes[2] = (byte)(length >> 8);
            bytes[3] = (byte)length;
            if (bytes.Length == output.Length)
            {
                return bytes;
            }
            return output.ToArray();
        }

        /// <summary>
        /// One value in MessagePack, in the smallest form the specification allows: null,
        /// bool, integers, floats (as float 64; <c>float</c> as float 32), text, bytes, maps
        /// (keys as text), other sequences as arrays, anything else as its text.
        /// </summary>
        public static void Pack(Stream output, object value)
        {
            Pack(output, value, 0);
        }

        private static void Pack(Stream output, object value, int depth)
        {
            if (depth > 64)
            {
                PackString(output, "<nested too deep>");
                return;
            }
            if (value == null)
            {
                output.WriteByte(0xc0);
            }
            else if (value is bool)
            {
                output.WriteByte((bool)value ? (byte)0xc3 : (byte)0xc2);
            }
            else if (value is string)
            {
                PackString(output, (string)value);
            }
            else if (value is byte[])
            {
                var bytes = (byte[])value;
                PackHeader(output, bytes.Length, 0xc4, 0xc5, 0xc6);
                output.Write(bytes, 0, bytes.Length);
            }
            else if (value is ulong)
            {
                PackUnsigned(output, (ulong)value);
            }
            else if (JsonCodec.IsInteger(value))
            {
                PackInteger(output, Convert.ToInt64(value, CultureInfo.InvariantCulture));
            }
            else if (value is float)
            {
                output.WriteByte(0xca);
                WriteBigEndian(output, BitConverter.ToInt32(BitConverter.GetBytes((float)value), 0), 4);
            }
            else if (value is double || value is decimal)
            {
                output.WriteByte(0xcb);
                double number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                WriteBigEndian(output, BitConverter.DoubleToInt64Bits(number), 8);
            }
            else if (value is IDictionary)
            {
                var map = (IDictionary)value;
                PackCount(output, map.Count, 0x80, 0xde, 0xdf);
                foreach (DictionaryEntry entry in map)
                {
                    PackString(output, Convert.ToString(entry.Key, CultureInfo.InvariantCulture));
                    Pack(output, entry.Value, depth + 1);
                }
            }
            else if (value is IEnumerable)
            {
                var items = new List<object>();
                foreach (var item in (IEnumerable)value)
                {
                    items.Add(item);
                }
                PackCount(output, items.Count, 0x90, 0xdc, 0xdd);
                foreach (var item in items)
                {
                    Pack(output, item, depth + 1);
                }
            }
            else
            {
                PackString(output, Convert.ToString(value, CultureInfo.InvariantCulture));
            }
        }

        private static void PackString(Stream output, string text)
        {
            var bytes = Utf8.GetBytes(text);
            if (bytes.Length < 32)
            {
                output.WriteByte((byte)(0xa0 | bytes.Length));
            }
            else
            {
                PackHeader(output, bytes.Length, 0xd9, 0xda, 0xdb);
            }
            output.Write(bytes, 0, bytes.Length);
        }

        /// <summary>A length as 8, 16 or 32 bits after the matching type byte.</summary>
        private static void PackHeader(Stream output, int length, byte eight, byte sixteen, byte thirtyTwo)
        {
            if (length <= 0xff)
            {
                output.WriteByte(eight);
                output.WriteByte((byte)length);
            }
            else if (length <= 0xffff)
            {
                output.WriteByte(sixteen);
                WriteBigEndian(output, length, 2);
            }
            else
            {
                output.WriteByte(thirtyTwo);
                WriteBigEndian(output, length, 4);
            }
        }

        /// <summary>An array's or map's count: fix form under 16, else 16 or 32 bits.</summary>
        private static void PackCount(Stream output, int count, byte fix, byte sixteen, byte thirtyTwo)
        {
            if (count < 16)
            {
                output.WriteByte((byte)(fix | count));
            }
            else if (count <= 0xffff)
            {
                output.WriteByte(sixteen);
                WriteBigEndian(output, count, 2);
            }
            else
            {
                output.WriteByte(thirtyTwo);
                WriteBigEndian(output, count, 4);
            }
        }

        private static void PackInteger(Stream output, long value)
        {
            if (value >= 0)
            {
                PackUnsigned(output, (ulong)value);
            }
            else if (value >= -32)
            {
                output.WriteByte((byte)(sbyte)value);
            }
            else if (value >= sbyte.MinValue)
            {
                output.WriteByte(0xd0);
                output.WriteByte((byte)(sbyte)value);
            }
            else if (value >= short.MinValue)
            {
                output.WriteByte(0xd1);
                WriteBigEndian(output, value, 2);
            }
            else if (value >= int.MinValue)
            {
                output.WriteByte(0xd2);
                WriteBigEndian(output, value, 4);
            }
            else
            {
                output.WriteByte(0xd3);
                WriteBigEndian(output, value, 8);
            }
        }

        private static void PackUnsigned(Stream output, ulong value)
        {
            if (value <= 0x7f)
            {
                output.WriteByte((byte)value);
            }
            else if (value <= 0xff)
            {
                output.WriteByte(0xcc);
                output.WriteByte((byte)value);
            }
            else if (value <= 0xffff)
            {
                output.WriteByte(0xcd);
                WriteBigEndian(output, (long)value, 2);
            }
            else if (value <= 0xffffffff)
            {
                output.WriteByte(0xce);
                WriteBigEndian(output, (long)value, 4);
            }
            else
            {
                output.WriteByte(0xcf);
                WriteBigEndian(output, (long)value, 8);
            }
        }

        private static void WriteBigEndian(Stream output, long value, int size)
        {
            for (int shift = (size - 1) * 8; shift >= 0; shift -= 8)
            {
                output.WriteByte((byte)(value >> shift));
            }
        }

        /// <summary>
        /// Decodes one value: maps with text keys become <c>Dictionary&lt;string, object&gt;</c>
        /// (a map with another key type is a <see cref="ProtocolException"/>), arrays
        /// <c>List&lt;object&gt;</c>, integers <c>long</c> (<c>ulong</c> above its range), floats
        /// <c>double</c>, str <c>string</c>, bin <c>byte[]</c>.
        /// </summary>
        public static object Unpack(byte[] bytes)
        {
            var reader = new Reader(bytes, 0, bytes.Length);
            try
            {
                var value = reader.ReadValue(0);
                if (reader.Position != bytes.Length)
                {
                    throw new ProtocolException("bytes after the value");
                }
                return value;
            }
            catch (IndexOutOfRangeException)
            {
                throw new ProtocolException("msgpack value is truncated");
            }
        }

        private sealed class Reader
        {
            private readonly byte[] buffer;
            private readonly int end;

            public Reader(byte[] buffer, int start, int end)
            {
                this.buffer = buffer;
                Position = start;
                this.end = end;
            }

            public int Position { get; private set; }

            private byte Next()
            {
                if (Position >= end)
                {
                    throw new IndexOutOfRangeException();
                }
                return buffer[Position++];
            }

            private ulong BigEndian(int size)
            {
                if (end - Position < size)
                {
                    throw new IndexOutOfRangeException();
                }
                ulong value = 0;
                for (int i = 0; i < size; i++)
                {
                    value = (value << 8) | buffer[Position++];
                }
                return value;
            }

            private int Length(int size)
            {
                ulong length = BigEndian(size);
                if (length > (ulong)(end - Position))
                {
                    throw new IndexOutOfRangeException();
                }
                return (int)length;
            }

            private byte[] Bytes(int length)
            {
                if (length > end - Position)
                {
                    throw new IndexOutOfRangeException();
                }
                var bytes = new byte[length];
                Buffer.BlockCopy(buffer, Position, bytes, 0, length);
                Position += length;
                return bytes;
            }

            private string Text(int length)
            {
                if (length > end - Position)
                {
                    throw new IndexOutOfRangeException();
                }
                var text = Utf8.GetString(buffer, Position, length);
                Position += length;
                return text;
            }

            public object ReadValue(int depth)
            {
                if (depth > 512)
                {
                    throw new ProtocolException("msgpack value nested too deep");
                }
                byte type = Next();
                if (type <= 0x7f)
                {
                    return (long)type;
                }
                if (type >= 0xe0)
                {
                    return (long)(sbyte)type;
                }
                if ((type & 0xf0) == 0x80)
                {
                    return ReadMap(type & 0x0f, depth);
                }
                if ((type & 0xf0) == 0x90)
                {
                    return ReadArray(type & 0x0f, depth);
                }
                if ((type & 0xe0) == 0xa0)
                {
                    return Text(type & 0x1f);
                }
                switch (type)
                {
                    case 0xc0:
                        return null;
                    case 0xc2:
                        return false;
                    case 0xc3:
                        return true;
                    case 0xc4:
                        return Bytes(Length(1));
                    case 0xc5:
                        return Bytes(Length(2));
                    case 0xc6:
                        return Bytes(Length(4));
                    case 0xca:
                        return (double)BitConverter.ToSingle(BitConverter.GetBytes((int)BigEndian(4)), 0);
                    case 0xcb:
                        return BitConverter.Int64BitsToDouble((long)BigEndian(8));
                    case 0xcc:
                        return (long)BigEndian(1);
                    case 0xcd:
                        return (long)BigEndian(2);
                    case 0xce:
                        return (long)BigEndian(4);
                    case 0xcf:
                        ulong big = BigEndian(8);
                        return big <= long.MaxValue ? (object)(long)big : big;
                    case 0xd0:
                        return (long)(sbyte)BigEndian(1);
                    case 0xd1:
                        return (long)(short)BigEndian(2);
                    case 0xd2:
                        return (long)(int)BigEndian(4);
                    case 0xd3:
                        return (long)BigEndian(8);
                    case 0xd9:
                        return Text(Length(1));
                    case 0xda:
                        return Text(Length(2));
                    case 0xdb:
                        return Text(Length(4));
                    case 0xdc:
                        return ReadArray((int)BigEndian(2), depth);
                    case 0xdd:
                        return ReadArray(Count(), depth);
                    case 0xde:
                        return ReadMap((int)BigEndian(2), depth);
                    case 0xdf:
                        return ReadMap(Count(), depth);
                    default:
                        throw new ProtocolException(string.Format(
                            CultureInfo.InvariantCulture, "msgpack type 0x{0:x2} is not supported", type));
                }
            }

            /// <summary>A 32-bit count, which cannot exceed the bytes left (each item takes one at least).</summary>
            private int Count()
            {
                ulong count = BigEndian(4);
                if (count > (ulong)(end - Position))
                {
                    throw new IndexOutOfRangeException();
                }
                return (int)count;
            }

            private List<object> ReadArray(int count, int depth)
            {
                var list = new List<object>(Math.Min(count, 1024));
                for (int i = 0; i < count; i++)
                {
                    list.Add(ReadValue(depth + 1));
                }
                return list;
            }

            private Dictionary<string, object> ReadMap(int count, int depth)
            {
                var map = new Dictionary<string, object>(Math.Min(count, 1024));
                for (int i = 0; i < count; i++)
                {
                    var key = ReadValue(depth + 1) as string;
                    if (key == null)
                    {
                        throw new ProtocolException("msgpack map key is not text");
                    }
                    map[key] = ReadValue(depth + 1);
                }
                return map;
            }
        }
    }
}
