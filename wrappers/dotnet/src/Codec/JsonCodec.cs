using System;
using System.Buffers;
using System.Buffers.Text;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using Ferrite.Sdk;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Ferrite.Wrapper.Codec
{
    /// <summary>
    /// Line-JSON: one object per line with a <c>"kind"</c>; <c>bin</c> fields as base64.
    /// Newtonsoft.Json reads and writes it (Debian ships it for Mono, NuGet for .NET).
    /// </summary>
    public sealed class JsonCodec : ICodec
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(false);

        /// <summary>How far past <c>start</c> the current line has been searched for its end.</summary>
        private int scanned;

        public int TryDecode(byte[] buffer, int start, int end, out Message message, out int needed)
        {
            message = null;
            needed = 0;
            int newline = Array.IndexOf(buffer, (byte)'\n', start + scanned, end - start - scanned);
            if (newline < 0)
            {
                scanned = end - start;
                if (scanned > Protocol.MaxFrame)
                {
                    throw new ProtocolException("json line longer than 256 MiB");
                }
                return 0;
            }
            scanned = 0;
            int length = newline - start;
            if (length > 0 && buffer[newline - 1] == (byte)'\r')
            {
                length--;
            }
            if (length > Protocol.MaxFrame)
            {
                throw new ProtocolException("json line longer than 256 MiB");
            }
            message = DecodeWithTrailingBody(buffer, start, length) ?? Decode(Utf8.GetString(buffer, start, length));
            return newline + 1 - start;
        }

        /// <summary>Where an event line's body text begins: after <c>,"body":"</c>.</summary>
        private static readonly byte[] BodyKey = Utf8.GetBytes(",\"body\":\"");

        /// <summary>
        /// An event line as the processor writes it, <c>{"kind":"event",...,"body":"BASE64"}</c>,
        /// read without its body going through the JSON parser: the rest, <c>{"kind":...}</c>,
        /// is parsed alone and the body decoded from the line's bytes. Null for any other
        /// line, or one this cannot vouch for, which <see cref="Decode(string)"/> then reads
        /// whole; so the result, and every error, is the same as it would give.
        ///
        /// Read whole, the base64 text is transcoded to UTF-16, copied char by char through
        /// Newtonsoft.Json's string buffer into a new string and only then decoded by
        /// <c>Convert</c>: four passes over the body at Mono's pace, nearly all of a large
        /// event's cost. Here it is one pass, plus the search for the line's end.
        /// </summary>
        private static Message DecodeWithTrailingBody(byte[] buffer, int start, int length)
        {
            int end = start + length;
            if (length < BodyKey.Length + 4 || buffer[end - 1] != (byte)'}' || buffer[end - 2] != (byte)'"')
            {
                return null;
            }
            // The body's key is found going from quote to quote, which stops in the short head
            // of the line rather than running over the body. A "body" key in the query or the
            // headers comes first; the head up to it does not parse, so the next one is tried,
            // up to three (a line full of them is left to the parser).
            int close = end - 2;
            int tries = 0;
            for (int quote = Array.IndexOf(buffer, (byte)'"', start, close - start); quote >= 0;
                quote = Array.IndexOf(buffer, (byte)'"', quote + 1, close - quote - 1))
            {
                int key = quote + 1 - BodyKey.Length;
                if (key <= start || !At(buffer, key, BodyKey))
                {
                    continue;
                }
                var payload = Head(buffer, start, key);
                if (payload != null)
                {
                    // The body must be base64 up to the closing quote, so it is the last string.
                    var body = DecodeBase64(buffer, quote + 1, close - quote - 1);
                    if (body == null)
                    {
                        return null;
                    }
                    // The body first, then the kind out: the entries keep the line's order.
                    payload["body"] = body;
                    payload.Remove("kind");
                    return new Message(Protocol.Event, payload);
                }
                if (++tries == 3)
                {
                    return null;
                }
            }
            return null;
        }

        /// <summary>
        /// The event's fields before its body, <c>buffer[start..key)</c> closed with a brace,
        /// or null. It must end in a value (not in a comma or a brace that the body's comma
        /// would follow) and parse as an event without a body of its own: then the whole line
        /// is that object plus the body, for the parser too.
        /// </summary>
        private static Dictionary<string, object> Head(byte[] buffer, int start, int key)
        {
            int last = key - 1;
            while (last > start && IsSpace(buffer[last]))
            {
                last--;
            }
            if (!EndsValue(buffer[last]))
            {
                return null;
            }
            Dictionary<string, object> payload;
            try
            {
                payload = Json.Parse(Utf8.GetString(buffer, start, key - start) + "}") as Dictionary<string, object>;
            }
            catch (FormatException)
            {
                return null;
            }
            object name;
            if (payload == null || payload.ContainsKey("body") || !payload.TryGetValue("kind", out name)
                || Protocol.Kind(name as string) != Protocol.Event)
            {
                return null;
            }
            return payload;
        }

        /// <summary>
        /// The bytes of the base64 text <c>buffer[start..start+length)</c>, or null for text
        /// <c>Convert</c> should judge. <c>System.Buffers.Text.Base64</c> reads the line's
        /// bytes as they are, with no UTF-16 copy; it takes padded base64 with no whitespace
        /// (which a JSON string may hold raw) and no escapes, so the parser's string would be
        /// these very characters and <c>Convert</c> would decode them to the same bytes.
        /// </summary>
        private static byte[] DecodeBase64(byte[] buffer, int start, int length)
        {
            if (length % 4 != 0)
            {
                return null;
            }
            int end = start + length;
            int padding = length == 0 || buffer[end - 1] != (byte)'=' ? 0 : buffer[end - 2] != (byte)'=' ? 1 : 2;
            var bytes = new byte[length / 4 * 3 - padding];
            int used, written;
            var status = Base64.DecodeFromUtf8(new ReadOnlySpan<byte>(buffer, start, length), bytes, out used, out written);
            return status == OperationStatus.Done && written == bytes.Length ? bytes : null;
        }

        private static bool At(byte[] buffer, int at, byte[] expected)
        {
            for (int i = 0; i < expected.Length; i++)
            {
                if (buffer[at + i] != expected[i])
                {
                    return false;
                }
            }
            return true;
        }

        private static bool IsSpace(byte character)
        {
            return character == (byte)' ' || character == (byte)'\t' || character == (byte)'\r' || character == (byte)'\n';
        }

        /// <summary>Whether a value can end in <paramref name="character"/>: a string, object, array, number or literal.</summary>
        private static bool EndsValue(byte character)
        {
            return character == (byte)'"' || character == (byte)'}' || character == (byte)']'
                || (character >= (byte)'0' && character <= (byte)'9')
                || (character >= (byte)'a' && character <= (byte)'z')
                || (character >= (byte)'A' && character <= (byte)'Z');
        }

        /// <summary>One line's message.</summary>
        public static Message Decode(string line)
        {
            if (line.Trim().Length == 0)
            {
                throw new ProtocolException("empty json line");
            }
            object value;
            try
            {
                value = Json.Parse(line);
            }
            catch (FormatException e)
            {
                throw new ProtocolException("undecodable json frame: " + e.Message, e);
            }
            var payload = value as Dictionary<string, object>;
            if (payload == null)
            {
                throw new ProtocolException("json frame is not an object");
            }
            object name;
            payload.TryGetValue("kind", out name);
            byte kind = Protocol.Kind(name as string);
            if (kind == 0)
            {
                throw new ProtocolException("json frame of unknown kind " + Json.Serialize(name));
            }
            payload.Remove("kind");
            if (kind == Protocol.Event)
            {
                object body;
                if (payload.TryGetValue("body", out body) && body != null)
                {
                    var text = body as string;
                    if (text == null)
                    {
                        throw new ProtocolException("malformed event message: body is not base64 text");
                    }
                    try
                    {
                        payload["body"] = Convert.FromBase64String(text);
                    }
                    catch (FormatException e)
                    {
                        throw new ProtocolException("malformed event message: body is not base64", e);
                    }
                }
            }
            return new Message(kind, payload);
        }

        public void Encode(Message message, FrameWriter output)
        {
            var text = new StringWriter(CultureInfo.InvariantCulture);
            var splices = new Splices(text.GetStringBuilder());
            using (var writer = new JsonTextWriter(text) { CloseOutput = false })
            {
                writer.Formatting = Formatting.None;
                writer.WriteStartObject();
                writer.WritePropertyName("kind");
                writer.WriteValue(Protocol.Name(message.Kind));
                foreach (var entry in message.Payload)
                {
                    writer.WritePropertyName(entry.Key);
                    Write(writer, entry.Value, 0, splices);
                }
                writer.WriteEndObject();
            }
            text.Write('\n');
            splices.Frame(text.ToString(), output);
        }

        /// <summary>
        /// The byte arrays of a message being written, each written first as <c>""</c> and
        /// put in between those quotes as base64 when the text becomes the frame's bytes.
        /// The writer would otherwise escape the long text char by char, and the text be
        /// copied and transcoded twice more; base64 never needs escaping.
        /// </summary>
        private sealed class Splices
        {
            private readonly StringBuilder text;
            private readonly List<int> places = new List<int>();
            private readonly List<byte[]> values = new List<byte[]>();

            public Splices(StringBuilder text)
            {
                this.text = text;
            }

            /// <summary>Writes <paramref name="bytes"/> as an empty string now and base64 in the frame.</summary>
            public void Write(JsonTextWriter writer, byte[] bytes)
            {
                writer.WriteValue("");
                writer.Flush();
                places.Add(text.Length - 1);
                values.Add(bytes);
            }

            /// <summary>Writes the frame: <paramref name="line"/> in UTF-8 with the bytes in their places.</summary>
            public void Frame(string line, FrameWriter output)
            {
                long size = Utf8.GetByteCount(line);
                foreach (var bytes in values)
                {
                    size += Base64.GetMaxEncodedToUtf8Length(bytes.Length);
                }
                if (size - 1 > Protocol.MaxFrame)
                {
                    throw new ProtocolException("frame of " + size + " bytes is over the 256 MiB limit");
                }
                output.Reserve((int)size);
                var frame = output.Buffer;
                int at = output.Length;
                int from = 0;
                for (int i = 0; i < places.Count; i++)
                {
                    at += Utf8.GetBytes(line, from, places[i] - from, frame, at);
                    int used, written;
                    Base64.EncodeToUtf8(values[i], new Span<byte>(frame, at, frame.Length - at), out used, out written);
                    at += written;
                    from = places[i];
                }
                Utf8.GetBytes(line, from, line.Length - from, frame, at);
                output.Advance((int)size);
            }
        }

        /// <summary>
        /// A JSON-like value as compact JSON text, as this codec writes a field's value: the
        /// flatbuffers codec sends a log's fields so.
        /// </summary>
        internal static string Text(object value)
        {
            var text = new StringWriter(CultureInfo.InvariantCulture);
            using (var writer = new JsonTextWriter(text) { Formatting = Formatting.None })
            {
                Write(writer, value, 0, null);
            }
            return text.ToString();
        }

        /// <summary>
        /// A JSON-like value; bytes as base64 (spliced in later when <paramref name="splices"/>
        /// is given), other objects as their text.
        /// </summary>
        private static void Write(JsonTextWriter writer, object value, int depth, Splices splices)
        {
            if (depth > 64)
            {
                writer.WriteValue("<nested too deep>");
                return;
            }
            if (value == null)
            {
                writer.WriteNull();
            }
            else if (value is string)
            {
                writer.WriteValue((string)value);
            }
            else if (value is bool)
            {
                writer.WriteValue((bool)value);
            }
            else if (value is byte[])
            {
                if (splices == null)
                {
                    writer.WriteValue((byte[])value);
                }
                else
                {
                    splices.Write(writer, (byte[])value);
                }
            }
            else if (value is double || value is float || value is decimal)
            {
                double number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsNaN(number) || double.IsInfinity(number))
                {
                    writer.WriteNull();
                }
                else
                {
                    writer.WriteValue(number);
                }
            }
            else if (value is ulong)
            {
                writer.WriteValue((ulong)value);
            }
            else if (value is IConvertible && IsInteger(value))
            {
                writer.WriteValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
            }
            else if (value is IDictionary)
            {
                writer.WriteStartObject();
                foreach (DictionaryEntry entry in (IDictionary)value)
                {
                    writer.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture));
                    Write(writer, entry.Value, depth + 1, splices);
                }
                writer.WriteEndObject();
            }
            else if (value is IEnumerable)
            {
                writer.WriteStartArray();
                foreach (var item in (IEnumerable)value)
                {
                    Write(writer, item, depth + 1, splices);
                }
                writer.WriteEndArray();
            }
            else
            {
                writer.WriteValue(Convert.ToString(value, CultureInfo.InvariantCulture));
            }
        }

        internal static bool IsInteger(object value)
        {
            return value is int || value is long || value is short || value is sbyte
                || value is byte || value is ushort || value is uint;
        }
    }
}
