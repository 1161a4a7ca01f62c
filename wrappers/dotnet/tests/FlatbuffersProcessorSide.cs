using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using FlatBuffers;
using Ferrite.Sdk;
using Ferrite.Wrapper;
using Ferrite.Wrapper.Codec;
using Wire = ferrite.wire;

namespace Ferrite.Wrapper.Tests
{
    /// <summary>
    /// The processor's half of the flatbuffers codec, on the generated code alone, for the
    /// tests and benchmarks/CodecBench.cs: it writes what the wrapper's
    /// <see cref="FlatbuffersCodec"/> only reads (event, ping, shutdown, from their fields as
    /// <see cref="SampleEvents"/> has them) and reads every kind into fields as the other
    /// codecs' generic readers do: integers <c>long</c>, bodies <c>byte[]</c>, maps
    /// <c>Dictionary&lt;string, object&gt;</c>, a log's fields as plain JSON values; a string,
    /// map or body that is absent is left out, as are <c>detail</c>, <c>error</c> and a log's id.
    /// </summary>
    public sealed class FlatbuffersProcessorSide : ICodec
    {
        private readonly FlatBufferBuilder builder = new FlatBufferBuilder(1024);

        public int TryDecode(byte[] buffer, int start, int end, out Message message, out int needed)
        {
            message = null;
            needed = 0;
            if (end - start < 4)
            {
                return 0;
            }
            int length = (buffer[start] << 24) | (buffer[start + 1] << 16) | (buffer[start + 2] << 8) | buffer[start + 3];
            if (end - start < 4 + length)
            {
                needed = 4 + length;
                return 0;
            }
            var frame = new byte[length];
            Buffer.BlockCopy(buffer, start + 4, frame, 0, length);
            message = Read(frame);
            return 4 + length;
        }

        /// <summary>The message of one FlatBuffers buffer (a vector file, or a frame without its length).</summary>
        public static Message Read(byte[] frame)
        {
            var bytes = new ByteBuffer(frame);
            if (!Wire.Frame.FrameBufferHasIdentifier(bytes))
            {
                throw new ProtocolException("no FRT1 identifier");
            }
            var root = Wire.Frame.GetRootAsFrame(bytes);
            var fields = new Dictionary<string, object>();
            switch (root.MessageType)
            {
                case Wire.Message.Hello:
                    var hello = root.MessageAsHello();
                    fields["protocol"] = (long)hello.Protocol;
                    Text(fields, "token", hello.Token);
                    Text(fields, "runtime", hello.Runtime);
                    Text(fields, "runtime_version", hello.RuntimeVersion);
                    fields["pid"] = (long)hello.Pid;
                    fields["concurrency"] = (long)hello.Concurrency;
                    break;
                case Wire.Message.Ready:
                case Wire.Message.Shutdown:
                    break;
                case Wire.Message.InitError:
                    var initError = root.MessageAsInitError();
                    Text(fields, "message", initError.Message);
                    Text(fields, "detail", initError.Detail);
                    break;
                case Wire.Message.Event:
                    var ev = root.MessageAsEvent();
                    fields["id"] = Integer(ev.Id);
                    if (ev.Trigger.HasValue)
                    {
                        var trigger = new Dictionary<string, object>();
                        Text(trigger, "kind", ev.Trigger.Value.Kind);
                        Text(trigger, "name", ev.Trigger.Value.Name);
                        fields["trigger"] = trigger;
                    }
                    Text(fields, "method", ev.Method);
                    Text(fields, "path", ev.Path);
                    Text(fields, "url", ev.Url);
                    fields["query"] = Map(ev.QueryLength, ev.Query);
                    fields["headers"] = Map(ev.HeadersLength, ev.Headers);
                    Text(fields, "content_type", ev.ContentType);
                    Bytes(fields, ev.GetBodyBytes());
                    fields["timestamp"] = Integer(ev.Timestamp);
                    fields["deadline"] = Integer(ev.Deadline);
                    break;
                case Wire.Message.Response:
                    var response = root.MessageAsResponse();
                    fields["id"] = Integer(response.Id);
                    fields["status"] = (long)response.Status;
                    fields["headers"] = Map(response.HeadersLength, response.Headers);
                    Text(fields, "content_type", response.ContentType);
                    Bytes(fields, response.GetBodyBytes());
                    Text(fields, "error", response.Error);
                    break;
                case Wire.Message.Log:
                    var log = root.MessageAsLog();
                    if (log.Id.HasValue)
                    {
                        fields["id"] = Integer(log.Id.Value);
                    }
                    Text(fields, "level", log.Level);
                    Text(fields, "message", log.Message);
                    if (log.FieldsJson != null)
                    {
                        fields["fields"] = Json.Parse(log.FieldsJson);
                    }
                    break;
                case Wire.Message.Metric:
                    var metric = root.MessageAsMetric();
                    Text(fields, "name", metric.Name);
                    fields["value"] = metric.Value;
                    fields["labels"] = Map(metric.LabelsLength, metric.Labels);
                    break;
                case Wire.Message.Ping:
                    fields["nonce"] = Integer(root.MessageAsPing().Nonce);
                    break;
                case Wire.Message.Pong:
                    fields["nonce"] = Integer(root.MessageAsPong().Nonce);
                    break;
                default:
                    throw new ProtocolException("unknown message type " + root.MessageType);
            }
            return new Message((byte)root.MessageType, fields);
        }

        private static object Integer(ulong value)
        {
            return value <= long.MaxValue ? (object)(long)value : value;
        }

        private static void Text(Dictionary<string, object> fields, string name, string value)
        {
            if (value != null)
            {
                fields[name] = value;
            }
        }

        private static void Bytes(Dictionary<string, object> fields, ArraySegment<byte>? bytes)
        {
            if (bytes.HasValue)
            {
                var copy = new byte[bytes.Value.Count];
                Buffer.BlockCopy(bytes.Value.Array, bytes.Value.Offset, copy, 0, copy.Length);
                fields["body"] = copy;
            }
        }

        private static Dictionary<string, object> Map(int count, Func<int, Wire.Pair?> pair)
        {
            var map = new Dictionary<string, object>();
            for (int i = 0; i < count; i++)
            {
                map[pair(i).Value.Key ?? ""] = pair(i).Value.Value ?? "";
            }
            return map;
        }

        /// <summary>Writes an event, a ping or a shutdown from its fields, as the processor would.</summary>
        public void Encode(Message message, FrameWriter output)
        {
            var b = builder;
            b.Clear();
            var fields = message.Payload;
            int table;
            switch (message.Kind)
            {
                case Protocol.Event:
                    var trigger = Value(fields, "trigger") as IDictionary;
                    var triggerOffset = default(Offset<Wire.Trigger>);
                    if (trigger != null)
                    {
                        triggerOffset = Wire.Trigger.CreateTrigger(b, String(b, trigger["kind"]), String(b, trigger["name"]));
                    }
                    var method = String(b, Value(fields, "method"));
                    var path = String(b, Value(fields, "path"));
                    var url = String(b, Value(fields, "url"));
                    var query = Pairs(b, Value(fields, "query") as IDictionary);
                    var headers = Pairs(b, Value(fields, "headers") as IDictionary);
                    var contentType = String(b, Value(fields, "content_type"));
                    var body = Value(fields, "body") as byte[];
                    var bodyOffset = body == null ? default(VectorOffset) : Wire.Event.CreateBodyVectorBlock(b, body);
                    Wire.Event.StartEvent(b);
                    Wire.Event.AddId(b, UInt64(Value(fields, "id")));
                    Wire.Event.AddTrigger(b, triggerOffset);
                    Wire.Event.AddMethod(b, method);
                    Wire.Event.AddPath(b, path);
                    Wire.Event.AddUrl(b, url);
                    Wire.Event.AddQuery(b, query);
                    Wire.Event.AddHeaders(b, headers);
                    Wire.Event.AddContentType(b, contentType);
                    Wire.Event.AddBody(b, bodyOffset);
                    Wire.Event.AddTimestamp(b, UInt64(Value(fields, "timestamp")));
                    Wire.Event.AddDeadline(b, UInt64(Value(fields, "deadline")));
                    table = Wire.Event.EndEvent(b).Value;
                    break;
                case Protocol.Ping:
                    table = Wire.Ping.CreatePing(b, UInt64(Value(fields, "nonce"))).Value;
                    break;
                case Protocol.Shutdown:
                    Wire.Shutdown.StartShutdown(b);
                    table = Wire.Shutdown.EndShutdown(b).Value;
                    break;
                default:
                    throw new NotSupportedException("the processor does not send " + Protocol.Name(message.Kind) + " messages");
            }
            Wire.Frame.FinishFrameBuffer(b, Wire.Frame.CreateFrame(b, (Wire.Message)message.Kind, table));
            var bytes = b.SizedByteArray();
            int at = output.Length;
            output.Reserve(4 + bytes.Length);
            output.Advance(4);
            output.PutUInt32(at, bytes.Length);
            output.Write(bytes, 0, bytes.Length);
        }

        private static object Value(IDictionary<string, object> fields, string name)
        {
            object value;
            return fields.TryGetValue(name, out value) ? value : null;
        }

        private static StringOffset String(FlatBufferBuilder b, object value)
        {
            return b.CreateString(value == null ? null : Convert.ToString(value, CultureInfo.InvariantCulture));
        }

        private static ulong UInt64(object value)
        {
            return value == null ? 0 : Convert.ToUInt64(value, CultureInfo.InvariantCulture);
        }

        private static VectorOffset Pairs(FlatBufferBuilder b, IDictionary map)
        {
            if (map == null)
            {
                return default(VectorOffset);
            }
            var pairs = new List<Offset<Wire.Pair>>();
            foreach (DictionaryEntry entry in map)
            {
                pairs.Add(Wire.Pair.CreatePair(b, String(b, entry.Key), String(b, entry.Value)));
            }
            return Wire.Event.CreateHeadersVector(b, pairs.ToArray());
        }
    }
}
