using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Ferrite.Sdk;
using Ferrite.Wrapper;
using Ferrite.Wrapper.Codec;
using NUnit.Framework;

namespace Ferrite.Wrapper.Tests
{
    /// <summary>
    /// The typed paths of the msgpack codec: events read straight into the handler's
    /// <see cref="Event"/> must give what the generic reader plus <see cref="Worker.ToEvent(long, IDictionary{string, object})"/>
    /// give, and responses written from a <see cref="WireResponse"/> the bytes of their fields' dictionary
    /// (in every codec: json and flatbuffers write both too).
    /// </summary>
    [TestFixture]
    public class TypedMessagesTest
    {
        private static byte[] Pack(object value)
        {
            return MsgpackCodec.Pack(value);
        }

        private static byte[] Hex(string hex)
        {
            hex = hex.Replace(" ", "");
            var bytes = new byte[hex.Length / 2];
            for (int i = 0; i < bytes.Length; i++)
            {
                bytes[i] = Convert.ToByte(hex.Substring(i * 2, 2), 16);
            }
            return bytes;
        }

        private static byte[] Cat(params byte[][] parts)
        {
            return parts.SelectMany(part => part).ToArray();
        }

        /// <summary>A map written by hand: keys and values alternate, each already packed.</summary>
        private static byte[] Map(params byte[][] entries)
        {
            int count = entries.Length / 2;
            var header = count < 16 ? new[] { (byte)(0x80 | count) } : new byte[] { 0xde, (byte)(count >> 8), (byte)count };
            return Cat(header, Cat(entries));
        }

        private static byte[] Frame(byte kind, byte[] payload)
        {
            int length = payload.Length + 1;
            return Cat(new[] { (byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length, kind }, payload);
        }

        /// <summary>Event payloads the typed reader must take, as the processor sends them and in other valid forms.</summary>
        private static IEnumerable<KeyValuePair<string, byte[]>> TypedEvents()
        {
            yield return Case("wrk's GET", Pack(SampleEvents.WrkGet()));
            var random = new Random(5);
            foreach (var size in new[] { 1, 255, 256, 65535, 65536, 70000 })
            {
                var body = new byte[size];
                random.NextBytes(body);
                var fields = SampleEvents.WrkGet();
                fields["method"] = "POST";
                fields["content_type"] = "application/octet-stream";
                fields["body"] = body;
                yield return Case("body of " + size, Pack(fields));
            }
            var text = SampleEvents.WrkGet();
            text["path"] = "/żółw/✓";
            text["url"] = "/żółw/✓?k=日本";
            text["query"] = new Dictionary<string, object> { { "ключ", "значение" }, { "k", "日本" }, { "empty", "" } };
            text["headers"] = new Dictionary<string, object> { { "x-text", "żółw ✓ 日本語" }, { "x-emoji", "😀" }, { "host", "é" } };
            text["trigger"] = new Dictionary<string, object> { { "kind", "http" }, { "name", "tést" } };
            yield return Case("non-ASCII text", Pack(text));
            var many = new Dictionary<string, object>();
            for (int i = 0; i < 40; i++)
            {
                many["x-header-" + i] = i % 3 == 0 ? "" : new string((char)('a' + i % 26), i * 5);
            }
            var headers = SampleEvents.WrkGet();
            headers["headers"] = many;
            headers["query"] = many;
            yield return Case("many headers", Pack(headers));
            var cases = SampleEvents.WrkGet();
            cases["query"] = new Dictionary<string, object> { { "Q", "1" }, { "q", "2" } };
            yield return Case("query names in two cases", Pack(cases));
            var nils = new Dictionary<string, object>();
            foreach (var key in SampleEvents.WrkGet().Keys)
            {
                nils[key] = key == "id" ? (object)1L : null;
            }
            yield return Case("every field nil", Pack(nils));
            yield return Case("only an id", Pack(new Dictionary<string, object> { { "id", 0L } }));
            yield return Case("a negative id", Pack(new Dictionary<string, object> { { "id", -5L }, { "deadline", 0L } }));
            var extra = new Dictionary<string, object> { { "first", new List<object> { 1L, "a", null, 2.5, true } } };
            foreach (var entry in SampleEvents.WrkGet())
            {
                extra[entry.Key] = entry.Value;
                extra["after_" + entry.Key] = new Dictionary<string, object> { { "id", 7L }, { "body", new byte[] { 1 } } };
            }
            extra["trigger"] = new Dictionary<string, object> { { "x", new List<object> { 1L } }, { "kind", "http" }, { "name", "n" }, { "y", null } };
            yield return Case("unknown keys everywhere", Pack(extra));
            // Keys in reverse order and in longer forms than needed: str 8 keys, str 16
            // values, map 16 and map 32 headers, int 64 and uint 8 numbers.
            yield return Case("reordered, long forms", Map(
                Hex("d9 08 646561646c696e65"), Hex("cc 05"),
                Hex("d9 09 74696d657374616d70"), Hex("d3 00000000 0000ffff"),
                Pack("body"), Hex("c6 00000002 6869"),
                Pack("content_type"), Hex("da 0004 74797065"),
                Pack("headers"), Cat(Hex("df 00000002"), Pack("host"), Pack("h"), Pack("accept"), Hex("d9 03 2a2f2a")),
                Pack("query"), Cat(Hex("de 0001"), Pack("q"), Pack("1")),
                Pack("url"), Pack("/u?q=1"),
                Pack("path"), Pack("/u"),
                Pack("method"), Hex("d9 03 505554"),
                Pack("trigger"), Map(Pack("name"), Pack("n"), Pack("kind"), Pack("k")),
                Hex("d9 02 6964"), Hex("d3 00000000 00000009")));
            yield return Case("trigger kind twice", Map(
                Pack("id"), Pack(3L),
                Pack("trigger"), Map(Pack("kind"), Pack("a"), Pack("name"), Pack("n"), Pack("kind"), Pack("b"))));
            // Not UTF-8: the replacement character, as the generic reader gives.
            yield return Case("invalid UTF-8", Map(
                Pack("id"), Pack(1L),
                Pack("method"), Hex("a3 61ff62"),
                Pack("headers"), Map(Hex("a2 c3a9"), Hex("a1 ff"), Pack("x"), Hex("a2 e282"))));
        }

        /// <summary>Payloads only the generic reader takes (or refuses): the result must be the same.</summary>
        private static IEnumerable<KeyValuePair<string, byte[]>> GenericEvents()
        {
            yield return Case("method as a number", Pack(new Dictionary<string, object> { { "id", 1L }, { "method", 5L } }));
            yield return Case("header value as a number", Pack(new Dictionary<string, object>
            {
                { "id", 1L }, { "headers", new Dictionary<string, object> { { "a", 7L }, { "b", true } } },
            }));
            yield return Case("trigger name as a number", Pack(new Dictionary<string, object>
            {
                { "id", 1L }, { "trigger", new Dictionary<string, object> { { "kind", "http" }, { "name", 9L } } },
            }));
            yield return Case("timestamp as a float", Pack(new Dictionary<string, object> { { "id", 1L }, { "timestamp", 1500.6 } }));
            yield return Case("deadline as text", Pack(new Dictionary<string, object> { { "id", 1L }, { "deadline", "5" } }));
            yield return Case("id above a long", Map(Pack("id"), Hex("cf ffffffffffffffff")));
            yield return Case("id as a float", Pack(new Dictionary<string, object> { { "id", 1.0 } }));
            yield return Case("id nil", Pack(new Dictionary<string, object> { { "id", null } }));
            yield return Case("no id", Pack(new Dictionary<string, object> { { "method", "GET" } }));
            yield return Case("a key twice", Map(Pack("id"), Pack(1L), Pack("method"), Pack("GET"), Pack("method"), Pack("PUT")));
            // A name twice in a map: the generic reader keeps the last value in the first's place,
            // and only then are header names folded.
            var cases = new Dictionary<string, object> { { "id", 1L } };
            cases["headers"] = new Dictionary<string, object> { { "Content-Type", "text/plain" }, { "content-type", "application/json" } };
            yield return Case("header names in two cases", Pack(cases));
            yield return Case("a query name twice", Map(
                Pack("id"), Pack(1L), Pack("query"), Map(Pack("x"), Pack("1"), Pack("y"), Pack("2"), Pack("x"), Pack("3"))));
            yield return Case("a header name twice and in two cases", Map(
                Pack("id"), Pack(1L), Pack("headers"), Map(Pack("a"), Pack("1"), Pack("A"), Pack("2"), Pack("b"), Pack("3"), Pack("a"), Pack("4"))));
            yield return Case("trigger as text", Pack(new Dictionary<string, object> { { "id", 1L }, { "trigger", "http" } }));
            yield return Case("headers as a list", Pack(new Dictionary<string, object> { { "id", 1L }, { "headers", new List<object>() } }));
            yield return Case("body as text", Pack(new Dictionary<string, object> { { "id", 1L }, { "body", "abc" } }));
            yield return Case("timestamp past the calendar", Pack(new Dictionary<string, object> { { "id", 1L }, { "timestamp", long.MaxValue } }));
        }

        private static KeyValuePair<string, byte[]> Case(string name, byte[] payload)
        {
            return new KeyValuePair<string, byte[]>(name, payload);
        }

        [Test]
        public void TypedEventsAreTheEventsTheGenericReaderGives()
        {
            var codec = new MsgpackCodec();
            // Twice, so the second round reads its texts from the codec's cache.
            for (int round = 0; round < 2; round++)
            {
                foreach (var entry in TypedEvents())
                {
                    var message = Decode(codec, entry.Value);
                    Assert.IsNotNull(message.Event, entry.Key + ": not read typed");
                    Assert.AreEqual(Generic(entry.Value), Outcome(() => Worker.ToEvent(message)), entry.Key);
                    Assert.AreEqual(0, message.Payload.Count, entry.Key);
                }
            }
        }

        [Test]
        public void OtherEventsAreLeftToTheGenericReader()
        {
            var codec = new MsgpackCodec();
            foreach (var entry in GenericEvents())
            {
                var message = Decode(codec, entry.Value);
                Assert.IsNull(message.Event, entry.Key + ": read typed");
                Assert.AreEqual(Generic(entry.Value), Outcome(() => Worker.ToEvent(message)), entry.Key);
            }
        }

        [Test]
        public void TypedEventsHaveTheirOwnMapsAndCaseInsensitiveHeaders()
        {
            var codec = new MsgpackCodec();
            var first = Decode(codec, Pack(SampleEvents.WrkGet())).Event;
            var second = Decode(codec, Pack(SampleEvents.WrkGet())).Event;
            Assert.AreEqual("127.0.0.1:8080", first.GetHeader("Host"));
            Assert.AreEqual("127.0.0.1:8080", first.Headers["HOST"]);
            Assert.AreSame(StringComparer.OrdinalIgnoreCase, ((Dictionary<string, string>)first.Headers).Comparer);
            first.Headers["x"] = "1";
            first.Fields["q"] = "1";
            Assert.IsFalse(second.Headers.ContainsKey("x"));
            Assert.IsFalse(second.Fields.ContainsKey("q"));
            Assert.AreEqual(new DateTime(2025, 11, 24, 16, 0, 0, DateTimeKind.Utc), first.Timestamp);
            Assert.AreEqual(new DateTime(2025, 11, 24, 16, 0, 30, DateTimeKind.Utc), first.Deadline);
        }

        /// <summary>Texts that share a slot of the codec's cache, one after the other, each read right.</summary>
        [Test]
        public void TextsThatShareACacheSlotAreEachReadRight()
        {
            var codec = new MsgpackCodec();
            var values = new[] { "abcde", "axcye", "abcde", "a\u00e9cde", "aécde", "abcde", "", "abcdé", "ab\u00ffde" };
            for (int round = 0; round < 3; round++)
            {
                foreach (var value in values)
                {
                    var fields = SampleEvents.WrkGet();
                    fields["headers"] = new Dictionary<string, object> { { value, value } };
                    fields["method"] = value;
                    var ev = Decode(codec, Pack(fields)).Event;
                    Assert.AreEqual(value, ev.Method);
                    Assert.AreEqual(value, ev.Headers[value]);
                }
            }
        }

        [Test]
        public void TruncatedEventsAreProtocolErrors()
        {
            var codec = new MsgpackCodec();
            foreach (var entry in TypedEvents())
            {
                var payload = entry.Value;
                // Every cut of the small ones; the large bodies are cut in their head and body.
                for (int cut = 0; cut < payload.Length; cut += payload.Length > 4096 ? 997 : 1)
                {
                    var head = new byte[cut];
                    Buffer.BlockCopy(payload, 0, head, 0, cut);
                    var frame = Frame(Protocol.Event, head);
                    Message message;
                    int needed;
                    Assert.Throws<ProtocolException>(
                        () => codec.TryDecode(frame, 0, frame.Length, out message, out needed),
                        entry.Key + " cut at " + cut);
                }
            }
        }

        [Test]
        public void EventsWithBytesAfterThePayloadAreProtocolErrors()
        {
            var frame = Frame(Protocol.Event, Cat(Pack(SampleEvents.WrkGet()), new byte[] { 0xc0 }));
            Message message;
            int needed;
            var error = Assert.Throws<ProtocolException>(() => new MsgpackCodec().TryDecode(frame, 0, frame.Length, out message, out needed));
            Assert.AreEqual("msgpack frame has bytes after its payload", error.Message);
        }

        [TestCase("81 01 02", "msgpack map key is not text")]
        [TestCase("92 01 02", "msgpack payload is not a map with text keys")]
        [TestCase("82 a2 6964 01 a1 78 c7 01 00 00", "msgpack type 0xc7 is not supported")]
        [TestCase("82 a2 6964 01 a7 74726967676572 81 c3 01", "msgpack map key is not text")]
        public void MalformedEventsAreTheGenericReadersErrors(string hex, string error)
        {
            var frame = Frame(Protocol.Event, Hex(hex));
            Message message;
            int needed;
            Assert.AreEqual(error, Assert.Throws<ProtocolException>(() => new MsgpackCodec().TryDecode(frame, 0, frame.Length, out message, out needed)).Message);
        }

        /// <summary>
        /// Events with a few bytes changed at random: a frame is refused or read, and whatever
        /// the typed reader takes, it reads as the generic one does.
        /// </summary>
        [Test]
        public void GarbledEventsAreRefusedOrReadAsTheGenericReaderDoes()
        {
            var codec = new MsgpackCodec();
            var random = new Random(17);
            var payloads = TypedEvents().Select(entry => entry.Value).Where(payload => payload.Length < 4096).ToList();
            int typed = 0;
            for (int i = 0; i < 3000; i++)
            {
                var payload = (byte[])payloads[i % payloads.Count].Clone();
                for (int flips = random.Next(1, 4); flips > 0; flips--)
                {
                    payload[random.Next(payload.Length)] = (byte)random.Next(256);
                }
                var frame = Frame(Protocol.Event, payload);
                Message message;
                int needed;
                try
                {
                    codec.TryDecode(frame, 0, frame.Length, out message, out needed);
                }
                catch (ProtocolException)
                {
                    continue;
                }
                if (message.Event != null)
                {
                    typed++;
                }
                Assert.AreEqual(Generic(payload), Outcome(() => Worker.ToEvent(message)), BitConverter.ToString(payload));
            }
            Assert.Greater(typed, 100);
        }

        /// <summary>Handler results of every shape, as <see cref="WireResponse"/> makes them.</summary>
        private static IEnumerable<WireResponse> Responses()
        {
            var random = new Random(3);
            var big = new byte[70000];
            random.NextBytes(big);
            var many = new Dictionary<string, object>();
            for (int i = 0; i < 20; i++)
            {
                many["X-" + i] = i % 2 == 0 ? (object)i : "välue " + i;
            }
            many["X-Null"] = null;
            many["X-Null-Text"] = new NullText();
            foreach (var value in new object[]
            {
                null, "", "ok", "żółw ✓ 日本語 😀", new string('x', 40), new byte[0], new byte[300], big,
                new Dictionary<string, object> { { "a", 1 } }, new List<object> { 1, "b" }, 12.5,
                Tuple.Create(404, "nope"), new KeyValuePair<int, object>(202, new byte[] { 1, 2 }),
                new Response(201, "made") { Headers = many },
                new Response(999, null) { ContentType = "application/vnd.example.long-type+json; charset=utf-8" },
                new Response { StatusCode = 100, ContentType = "é/x" },
            })
            {
                yield return WireResponse.From(value);
            }
        }

        private sealed class NullText
        {
            public override string ToString()
            {
                return null;
            }
        }

        private static readonly long[] Ids = { 0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295L, 4294967296L, 1L << 53, -1, -200 };

        [Test]
        public void TypedResponsesAreTheBytesOfTheirFields()
        {
            foreach (var codec in new ICodec[] { new MsgpackCodec(), new JsonCodec(), new FlatbuffersCodec() })
            {
                foreach (var response in Responses())
                {
                    foreach (var id in Ids)
                    {
                        var fields = new Message(Protocol.Response, new Dictionary<string, object>
                        {
                            { "id", id },
                            { "status", response.Status },
                            { "headers", response.Headers },
                            { "content_type", response.ContentType },
                            { "body", response.Body },
                        });
                        Assert.AreEqual(
                            Encode(codec, fields), Encode(codec, new Message(id, response)),
                            codec.GetType().Name + " id " + id + " status " + response.Status + " " + response.ContentType);
                    }
                }
            }
        }

        [Test]
        public void TypedResponsesFollowOtherFramesInTheBuffer()
        {
            var codec = new MsgpackCodec();
            var output = new FrameWriter();
            codec.Encode(new Message(Protocol.Ready, null), output);
            codec.Encode(new Message(7, WireResponse.From("hi")), output);
            var frames = output.ToArray();
            Message message;
            int needed;
            int used = codec.TryDecode(frames, 0, frames.Length, out message, out needed);
            Assert.AreEqual(Protocol.Ready, message.Kind);
            Assert.AreEqual(frames.Length, used + codec.TryDecode(frames, used, frames.Length, out message, out needed));
            Assert.AreEqual(Protocol.Response, message.Kind);
            Assert.AreEqual(7L, message.Payload["id"]);
            Assert.AreEqual("text/plain; charset=utf-8", message.Payload["content_type"]);
            CollectionAssert.AreEqual(Encoding.UTF8.GetBytes("hi"), (byte[])message.Payload["body"]);
        }

        private static byte[] Encode(ICodec codec, Message message)
        {
            var output = new FrameWriter();
            codec.Encode(message, output);
            return output.ToArray();
        }

        private static Message Decode(MsgpackCodec codec, byte[] payload)
        {
            var frame = Frame(Protocol.Event, payload);
            Message message;
            int needed;
            Assert.AreEqual(frame.Length, codec.TryDecode(frame, 0, frame.Length, out message, out needed));
            Assert.AreEqual(Protocol.Event, message.Kind);
            return message;
        }

        /// <summary>What the generic reader and ToEvent make of a payload: the event, or the error.</summary>
        private static string Generic(byte[] payload)
        {
            return Outcome(() => Worker.ToEvent(new Message(Protocol.Event, (Dictionary<string, object>)MsgpackCodec.Unpack(payload))));
        }

        private static string Outcome(Func<Event> read)
        {
            try
            {
                return Describe(read());
            }
            catch (Exception e)
            {
                return e.GetType().Name + ": " + e.Message;
            }
        }

        /// <summary>Every field of an event, maps in their order, as text.</summary>
        private static string Describe(Event ev)
        {
            var text = new StringBuilder();
            text.Append("id ").Append(ev.Id)
                .Append("\ntrigger ").Append(ev.Trigger.Kind).Append(" / ").Append(ev.Trigger.Name)
                .Append("\nmethod ").Append(ev.Method)
                .Append("\npath ").Append(ev.Path)
                .Append("\nurl ").Append(ev.Url)
                .Append("\ncontent_type ").Append(ev.ContentType)
                .Append("\nbody ").Append(Convert.ToBase64String(ev.Body))
                .Append("\ntimestamp ").Append(ev.Timestamp.ToString("o", CultureInfo.InvariantCulture))
                .Append("\ndeadline ").Append(ev.Deadline.HasValue ? ev.Deadline.Value.ToString("o", CultureInfo.InvariantCulture) : "none");
            foreach (var entry in ev.Fields)
            {
                text.Append("\nquery ").Append(entry.Key).Append(" = ").Append(entry.Value);
            }
            foreach (var entry in ev.Headers)
            {
                text.Append("\nheader ").Append(entry.Key).Append(" = ").Append(entry.Value);
            }
            text.Append("\nfields ").Append(ev.Fields.GetType().Name);
            text.Append("\nheaders in any case ").Append(((Dictionary<string, string>)ev.Headers).Comparer == StringComparer.OrdinalIgnoreCase);
            return text.ToString();
        }
    }
}
