using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using Ferrite.Sdk;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Ferrite.Wrapper
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
            message = Decode(Utf8.GetString(buffer, start, length));
            return newline + 1 - start;
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

        public byte[] Encode(Message message)
        {
            var text = new StringWriter(CultureInfo.InvariantCulture);
            using (var writer = new JsonTextWriter(text) { CloseOutput = false })
            {
                writer.Formatting = Formatting.None;
                writer.WriteStartObject();
                writer.WritePropertyName("kind");
                writer.WriteValue(Protocol.Name(message.Kind));
                foreach (var entry in message.Payload)
                {
                    writer.WritePropertyName(entry.Key);
                    Write(writer, entry.Value, 0);
                }
                writer.WriteEndObject();
            }
            text.Write('\n');
            var bytes = Utf8.GetBytes(text.ToString());
            if (bytes.Length - 1 > Protocol.MaxFrame)
            {
                throw new ProtocolException("frame of " + bytes.Length + " bytes is over the 256 MiB limit");
            }
            return bytes;
        }

        /// <summary>A JSON-like value; bytes as base64, other objects as their text.</summary>
        private static void Write(JsonTextWriter writer, object value, int depth)
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
                writer.WriteValue(Convert.ToBase64String((byte[])value));
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
                    Write(writer, entry.Value, depth + 1);
                }
                writer.WriteEndObject();
            }
            else if (value is IEnumerable)
            {
                writer.WriteStartArray();
                foreach (var item in (IEnumerable)value)
                {
                    Write(writer, item, depth + 1);
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
