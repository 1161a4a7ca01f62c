using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Ferrite.Sdk;
using Ferrite.Wrapper;
using Ferrite.Wrapper.Codec;
using Newtonsoft.Json.Linq;
using NUnit.Framework;

namespace Ferrite.Wrapper.Tests
{
    /// <summary>
    /// The golden wire vectors of schemas/testdata/ (its README says what to do with them), for
    /// each codec: every vector decoded and compared with its JSON, and every JSON's message
    /// encoded, decoded again and compared.
    ///
    /// The flatbuffers codec reads only what travels to a wrapper (event, ping, shutdown) and
    /// writes only the rest. So the other kinds' vectors, and what it writes, are read with
    /// <see cref="FlatbuffersProcessorSide"/> (the generated code alone), and the messages it
    /// reads are written with that too before it decodes them.
    /// </summary>
    [TestFixture]
    public class GoldenVectorsTest
    {
        /// <summary>schemas/testdata/, found above this assembly (bin/ for mcs, the .NET SDK's output folders).</summary>
        private static string VectorDirectory()
        {
            var dir = Path.GetDirectoryName(typeof(GoldenVectorsTest).Assembly.Location);
            for (; dir != null; dir = Path.GetDirectoryName(dir))
            {
                var candidate = Path.Combine(Path.Combine(dir, "schemas"), "testdata");
                if (File.Exists(Path.Combine(candidate, "README.md")))
                {
                    return candidate;
                }
            }
            Assert.Fail("schemas/testdata/ is not in any folder above " + typeof(GoldenVectorsTest).Assembly.Location);
            return null;
        }

        /// <summary>Every vector's name; fails when there are none.</summary>
        private static List<string> Names()
        {
            var names = Directory.GetFiles(VectorDirectory(), "*.json")
                .Select(Path.GetFileNameWithoutExtension)
                .OrderBy(name => name, StringComparer.Ordinal)
                .ToList();
            // The README's list: every kind, and the cases beside them.
            Assert.GreaterOrEqual(names.Count, 23, "schemas/testdata/ lacks vectors");
            return names;
        }

        private static byte[] Vector(string name, string extension)
        {
            var path = Path.Combine(VectorDirectory(), name + "." + extension);
            Assert.IsTrue(File.Exists(path), path + " is missing");
            return File.ReadAllBytes(path);
        }

        /// <summary>A vector file as its codec frames it on the wire.</summary>
        private static byte[] Framed(string codec, string name)
        {
            if (codec == "json")
            {
                return Vector(name, "json");
            }
            var payload = Vector(name, codec == "msgpack" ? "msgpack" : "fb");
            var frame = new byte[payload.Length + 4];
            frame[0] = (byte)(payload.Length >> 24);
            frame[1] = (byte)(payload.Length >> 16);
            frame[2] = (byte)(payload.Length >> 8);
            frame[3] = (byte)payload.Length;
            Buffer.BlockCopy(payload, 0, frame, 4, payload.Length);
            return frame;
        }

        /// <summary>The vector's JSON: its kind and its fields as plain objects (bodies still base64 text).</summary>
        private static KeyValuePair<byte, Dictionary<string, object>> Expected(string name)
        {
            var fields = (Dictionary<string, object>)Json.Parse(Vector(name, "json"));
            var kind = Protocol.Kind((string)fields["kind"]);
            Assert.AreNotEqual(0, kind, name + ": unknown kind");
            fields.Remove("kind");
            return new KeyValuePair<byte, Dictionary<string, object>>(kind, fields);
        }

        /// <summary>Whether the wrapper's codec reads this kind; else it writes it.</summary>
        private static bool TowardsWrapper(byte kind)
        {
            return kind == Protocol.Event || kind == Protocol.Ping || kind == Protocol.Shutdown;
        }

        /// <summary>The codec that reads frames of <paramref name="kind"/> in these tests.</summary>
        private static ICodec Reader(string codec, byte kind)
        {
            return codec == "flatbuffers" && !TowardsWrapper(kind) ? new FlatbuffersProcessorSide() : Codecs.Create(codec);
        }

        /// <summary>The codec that writes messages of <paramref name="kind"/> in these tests.</summary>
        private static ICodec Writer(string codec, byte kind)
        {
            return codec == "flatbuffers" && TowardsWrapper(kind) ? new FlatbuffersProcessorSide() : Codecs.Create(codec);
        }

        private static Message DecodeWhole(ICodec codec, byte[] frame)
        {
            Message message;
            int needed;
            int used = codec.TryDecode(frame, 0, frame.Length, out message, out needed);
            Assert.AreEqual(frame.Length, used, "the frame was not read whole");
            return message;
        }

        [TestCase("json")]
        [TestCase("msgpack")]
        [TestCase("flatbuffers")]
        public void DecodesEveryVectorAsItsJsonSays(string codec)
        {
            var failures = new List<string>();
            foreach (var name in Names())
            {
                var expected = Expected(name);
                try
                {
                    var message = DecodeWhole(Reader(codec, expected.Key), Framed(codec, name));
                    Compare(name, expected, message, failures);
                }
                catch (Exception e)
                {
                    failures.Add(name + ": " + e);
                }
            }
            if (failures.Count > 0)
            {
                Assert.Fail(string.Join("\n", failures));
            }
        }

        [TestCase("json")]
        [TestCase("msgpack")]
        [TestCase("flatbuffers")]
        public void EncodesEveryVectorsMessageSoThatItDecodesTheSame(string codec)
        {
            var failures = new List<string>();
            foreach (var name in Names())
            {
                var expected = Expected(name);
                try
                {
                    var output = new FrameWriter();
                    Writer(codec, expected.Key).Encode(new Message(expected.Key, Sendable(expected.Value)), output);
                    var message = DecodeWhole(Reader(codec, expected.Key), output.ToArray());
                    Compare(name, expected, message, failures);
                }
                catch (Exception e)
                {
                    failures.Add(name + ": " + e);
                }
            }
            if (failures.Count > 0)
            {
                Assert.Fail(string.Join("\n", failures));
            }
        }

        /// <summary>The whole 1 MiB event through the wrapper's flatbuffers codec, as the handler gets it.</summary>
        [Test]
        public void TheFlatbuffersCodecGivesTheHandlerTheVectorsBody()
        {
            var message = DecodeWhole(new FlatbuffersCodec(), Framed("flatbuffers", "event-1mib"));
            var body = Worker.ToEvent(message).Body;
            Assert.AreEqual(1 << 20, body.Length);
            CollectionAssert.AreEqual(Convert.FromBase64String((string)Expected("event-1mib").Value["body"]), body);
        }

        /// <summary>A JSON's fields as a wrapper holds them to send: bodies as bytes.</summary>
        private static Dictionary<string, object> Sendable(Dictionary<string, object> fields)
        {
            var copy = new Dictionary<string, object>(fields);
            object body;
            if (copy.TryGetValue("body", out body) && body != null)
            {
                copy["body"] = Convert.FromBase64String((string)body);
            }
            return copy;
        }

        private static void Compare(string name, KeyValuePair<byte, Dictionary<string, object>> expected, Message message, List<string> failures)
        {
            if (message.Kind != expected.Key)
            {
                failures.Add(name + ": kind " + Protocol.Name(message.Kind) + ", expected " + Protocol.Name(expected.Key));
                return;
            }
            var want = Canonical(expected.Key, expected.Value);
            var got = Canonical(message.Kind, FieldsOf(message));
            foreach (var field in want.Properties().Select(p => p.Name).Union(got.Properties().Select(p => p.Name)))
            {
                if (!JToken.DeepEquals(want[field], got[field]))
                {
                    failures.Add(name + ": " + field + " is " + Short(got[field]) + ", expected " + Short(want[field]));
                }
            }
        }

        /// <summary>A value as JSON, cut short: a 1 MiB body's base64 would drown the report.</summary>
        private static string Short(JToken value)
        {
            var text = value == null ? "missing" : value.ToString(Newtonsoft.Json.Formatting.None);
            return text.Length <= 120 ? text : text.Substring(0, 120) + "... (" + text.Length + " chars)";
        }

        private static readonly DateTime Epoch = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        /// <summary>A decoded message's fields: its payload, or those of the handler's event it was read into.</summary>
        private static IDictionary<string, object> FieldsOf(Message message)
        {
            var ev = message.Event;
            if (ev == null)
            {
                return message.Payload;
            }
            return new Dictionary<string, object>
            {
                { "id", ev.Id },
                { "trigger", new Dictionary<string, object> { { "kind", ev.Trigger.Kind }, { "name", ev.Trigger.Name } } },
                { "method", ev.Method },
                { "path", ev.Path },
                { "url", ev.Url },
                { "query", ev.Fields.ToDictionary(entry => entry.Key, entry => (object)entry.Value) },
                { "headers", ev.Headers.ToDictionary(entry => entry.Key, entry => (object)entry.Value) },
                { "content_type", ev.ContentType },
                { "body", ev.Body },
                { "timestamp", (ev.Timestamp - Epoch).Ticks / TimeSpan.TicksPerMillisecond },
                { "deadline", ev.Deadline.HasValue ? (ev.Deadline.Value - Epoch).Ticks / TimeSpan.TicksPerMillisecond : 0L },
            };
        }

        /// <summary>
        /// Every field of the kind's message with the README's defaults for the ones not there:
        /// empty text, map and body, 0, absent for <c>detail</c>, <c>error</c> and a log's id;
        /// bodies as base64, maps with their keys sorted, a log's fields as JSON.
        /// </summary>
        private static JObject Canonical(byte kind, IDictionary<string, object> fields)
        {
            var canonical = new JObject();
            Action<string> text = name => canonical[name] = Convert.ToString(Field(fields, name) ?? "", CultureInfo.InvariantCulture);
            Action<string> optional = name => canonical[name] = Field(fields, name) == null ? JValue.CreateNull() : new JValue(Convert.ToString(Field(fields, name), CultureInfo.InvariantCulture));
            Action<string> integer = name => canonical[name] = new JValue(Convert.ToDecimal(Field(fields, name) ?? 0, CultureInfo.InvariantCulture));
            Action<string> map = name => canonical[name] = Map(Field(fields, name));
            Action<string> bytes = name =>
            {
                var value = Field(fields, name);
                canonical[name] = value == null ? "" : value as string ?? Convert.ToBase64String((byte[])value);
            };
            switch (kind)
            {
                case Protocol.Hello:
                    integer("protocol");
                    text("token");
                    text("runtime");
                    text("runtime_version");
                    integer("pid");
                    integer("concurrency");
                    break;
                case Protocol.InitError:
                    text("message");
                    optional("detail");
                    break;
                case Protocol.Event:
                    integer("id");
                    var trigger = Map(Field(fields, "trigger"));
                    canonical["trigger"] = new JObject
                    {
                        { "kind", trigger["kind"] ?? "" },
                        { "name", trigger["name"] ?? "" },
                    };
                    text("method");
                    text("path");
                    text("url");
                    map("query");
                    map("headers");
                    text("content_type");
                    bytes("body");
                    integer("timestamp");
                    integer("deadline");
                    break;
                case Protocol.Response:
                    integer("id");
                    integer("status");
                    map("headers");
                    text("content_type");
                    bytes("body");
                    optional("error");
                    break;
                case Protocol.Log:
                    canonical["id"] = Field(fields, "id") == null ? JValue.CreateNull() : new JValue(Convert.ToDecimal(Field(fields, "id"), CultureInfo.InvariantCulture));
                    text("level");
                    text("message");
                    var structured = Field(fields, "fields");
                    canonical["fields"] = structured == null ? new JObject() : JToken.FromObject(structured);
                    break;
                case Protocol.Metric:
                    text("name");
                    canonical["value"] = new JValue(Convert.ToDouble(Field(fields, "value") ?? 0.0, CultureInfo.InvariantCulture));
                    map("labels");
                    break;
                case Protocol.Ping:
                case Protocol.Pong:
                    integer("nonce");
                    break;
            }
            return canonical;
        }

        private static object Field(IDictionary<string, object> fields, string name)
        {
            object value;
            return fields.TryGetValue(name, out value) ? value : null;
        }

        /// <summary>A map of text as JSON, keys sorted (null values read as empty text).</summary>
        private static JObject Map(object value)
        {
            var map = new JObject();
            var entries = value as IDictionary;
            if (entries == null)
            {
                return map;
            }
            var keys = new List<string>();
            foreach (var key in entries.Keys)
            {
                keys.Add(Convert.ToString(key, CultureInfo.InvariantCulture));
            }
            keys.Sort(StringComparer.Ordinal);
            foreach (var key in keys)
            {
                map[key] = Convert.ToString(entries[key] ?? "", CultureInfo.InvariantCulture);
            }
            return map;
        }
    }
}
