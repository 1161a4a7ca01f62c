using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Ferrite.Sdk;

namespace Ferrite.Wrapper.Codec
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

        /// <summary>Texts of the frames read so far, handed out again (only the reading thread uses it).</summary>
        private readonly RecentTexts texts = new RecentTexts();

        public int TryDecode(byte[] buffer, int start, int end, out Message message, out int needed)
        {
            message = null;
            int length = LengthPrefix.Read(buffer, start, end, "msgpack", out needed);
            if (length < 0)
            {
                return 0;
            }
            byte kind = buffer[start + 4];
            if (kind < Protocol.Hello || kind > Protocol.Shutdown)
            {
                throw new ProtocolException("msgpack frame of unknown kind " + kind);
            }
            int payloadEnd = start + LengthPrefix.Size + length;
            message = kind == Protocol.Event ? ReadEvent(buffer, start + 5, payloadEnd) : null;
            if (message == null)
            {
                message = new Message(kind, ReadPayload(buffer, start + 5, payloadEnd));
            }
            return LengthPrefix.Size + length;
        }

        /// <summary>
        /// An event's payload read straight into the handler's <see cref="Event"/>, or null for
        /// one the generic reader must read: then <see cref="Worker.ToEvent(Message)"/> makes the
        /// event from its fields, or the frame is refused, as it always was.
        /// </summary>
        private Message ReadEvent(byte[] buffer, int start, int end)
        {
            try
            {
                var reader = new Reader(buffer, start, end, texts);
                var ev = reader.ReadEvent();
                return ev != null && reader.Position == end ? new Message(ev) : null;
            }
            catch (IndexOutOfRangeException)
            {
                return null;
            }
            catch (ProtocolException)
            {
                return null;
            }
            catch (ArgumentOutOfRangeException)
            {
                // A time past the calendar: ToEvent throws it in the worker's loop, as ever.
                return null;
            }
        }

        private Dictionary<string, object> ReadPayload(byte[] buffer, int start, int end)
        {
            object payload;
            try
            {
                var reader = new Reader(buffer, start, end, texts);
                payload = reader.ReadValue(0);
                if (reader.Position != end)
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
            return map;
        }

        public void Encode(Message message, FrameWriter output)
        {
            int start = output.Length;
            output.Reserve(5);
            output.Advance(4);
            output.WriteByte(message.Kind);
            if (message.Response != null)
            {
                PackResponse(output, message.Id, message.Response);
            }
            else
            {
                Pack(output, message.Payload, 0);
            }
            long length = output.Length - start - 4;
            if (length > Protocol.MaxFrame)
            {
                throw new ProtocolException("frame of " + (length + 4) + " bytes is over the 256 MiB limit");
            }
            output.PutUInt32(start, length);
        }

        /// <summary>The keys of a response, as packed.</summary>
        private static readonly byte[] IdKey = PackedKey("id");
        private static readonly byte[] StatusKey = PackedKey("status");
        private static readonly byte[] HeadersKey = PackedKey("headers");
        private static readonly byte[] ContentTypeKey = PackedKey("content_type");
        private static readonly byte[] BodyKey = PackedKey("body");

        private static byte[] PackedKey(string key)
        {
            var output = new FrameWriter();
            PackString(output, key);
            return output.ToArray();
        }

        /// <summary>
        /// A handler's response as <see cref="Message.Payload"/> would pack, without making that
        /// dictionary: five entries in its order, the keys' bytes written whole.
        /// </summary>
        private static void PackResponse(FrameWriter output, long id, WireResponse response)
        {
            output.WriteByte(0x85);
            output.Write(IdKey, 0, IdKey.Length);
            PackInteger(output, id);
            output.Write(StatusKey, 0, StatusKey.Length);
            PackInteger(output, response.Status);
            output.Write(HeadersKey, 0, HeadersKey.Length);
            int headers = response.Headers.Count;
            PackCount(output, headers, 0x80, 0xde, 0xdf);
            // Most responses have none, and an interface's enumerator is one more object.
            if (headers > 0)
            {
                foreach (var entry in response.Headers)
                {
                    PackString(output, entry.Key);
                    PackText(output, entry.Value);
                }
            }
            output.Write(ContentTypeKey, 0, ContentTypeKey.Length);
            PackText(output, response.ContentType);
            output.Write(BodyKey, 0, BodyKey.Length);
            if (response.Body == null)
            {
                output.WriteByte(0xc0);
            }
            else
            {
                PackBytes(output, response.Body);
            }
        }

        /// <summary>
        /// One value in MessagePack, in the smallest form the specification allows: null,
        /// bool, integers, floats (as float 64; <c>float</c> as float 32), text, bytes, maps
        /// (keys as text), other sequences as arrays, anything else as its text.
        /// </summary>
        public static byte[] Pack(object value)
        {
            var output = new FrameWriter();
            Pack(output, value, 0);
            return output.ToArray();
        }

        private static void Pack(FrameWriter output, object value, int depth)
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
                PackBytes(output, (byte[])value);
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
                PackFixed(output, 0xca, BitConverter.ToInt32(BitConverter.GetBytes((float)value), 0), 4);
            }
            else if (value is double || value is decimal)
            {
                double number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                PackFixed(output, 0xcb, BitConverter.DoubleToInt64Bits(number), 8);
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

        /// <summary>Text, or nil for null as <see cref="Pack(object)"/> has it.</summary>
        private static void PackText(FrameWriter output, string text)
        {
            if (text == null)
            {
                output.WriteByte(0xc0);
            }
            else
            {
                PackString(output, text);
            }
        }

        /// <summary>
        /// Text as UTF-8. ASCII, nearly all the protocol's text, is copied char by char:
        /// Mono's UTF8Encoding costs several times that for a short string.
        /// </summary>
        private static void PackString(FrameWriter output, string text)
        {
            int length = text.Length;
            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] >= 0x80)
                {
                    length = Utf8.GetByteCount(text);
                    break;
                }
            }
            if (length < 32)
            {
                output.WriteByte((byte)(0xa0 | length));
            }
            else
            {
                PackHeader(output, length, 0xd9, 0xda, 0xdb);
            }
            output.Reserve(length);
            var bytes = output.Buffer;
            int at = output.Length;
            if (length == text.Length)
            {
                for (int i = 0; i < length; i++)
                {
                    bytes[at + i] = (byte)text[i];
                }
            }
            else
            {
                Utf8.GetBytes(text, 0, text.Length, bytes, at);
            }
            output.Advance(length);
        }

        private static void PackBytes(FrameWriter output, byte[] bytes)
        {
            PackHeader(output, bytes.Length, 0xc4, 0xc5, 0xc6);
            output.Write(bytes, 0, bytes.Length);
        }

        /// <summary>A length as 8, 16 or 32 bits after the matching type byte.</summary>
        private static void PackHeader(FrameWriter output, int length, byte eight, byte sixteen, byte thirtyTwo)
        {
            if (length <= 0xff)
            {
                PackFixed(output, eight, length, 1);
            }
            else
            {
                PackWide(output, length, sixteen, thirtyTwo);
            }
        }

        /// <summary>An array's or map's count: fix form under 16, else 16 or 32 bits.</summary>
        private static void PackCount(FrameWriter output, int count, byte fix, byte sixteen, byte thirtyTwo)
        {
            if (count < 16)
            {
                output.WriteByte((byte)(fix | count));
            }
            else
            {
                PackWide(output, count, sixteen, thirtyTwo);
            }
        }

        /// <summary>A length or count as 16 bits where they hold it, else 32.</summary>
        private static void PackWide(FrameWriter output, int size, byte sixteen, byte thirtyTwo)
        {
            if (size <= 0xffff)
            {
                PackFixed(output, sixteen, size, 2);
            }
            else
            {
                PackFixed(output, thirtyTwo, size, 4);
            }
        }

        private static void PackInteger(FrameWriter output, long value)
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
                PackFixed(output, 0xd0, value, 1);
            }
            else if (value >= short.MinValue)
            {
                PackFixed(output, 0xd1, value, 2);
            }
            else if (value >= int.MinValue)
            {
                PackFixed(output, 0xd2, value, 4);
            }
            else
            {
                PackFixed(output, 0xd3, value, 8);
            }
        }

        private static void PackUnsigned(FrameWriter output, ulong value)
        {
            if (value <= 0x7f)
            {
                output.WriteByte((byte)value);
            }
            else if (value <= 0xff)
            {
                PackFixed(output, 0xcc, (long)value, 1);
            }
            else if (value <= 0xffff)
            {
                PackFixed(output, 0xcd, (long)value, 2);
            }
            else if (value <= 0xffffffff)
            {
                PackFixed(output, 0xce, (long)value, 4);
            }
            else
            {
                PackFixed(output, 0xcf, (long)value, 8);
            }
        }

        /// <summary>A type byte, then the low <paramref name="size"/> bytes of <paramref name="value"/>, big-endian.</summary>
        private static void PackFixed(FrameWriter output, byte type, long value, int size)
        {
            output.WriteByte(type);
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
            var reader = new Reader(bytes, 0, bytes.Length, new RecentTexts());
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
            /// <summary>What <see cref="Key"/> gives for a key that is text but none of those asked for.</summary>
            private const int Unknown = -1;

            /// <summary>What <see cref="Key"/> gives for a key that is not text.</summary>
            private const int NotText = -2;

            /// <summary>An event's keys, in the order of <see cref="EventKey"/>.</summary>
            private static readonly byte[][] EventKeys = Keys(
                "id", "trigger", "method", "path", "url", "query", "headers", "content_type", "body", "timestamp", "deadline");

            /// <summary>A trigger's keys: <c>kind</c> is 0, <c>name</c> 1.</summary>
            private static readonly byte[][] TriggerKeys = Keys("kind", "name");

            private enum EventKey
            {
                Id, Trigger, Method, Path, Url, Query, Headers, ContentType, Body, Timestamp, Deadline,
            }

            private static byte[][] Keys(params string[] names)
            {
                var keys = new byte[names.Length][];
                for (int i = 0; i < names.Length; i++)
                {
                    keys[i] = Utf8.GetBytes(names[i]);
                }
                return keys;
            }

            private readonly byte[] buffer;
            private readonly int end;
            private readonly RecentTexts texts;

            private int position;

            public Reader(byte[] buffer, int start, int end, RecentTexts texts)
            {
                this.buffer = buffer;
                position = start;
                this.end = end;
                this.texts = texts;
            }

            public int Position
            {
                get { return position; }
            }

            private byte Next()
            {
                if (position >= end)
                {
                    throw new IndexOutOfRangeException();
                }
                return buffer[position++];
            }

            private ulong BigEndian(int size)
            {
                if (end - position < size)
                {
                    throw new IndexOutOfRangeException();
                }
                ulong value = 0;
                for (int i = 0; i < size; i++)
                {
                    value = (value << 8) | buffer[position++];
                }
                return value;
            }

            private int Length(int size)
            {
                ulong length = BigEndian(size);
                if (length > (ulong)(end - position))
                {
                    throw new IndexOutOfRangeException();
                }
                return (int)length;
            }

            private byte[] Bytes(int length)
            {
                if (length > end - position)
                {
                    throw new IndexOutOfRangeException();
                }
                var bytes = new byte[length];
                Buffer.BlockCopy(buffer, position, bytes, 0, length);
                position += length;
                return bytes;
            }

            private string Text(int length)
            {
                if (length > end - position)
                {
                    throw new IndexOutOfRangeException();
                }
                var text = texts.Get(buffer, position, length);
                position += length;
                return text;
            }

            /// <summary>
            /// An event's payload, a map, straight into the handler's <see cref="Event"/>: keys
            /// told apart by their bytes, the trigger, query and headers read into the event's
            /// own maps, other values by <see cref="ReadValue"/> as ever. Null for what only the
            /// generic reader and <see cref="Worker.ToEvent(long, IDictionary{string, object})"/>
            /// can vouch for: a field of another type (a number as text, say), a key or a name
            /// twice, no id.
            /// </summary>
            public Event ReadEvent()
            {
                int count = MapCount(Next());
                if (count < 0)
                {
                    return null;
                }
                var ev = new Event { Fields = new Dictionary<string, string>() };
                int seen = 0;
                int expected = 0;
                for (int i = 0; i < count; i++)
                {
                    int key = Key(EventKeys, expected);
                    if (key == NotText)
                    {
                        return null;
                    }
                    if (key == Unknown)
                    {
                        ReadValue(1);
                        continue;
                    }
                    expected = key + 1;
                    // A key twice: the generic reader keeps its last value only, where this would merge maps.
                    if ((seen & (1 << key)) != 0)
                    {
                        return null;
                    }
                    seen |= 1 << key;
                    bool read;
                    switch ((EventKey)key)
                    {
                        case EventKey.Trigger:
                            read = ReadTrigger(ev);
                            break;
                        case EventKey.Query:
                            read = ReadTexts(ev.Fields);
                            break;
                        case EventKey.Headers:
                            // Straight into the event's own map, which looks names up in any case.
                            read = ReadTexts(ev.Headers);
                            break;
                        default:
                            read = Set(ev, (EventKey)key, ReadValue(1));
                            break;
                    }
                    if (!read)
                    {
                        return null;
                    }
                }
                if ((seen & (1 << (int)EventKey.Id)) == 0)
                {
                    return null;
                }
                if ((seen & (1 << (int)EventKey.Timestamp)) == 0)
                {
                    ev.Timestamp = Worker.FromEpoch(0);
                }
                return ev;
            }

            /// <summary>Sets a scalar field as ToEvent would, or false for a value of a type it would convert.</summary>
            private static bool Set(Event ev, EventKey key, object value)
            {
                switch (key)
                {
                    case EventKey.Id:
                        if (!(value is long))
                        {
                            return false;
                        }
                        ev.Id = (long)value;
                        return true;
                    case EventKey.Body:
                        if (value != null && !(value is byte[]))
                        {
                            return false;
                        }
                        ev.Body = (byte[])value;
                        return true;
                    case EventKey.Timestamp:
                    case EventKey.Deadline:
                        if (value != null && !(value is long))
                        {
                            return false;
                        }
                        long milliseconds = value == null ? 0 : (long)value;
                        if (key == EventKey.Timestamp)
                        {
                            ev.Timestamp = Worker.FromEpoch(milliseconds);
                        }
                        else
                        {
                            ev.Deadline = milliseconds == 0 ? (DateTime?)null : Worker.FromEpoch(milliseconds);
                        }
                        return true;
                }
                if (value != null && !(value is string))
                {
                    return false;
                }
                var text = (string)value ?? "";
                switch (key)
                {
                    case EventKey.Method:
                        ev.Method = text;
                        break;
                    case EventKey.Path:
                        ev.Path = text;
                        break;
                    case EventKey.Url:
                        ev.Url = text;
                        break;
                    default:
                        ev.ContentType = text;
                        break;
                }
                return true;
            }

            /// <summary>The trigger map's kind and name; nil leaves them empty.</summary>
            private bool ReadTrigger(Event ev)
            {
                int count = MapOrNilCount();
                if (count < 0)
                {
                    return false;
                }
                string kind = "";
                string name = "";
                int expected = 0;
                for (int i = 0; i < count; i++)
                {
                    int key = Key(TriggerKeys, expected);
                    if (key == NotText)
                    {
                        return false;
                    }
                    var value = ReadValue(2);
                    if (key == Unknown)
                    {
                        continue;
                    }
                    expected = key + 1;
                    if (value != null && !(value is string))
                    {
                        return false;
                    }
                    if (key == 0)
                    {
                        kind = (string)value;
                    }
                    else
                    {
                        name = (string)value;
                    }
                }
                ev.Trigger = new TriggerInfo(kind, name);
                return true;
            }

            /// <summary>A map of text to text (nil values as empty text) added to <paramref name="map"/>; nil adds nothing.</summary>
            private bool ReadTexts(IDictionary<string, string> map)
            {
                int count = MapOrNilCount();
                if (count < 0)
                {
                    return false;
                }
                for (int i = 0; i < count; i++)
                {
                    int length = TextLength(Next());
                    if (length < 0)
                    {
                        return false;
                    }
                    var name = Text(length);
                    var value = ReadValue(2);
                    if (value != null && !(value is string))
                    {
                        return false;
                    }
                    // A name twice (in any case, for headers): which value stays is the generic reader's to say.
                    int before = map.Count;
                    map[name] = (string)value ?? "";
                    if (map.Count == before)
                    {
                        return false;
                    }
                }
                return true;
            }

            /// <summary>
            /// Reads a map's key: the index of the one of <paramref name="keys"/> its bytes are,
            /// <see cref="Unknown"/> or <see cref="NotText"/>. The processor writes the keys in
            /// the table's order, so <paramref name="expected"/> is tried before the others.
            /// </summary>
            private int Key(byte[][] keys, int expected)
            {
                int length = TextLength(Next());
                if (length < 0)
                {
                    return NotText;
                }
                if (length > end - position)
                {
                    throw new IndexOutOfRangeException();
                }
                int at = position;
                position += length;
                if (expected < keys.Length && Same(keys[expected], at, length))
                {
                    return expected;
                }
                for (int k = 0; k < keys.Length; k++)
                {
                    if (Same(keys[k], at, length))
                    {
                        return k;
                    }
                }
                return Unknown;
            }

            private bool Same(byte[] key, int at, int length)
            {
                if (key.Length != length)
                {
                    return false;
                }
                var bytes = buffer;
                for (int i = 0; i < length; i++)
                {
                    if (bytes[at + i] != key[i])
                    {
                        return false;
                    }
                }
                return true;
            }

            /// <summary>The length of the str that <paramref name="type"/> begins, or -1 for another type.</summary>
            private int TextLength(byte type)
            {
                if ((type & 0xe0) == 0xa0)
                {
                    return type & 0x1f;
                }
                switch (type)
                {
                    case 0xd9:
                        return Length(1);
                    case 0xda:
                        return Length(2);
                    case 0xdb:
                        return Length(4);
                    default:
                        return -1;
                }
            }

            /// <summary>The count of the map that comes next, 0 for nil (read as an empty map), or -1 for another type.</summary>
            private int MapOrNilCount()
            {
                byte type = Next();
                return type == 0xc0 ? 0 : MapCount(type);
            }

            /// <summary>The count of the map that <paramref name="type"/> begins, or -1 for another type.</summary>
            private int MapCount(byte type)
            {
                if ((type & 0xf0) == 0x80)
                {
                    return type & 0x0f;
                }
                switch (type)
                {
                    case 0xde:
                        return (int)BigEndian(2);
                    case 0xdf:
                        return Count();
                    default:
                        return -1;
                }
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
                int length = TextLength(type);
                if (length >= 0)
                {
                    return Text(length);
                }
                int count = MapCount(type);
                if (count >= 0)
                {
                    return ReadMap(count, depth);
                }
                if ((type & 0xf0) == 0x90)
                {
                    return ReadArray(type & 0x0f, depth);
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
                    case 0xdc:
                        return ReadArray((int)BigEndian(2), depth);
                    case 0xdd:
                        return ReadArray(Count(), depth);
                    default:
                        throw new ProtocolException(string.Format(
                            CultureInfo.InvariantCulture, "msgpack type 0x{0:x2} is not supported", type));
                }
            }

            /// <summary>A 32-bit count, which cannot exceed the bytes left (each item takes one at least).</summary>
            private int Count()
            {
                ulong count = BigEndian(4);
                if (count > (ulong)(end - position))
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
