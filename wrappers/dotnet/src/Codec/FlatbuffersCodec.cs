using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using FlatBuffers;
using Ferrite.Sdk;
using Wire = ferrite.wire;

namespace Ferrite.Wrapper.Codec
{
    /// <summary>
    /// Length-prefixed frames (<c>u32 BE length, one FlatBuffers buffer</c>) whose root is a
    /// <c>Frame</c> of schemas/wire.fbs, read and written with the code flatc generated from
    /// it (<c>WireGenerated.cs</c>) and the FlatBuffers C# runtime.
    ///
    /// It reads what travels to a wrapper (event, ping, shutdown) and writes the rest. An
    /// event's body is read where it lies in the received frame (an <c>ArraySegment</c> of the
    /// connection's buffer) and copied once, into the handler's <c>byte[]</c>: the buffer is
    /// reused for the next frames, and the SDK's <see cref="Event.Body"/> is an array.
    ///
    /// The processor verifies every frame it reads; a wrapper trusts the processor's and runs
    /// no verifier (PROTOCOL.md §3). Reads still stop at the frame's end, and a frame whose
    /// offsets lead outside it is a <see cref="ProtocolException"/>, never a crash.
    /// </summary>
    public sealed class FlatbuffersCodec : ICodec
    {
        private const string Identifier = "FRT1";

        /// <summary>The builder's first size; it grows for a larger message and is kept up to <see cref="Kept"/>.</summary>
        private const int Initial = 1024;

        /// <summary>Above this a builder is dropped once its frame is out: a rare large body should not hold its memory.</summary>
        private const int Kept = 4 * 1024 * 1024;

        /// <summary>The last millisecond since the epoch that a <see cref="DateTime"/> holds.</summary>
        private static readonly ulong LastEpochMillisecond = (ulong)((DateTime.MaxValue - Worker.FromEpoch(0)).Ticks / TimeSpan.TicksPerMillisecond);

        private static readonly byte[] NoBytes = new byte[0];

        /// <summary>The received frame the reader sees: the connection's buffer up to the frame's end.</summary>
        private readonly FrameBytes frameBytes = new FrameBytes();
        private readonly ByteBuffer reading;

        /// <summary>Texts of the frames read so far, handed out again (only the reading thread uses it).</summary>
        private readonly RecentTexts texts = new RecentTexts();

        /// <summary>Writes every frame, one at a time (the connection sends under a lock).</summary>
        private FlatBufferBuilder builder = new FlatBufferBuilder(Initial);

        /// <summary>The offsets of a map's pairs while its vector is written.</summary>
        private int[] pairs = new int[16];

        public FlatbuffersCodec()
        {
            reading = new ByteBuffer(frameBytes, 0);
        }

        public int TryDecode(byte[] buffer, int start, int end, out Message message, out int needed)
        {
            message = null;
            int length = LengthPrefix.Read(buffer, start, end, "flatbuffers", out needed);
            if (length < 0)
            {
                return 0;
            }
            message = Read(buffer, start + LengthPrefix.Size, length);
            return LengthPrefix.Size + length;
        }

        /// <summary>The message of the FlatBuffers buffer <c>buffer[start..start+length)</c>.</summary>
        private Message Read(byte[] buffer, int start, int length)
        {
            // A root offset and the identifier come first.
            if (length < 8)
            {
                throw new ProtocolException("flatbuffers frame of " + length + " bytes is too short to hold a buffer");
            }
            frameBytes.Wrap(buffer, start, start + length);
            reading.Position = start;
            if (!Wire.Frame.FrameBufferHasIdentifier(reading))
            {
                throw new ProtocolException("flatbuffers frame does not have the identifier " + Identifier + " (is the other side using another codec?)");
            }
            try
            {
                var frame = Wire.Frame.GetRootAsFrame(reading);
                var type = frame.MessageType;
                switch (type)
                {
                    case Wire.Message.Event:
                        int table = MessageTable(frame);
                        return ReadEvent(table == 0 ? (Wire.Event?)null : new Wire.Event().__assign(table, reading));
                    case Wire.Message.Ping:
                        int ping = MessageTable(frame);
                        ulong nonce = ping == 0 ? 0 : new Wire.Ping().__assign(ping, reading).Nonce;
                        // As msgpack reads an integer: long, ulong above its range.
                        object value = nonce <= long.MaxValue ? (object)(long)nonce : nonce;
                        return new Message(Protocol.Ping, new Dictionary<string, object> { { "nonce", value } });
                    case Wire.Message.Shutdown:
                        return new Message(Protocol.Shutdown, null);
                    case Wire.Message.NONE:
                        throw new ProtocolException("flatbuffers frame holds no message");
                    default:
                        if ((byte)type > Protocol.Shutdown)
                        {
                            throw new ProtocolException("flatbuffers frame of unknown kind " + (byte)type);
                        }
                        throw new ProtocolException("unexpected " + Protocol.Name((byte)type) + " message from the processor");
                }
            }
            catch (IndexOutOfRangeException e)
            {
                throw Outside(e);
            }
            catch (ArgumentException e)
            {
                // ByteBuffer's bounds checks, and an ArraySegment of a negative length.
                throw Outside(e);
            }
        }

        /// <summary>
        /// Where the frame's message table is, 0 when absent: what the generated
        /// <c>Frame.Message&lt;T&gt;()</c> reads (the union's value is the frame's second field,
        /// vtable slot 6), without its <c>new T()</c>, which Mono runs as
        /// <c>Activator.CreateInstance</c>: ~6 µs a frame, more than reading a whole small event.
        /// </summary>
        private static int MessageTable(Wire.Frame frame)
        {
            var bytes = frame.ByteBuffer;
            var root = new Table(bytes.GetInt(bytes.Position) + bytes.Position, bytes);
            int field = root.__offset(6);
            return field == 0 ? 0 : root.__indirect(field + root.bb_pos);
        }

        private static ProtocolException Outside(Exception cause)
        {
            return new ProtocolException("flatbuffers frame is malformed: an offset or a length leads outside it", cause);
        }

        /// <summary>
        /// An event straight into the handler's <see cref="Event"/>; or, when its id or a time
        /// is past what that type holds, its fields, from which
        /// <see cref="Worker.ToEvent(Message)"/> fails just as it does for the other codecs.
        /// </summary>
        private Message ReadEvent(Wire.Event? table)
        {
            var ev = new Event { Fields = new Dictionary<string, string>() };
            if (!table.HasValue)
            {
                // An absent table reads as an empty one.
                ev.Timestamp = Worker.FromEpoch(0);
                return new Message(ev);
            }
            var wire = table.Value;
            var trigger = wire.Trigger;
            if (trigger.HasValue)
            {
                ev.Trigger = new TriggerInfo(Text(trigger.Value.GetKindBytes()), Text(trigger.Value.GetNameBytes()));
            }
            ev.Method = Text(wire.GetMethodBytes());
            ev.Path = Text(wire.GetPathBytes());
            ev.Url = Text(wire.GetUrlBytes());
            int count = wire.QueryLength;
            for (int i = 0; i < count; i++)
            {
                var pair = wire.Query(i).Value;
                ev.Fields[Text(pair.GetKeyBytes())] = Text(pair.GetValueBytes());
            }
            count = wire.HeadersLength;
            for (int i = 0; i < count; i++)
            {
                // Straight into the event's own map, which looks names up in any case.
                var pair = wire.Headers(i).Value;
                ev.Headers[Text(pair.GetKeyBytes())] = Text(pair.GetValueBytes());
            }
            ev.ContentType = Text(wire.GetContentTypeBytes());
            ev.Body = Copy(wire.GetBodyBytes());
            ulong id = wire.Id;
            ulong timestamp = wire.Timestamp;
            ulong deadline = wire.Deadline;
            if (id > long.MaxValue || timestamp > LastEpochMillisecond || deadline > LastEpochMillisecond)
            {
                return new Message(Protocol.Event, Fields(ev, id, timestamp, deadline));
            }
            ev.Id = (long)id;
            ev.Timestamp = Worker.FromEpoch((long)timestamp);
            ev.Deadline = deadline == 0 ? (DateTime?)null : Worker.FromEpoch((long)deadline);
            return new Message(ev);
        }

        /// <summary>An event's fields as the other codecs read them: integers as long, or ulong above its range.</summary>
        private static Dictionary<string, object> Fields(Event ev, ulong id, ulong timestamp, ulong deadline)
        {
            Func<ulong, object> integer = value => value <= long.MaxValue ? (object)(long)value : value;
            var query = new Dictionary<string, object>();
            foreach (var entry in ev.Fields)
            {
                query[entry.Key] = entry.Value;
            }
            var headers = new Dictionary<string, object>();
            foreach (var entry in ev.Headers)
            {
                headers[entry.Key] = entry.Value;
            }
            return new Dictionary<string, object>
            {
                { "id", integer(id) },
                { "trigger", new Dictionary<string, object> { { "kind", ev.Trigger.Kind }, { "name", ev.Trigger.Name } } },
                { "method", ev.Method },
                { "path", ev.Path },
                { "url", ev.Url },
                { "query", query },
                { "headers", headers },
                { "content_type", ev.ContentType },
                { "body", ev.Body },
                { "timestamp", integer(timestamp) },
                { "deadline", integer(deadline) },
            };
        }

        /// <summary>A string's bytes in the frame as text; absent reads as empty.</summary>
        private string Text(ArraySegment<byte>? bytes)
        {
            if (!bytes.HasValue)
            {
                return "";
            }
            var segment = bytes.Value;
            Within(segment);
            return texts.Get(segment.Array, segment.Offset, segment.Count);
        }

        /// <summary>The one copy of a body: out of the frame, which the connection's next read overwrites.</summary>
        private byte[] Copy(ArraySegment<byte>? bytes)
        {
            if (!bytes.HasValue || bytes.Value.Count == 0)
            {
                return NoBytes;
            }
            var segment = bytes.Value;
            Within(segment);
            var copy = new byte[segment.Count];
            Buffer.BlockCopy(segment.Array, segment.Offset, copy, 0, segment.Count);
            return copy;
        }

        /// <summary>The runtime checks a vector's bytes against the array only; they must lie within the frame.</summary>
        private void Within(ArraySegment<byte> segment)
        {
            if (segment.Offset < frameBytes.Start || segment.Offset + (long)segment.Count > frameBytes.Length)
            {
                throw Outside(null);
            }
        }

        public void Encode(Message message, FrameWriter output)
        {
            var b = builder;
            b.Clear();
            int table;
            Wire.Message type;
            try
            {
                table = WriteMessage(b, message, out type);
                Wire.Frame.StartFrame(b);
                Wire.Frame.AddMessageType(b, type);
                Wire.Frame.AddMessage(b, table);
                Wire.Frame.FinishFrameBuffer(b, Wire.Frame.EndFrame(b));
                var bytes = b.DataBuffer;
                int start = bytes.Position;
                int length = bytes.Length - start;
                if (length > Protocol.MaxFrame)
                {
                    throw new ProtocolException("frame of " + (length + 4L) + " bytes is over the 256 MiB limit");
                }
                int at = output.Length;
                output.Reserve(4 + length);
                output.Advance(4);
                output.PutUInt32(at, length);
                var frame = bytes.ToArraySegment(start, length);
                output.Write(frame.Array, frame.Offset, frame.Count);
            }
            finally
            {
                if (b.DataBuffer.Length > Kept)
                {
                    builder = new FlatBufferBuilder(Initial);
                }
            }
        }

        /// <summary>Writes the message's table; its offset, and the union type in <paramref name="type"/>.</summary>
        private int WriteMessage(FlatBufferBuilder b, Message message, out Wire.Message type)
        {
            if (message.Response != null)
            {
                type = Wire.Message.Response;
                var response = message.Response;
                CheckBody(response.Body);
                return WriteResponse(b, message.Id, response.Status, Pairs(b, response.Headers), response.ContentType, response.Body, null);
            }
            var fields = message.Payload;
            switch (message.Kind)
            {
                case Protocol.Hello:
                    type = Wire.Message.Hello;
                    var token = String(b, fields, "token");
                    var runtime = String(b, fields, "runtime");
                    var runtimeVersion = String(b, fields, "runtime_version");
                    Wire.Hello.StartHello(b);
                    Wire.Hello.AddProtocol(b, UInt32(fields, "protocol"));
                    Wire.Hello.AddToken(b, token);
                    Wire.Hello.AddRuntime(b, runtime);
                    Wire.Hello.AddRuntimeVersion(b, runtimeVersion);
                    Wire.Hello.AddPid(b, UInt32(fields, "pid"));
                    Wire.Hello.AddConcurrency(b, UInt32(fields, "concurrency"));
                    return Wire.Hello.EndHello(b).Value;
                case Protocol.Ready:
                    type = Wire.Message.Ready;
                    Wire.Ready.StartReady(b);
                    return Wire.Ready.EndReady(b).Value;
                case Protocol.InitError:
                    type = Wire.Message.InitError;
                    var text = String(b, fields, "message");
                    var given = Value(fields, "detail");
                    var detail = WriteOptional(b, given == null ? null : Convert.ToString(given, CultureInfo.InvariantCulture));
                    Wire.InitError.StartInitError(b);
                    Wire.InitError.AddMessage(b, text);
                    Wire.InitError.AddDetail(b, detail);
                    return Wire.InitError.EndInitError(b).Value;
                case Protocol.Response:
                    type = Wire.Message.Response;
                    var body = Value(fields, "body");
                    if (body != null && !(body is byte[]))
                    {
                        throw new ArgumentException("a response's body must be bytes, not " + body.GetType().Name);
                    }
                    CheckBody((byte[])body);
                    return WriteResponse(
                        b,
                        Int64(fields, "id"),
                        Int64(fields, "status"),
                        Pairs(b, Value(fields, "headers") as IDictionary),
                        Value(fields, "content_type") as string,
                        (byte[])body,
                        Value(fields, "error") as string);
                case Protocol.Log:
                    type = Wire.Message.Log;
                    return WriteLog(b, fields);
                case Protocol.Metric:
                    type = Wire.Message.Metric;
                    var name = String(b, fields, "name");
                    var labels = Pairs(b, Value(fields, "labels") as IDictionary);
                    Wire.Metric.StartMetric(b);
                    Wire.Metric.AddName(b, name);
                    var amount = Value(fields, "value");
                    Wire.Metric.AddValue(b, amount == null ? 0.0 : Convert.ToDouble(amount, CultureInfo.InvariantCulture));
                    Wire.Metric.AddLabels(b, labels);
                    return Wire.Metric.EndMetric(b).Value;
                case Protocol.Pong:
                    type = Wire.Message.Pong;
                    Wire.Pong.StartPong(b);
                    Wire.Pong.AddNonce(b, UInt64(fields, "nonce"));
                    return Wire.Pong.EndPong(b).Value;
                default:
                    // Event, ping and shutdown come from the processor; this codec never writes them.
                    throw new InvalidOperationException("a wrapper does not send " + Protocol.Name(message.Kind) + " messages");
            }
        }

        /// <summary>
        /// A response's table. An id or status out of the fields' range is written as its low
        /// bits, as a typed response's are: the processor answers a status it does not take with 500.
        /// </summary>
        private int WriteResponse(FlatBufferBuilder b, long id, long status, VectorOffset pairs, string contentType, byte[] body, string error)
        {
            var type = WriteText(b, contentType);
            var bytes = body == null ? default(VectorOffset) : Wire.Response.CreateBodyVectorBlock(b, body);
            var message = WriteOptional(b, error);
            Wire.Response.StartResponse(b);
            Wire.Response.AddId(b, (ulong)id);
            Wire.Response.AddStatus(b, (uint)status);
            Wire.Response.AddHeaders(b, pairs);
            Wire.Response.AddContentType(b, type);
            Wire.Response.AddBody(b, bytes);
            Wire.Response.AddError(b, message);
            return Wire.Response.EndResponse(b).Value;
        }

        /// <summary>Refuses a body that could never go out, before the builder copies it.</summary>
        private static void CheckBody(byte[] body)
        {
            if (body != null && body.Length > Protocol.MaxFrame)
            {
                throw new ProtocolException("frame of at least " + body.Length + " bytes is over the 256 MiB limit");
            }
        }

        private int WriteLog(FlatBufferBuilder b, IDictionary<string, object> fields)
        {
            var level = String(b, fields, "level");
            var text = String(b, fields, "message");
            // The structured fields as the json codec would write them, absent when there are none.
            var structured = Value(fields, "fields");
            var map = structured as ICollection;
            var json = structured == null || (map != null && map.Count == 0)
                ? default(StringOffset)
                : b.CreateString(JsonCodec.Text(structured));
            var id = Value(fields, "id");
            Wire.Log.StartLog(b);
            Wire.Log.AddId(b, id == null ? (ulong?)null : Convert.ToUInt64(id, CultureInfo.InvariantCulture));
            Wire.Log.AddLevel(b, level);
            Wire.Log.AddMessage(b, text);
            Wire.Log.AddFieldsJson(b, json);
            return Wire.Log.EndLog(b).Value;
        }

        /// <summary>A handler's headers as a vector of pairs, in their order; absent when there are none.</summary>
        private VectorOffset Pairs(FlatBufferBuilder b, IDictionary<string, string> map)
        {
            int count = 0;
            // Most responses have none, and an interface's enumerator is one more object.
            if (map != null && map.Count > 0)
            {
                foreach (var entry in map)
                {
                    AddPair(b, count++, entry.Key, entry.Value);
                }
            }
            return PairVector(b, count);
        }

        /// <summary>A map field's entries as a vector of pairs, in its order, values as text; absent when empty.</summary>
        private VectorOffset Pairs(FlatBufferBuilder b, IDictionary map)
        {
            int count = 0;
            if (map != null)
            {
                foreach (DictionaryEntry entry in map)
                {
                    AddPair(b, count++, Convert.ToString(entry.Key, CultureInfo.InvariantCulture),
                        entry.Value == null ? null : Convert.ToString(entry.Value, CultureInfo.InvariantCulture));
                }
            }
            return PairVector(b, count);
        }

        private void AddPair(FlatBufferBuilder b, int index, string key, string value)
        {
            var keyOffset = WriteText(b, key);
            var valueOffset = WriteText(b, value);
            if (index == pairs.Length)
            {
                Array.Resize(ref pairs, index * 2);
            }
            pairs[index] = Wire.Pair.CreatePair(b, keyOffset, valueOffset).Value;
        }

        /// <summary>The vector of the first <paramref name="count"/> pairs written, or absent for none.</summary>
        private VectorOffset PairVector(FlatBufferBuilder b, int count)
        {
            if (count == 0)
            {
                return default(VectorOffset);
            }
            // A vector is written from its last element back.
            b.StartVector(4, count, 4);
            for (int i = count - 1; i >= 0; i--)
            {
                b.AddOffset(pairs[i]);
            }
            return b.EndVector();
        }

        private static object Value(IDictionary<string, object> fields, string name)
        {
            object value;
            return fields.TryGetValue(name, out value) ? value : null;
        }

        /// <summary>A text field written before its table (see <see cref="WriteText"/>).</summary>
        private static StringOffset String(FlatBufferBuilder b, IDictionary<string, object> fields, string name)
        {
            var value = Value(fields, name);
            return WriteText(b, value == null ? null : Convert.ToString(value, CultureInfo.InvariantCulture));
        }

        /// <summary>Text, absent (offset 0) when null or empty: it reads as empty, in a smaller frame.</summary>
        private static StringOffset WriteText(FlatBufferBuilder b, string text)
        {
            return string.IsNullOrEmpty(text) ? default(StringOffset) : b.CreateString(text);
        }

        /// <summary>An optional text (<c>detail</c>, <c>error</c>): absent only when null, as empty text is not absent.</summary>
        private static StringOffset WriteOptional(FlatBufferBuilder b, string text)
        {
            return b.CreateString(text);
        }

        private static long Int64(IDictionary<string, object> fields, string name)
        {
            var value = Value(fields, name);
            return value == null ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);
        }

        private static uint UInt32(IDictionary<string, object> fields, string name)
        {
            var value = Value(fields, name);
            return value == null ? 0 : Convert.ToUInt32(value, CultureInfo.InvariantCulture);
        }

        private static ulong UInt64(IDictionary<string, object> fields, string name)
        {
            var value = Value(fields, name);
            return value == null ? 0 : Convert.ToUInt64(value, CultureInfo.InvariantCulture);
        }

        /// <summary>
        /// The bytes a received frame's reader may see: the connection's buffer, cut at the
        /// frame's end, so the runtime's bounds checks stop there and not at the buffer's.
        /// </summary>
        private sealed class FrameBytes : ByteBufferAllocator
        {
            /// <summary>Where the frame starts: the runtime reads from the array's start, the codec's own checks from here.</summary>
            public int Start { get; private set; }

            public void Wrap(byte[] buffer, int start, int end)
            {
                Buffer = buffer;
                Start = start;
                Length = end;
            }

            public override void GrowFront(int newSize)
            {
                throw new InvalidOperationException("a received frame is only read");
            }
        }
    }
}
