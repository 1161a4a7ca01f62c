using System;
using System.Collections.Generic;
using System.Text;
using Ferrite.Sdk;
using Ferrite.Wrapper;
using Ferrite.Wrapper.Codec;
using NUnit.Framework;

namespace Ferrite.Wrapper.Tests
{
    [TestFixture]
    public class JsonCodecTest
    {
        [Test]
        public void EncodesOneLineWithKindAndBase64Bytes()
        {
            var line = Encoded(new Message(Protocol.Response, new Dictionary<string, object>
            {
                { "id", 7L },
                { "body", new byte[] { 0, 1, 254, 255 } },
                { "text", "a\nb ✓" },
            }));
            Assert.AreEqual("{\"kind\":\"response\",\"id\":7,\"body\":\"AAH+/w==\",\"text\":\"a\\nb ✓\"}\n", line);
        }

        [Test]
        public void DecodesEventsWithTheirBodyAsBytes()
        {
            var bytes = Encoding.UTF8.GetBytes("{\"kind\":\"event\",\"id\":3,\"body\":\"AAH+/w==\",\"query\":{\"x\":\"1\"},\"new\":1}\r\n{\"kind\":\"shutdown\"}\n");
            var codec = new JsonCodec();
            Message message;
            int needed;
            int used = codec.TryDecode(bytes, 0, bytes.Length, out message, out needed);
            Assert.AreEqual(Protocol.Event, message.Kind);
            Assert.AreEqual(3L, message.Payload["id"]);
            CollectionAssert.AreEqual(new byte[] { 0, 1, 254, 255 }, (byte[])message.Payload["body"]);
            Assert.AreEqual(Protocol.Shutdown, codec.TryDecode(bytes, used, bytes.Length, out message, out needed) > 0 ? message.Kind : 0);
        }

        [Test]
        public void WaitsForTheEndOfTheLine()
        {
            var bytes = Encoding.UTF8.GetBytes("{\"kind\":\"ping\",\"nonce\":5}\n");
            var codec = new JsonCodec();
            Message message;
            int needed;
            Assert.AreEqual(0, codec.TryDecode(bytes, 0, 10, out message, out needed));
            Assert.AreEqual(bytes.Length, codec.TryDecode(bytes, 0, bytes.Length, out message, out needed));
            Assert.AreEqual(5L, message.Payload["nonce"]);
        }

        [TestCase("\n")]
        [TestCase("  \n")]
        [TestCase("[1]\n")]
        [TestCase("{\"kind\":\"nope\"}\n")]
        [TestCase("{\"kind\":\"event\",\"body\":\"***\"}\n")]
        [TestCase("{not json}\n")]
        public void RefusesBadLines(string line)
        {
            var bytes = Encoding.UTF8.GetBytes(line);
            Message message;
            int needed;
            Assert.Throws<ProtocolException>(() => new JsonCodec().TryDecode(bytes, 0, bytes.Length, out message, out needed));
        }

        [Test]
        public void EncodesBytesAsConvertDoesWhereverTheyAre()
        {
            foreach (var body in SampleEvents.Bodies(7))
            {
                var line = Encoded(new Message(Protocol.Log, new Dictionary<string, object>
                {
                    { "before", "é✓" },
                    { "body", body },
                    { "fields", new Dictionary<string, object> { { "list", new List<object> { body, "€", new byte[] { 255 } } } } },
                    { "after", "x" },
                }));
                var base64 = Convert.ToBase64String(body);
                Assert.AreEqual("{\"kind\":\"log\",\"before\":\"é✓\",\"body\":\"" + base64 + "\",\"fields\":{\"list\":[\""
                    + base64 + "\",\"€\",\"/w==\"]},\"after\":\"x\"}\n", line, "length " + body.Length);
            }
        }

        [Test]
        public void DecodesEventBodiesOfEveryLengthAsConvertDoes()
        {
            foreach (var body in SampleEvents.Bodies(11))
            {
                var message = Decoded("{\"kind\":\"event\",\"id\":3,\"headers\":{\"a\":\"é\"},\"body\":\"" + Convert.ToBase64String(body) + "\"}\n");
                CollectionAssert.AreEqual(body, (byte[])message.Payload["body"], "length " + body.Length);
                CollectionAssert.AreEqual(new[] { "id", "headers", "body" }, new List<string>(message.Payload.Keys));
            }
        }

        /// <summary>
        /// Lines with the body last, as the processor writes events, that are odd in some way:
        /// the bytes must give what the parser gives reading the whole line as text.
        /// </summary>
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"QQ==\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"QUI=\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"QR==\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"QUJ=\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"QQ\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"QQ=\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"Q===\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"====\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"QU=D\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"QUJD QUJD\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"QU\\/D\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"QUJD\\n\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"QU-_\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"QUJDé\"}")]
        [TestCase("{\"kind\":\"event\",\"body\":\"QUFB\",\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\",\"body\":null,\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\",,\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\", ,\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":,\"body\":\"QUJD\"}")]
        [TestCase("{,\"body\":\"QUJD\"}")]
        [TestCase("{\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"ping\",\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"nope\",\"body\":\"QUJD\"}")]
        [TestCase("{\"id\":1,\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\",\"x\":\"a,\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\",\"x\":\"a\\\",\\\"body\\\":\\\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\",\"x\":\"q\\\\\",\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\",'x':'a,\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\",\"x\":[1,2],\"y\":true,\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\",\"x\":1 /* c */,\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\",\"x\":{\"body\":\"QUFB\"},\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\",\"query\":{\"a\":\"1\",\"body\":\"x\"},\"headers\":{\"a\":\"1\",\"body\":\"y\"},\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\",\"q\":[0,\"body\":\"x\"],\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\",\"q\":{\"a\":[{\"b\":1,\"body\":\"\"},{\"c\":2,\"body\":\"\"}],\"d\":3,\"body\":\"QUFB\"},\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\",\"body\":\"QUJD\",\"x\":\"y\"}")]
        [TestCase("{\"kind\":\"event\",\"body\":\"QUJD\",\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"QUJD\"}}")]
        [TestCase("[\"kind\",\"event\",\"body\":\"QUJD\"}")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"QUJD\"}  ")]
        [TestCase("{\"kind\":\"event\",\"id\":1,\"body\":\"QUJD\"}\r")]
        public void ReadsOddEventLinesAsTheParserDoes(string line)
        {
            string expected;
            try
            {
                expected = Describe(JsonCodec.Decode(line.TrimEnd('\r')));
            }
            catch (ProtocolException e)
            {
                expected = "ProtocolException: " + e.Message;
            }
            string actual;
            try
            {
                actual = Describe(Decoded(line + "\n"));
            }
            catch (ProtocolException e)
            {
                actual = "ProtocolException: " + e.Message;
            }
            Assert.AreEqual(expected, actual);
        }

        [Test]
        public void EncodesAHandlersResponseWithItsFieldsInOrder()
        {
            var response = new Response(201, "é") { Headers = new Dictionary<string, object> { { "X-A", 1 } } };
            Assert.AreEqual(
                "{\"kind\":\"response\",\"id\":9,\"status\":201,\"headers\":{\"X-A\":\"1\"},"
                + "\"content_type\":\"text/plain; charset=utf-8\",\"body\":\"w6k=\"}\n",
                Encoded(new Message(9, WireResponse.From(response))));
        }

        [Test]
        public void EventsBecomeTheHandlersEvent()
        {
            var message = Decoded("{\"kind\":\"event\",\"id\":3,\"trigger\":{\"kind\":\"http\",\"name\":\"t\"},"
                + "\"method\":\"GET\",\"query\":{\"q\":\"1\"},\"headers\":{\"x-a\":\"é\",\"x-n\":5,\"x-z\":null},"
                + "\"timestamp\":1000,\"deadline\":0,\"body\":\"QUJD\"}\n");
            var ev = Worker.ToEvent(message);
            Assert.AreEqual(3L, ev.Id);
            Assert.AreEqual("t", ev.Trigger.Name);
            Assert.AreEqual("GET", ev.Method);
            Assert.AreEqual("1", ev.GetField("q"));
            Assert.AreEqual("é", ev.GetHeader("X-A"));
            Assert.AreEqual("5", ev.Headers["x-n"]);
            Assert.AreEqual("", ev.Headers["X-Z"]);
            Assert.AreEqual("ABC", ev.GetBody());
            Assert.AreEqual(new DateTime(1970, 1, 1, 0, 0, 1, DateTimeKind.Utc), ev.Timestamp);
            Assert.IsNull(ev.Deadline);
        }

        private static string Encoded(Message message)
        {
            var output = new FrameWriter();
            new JsonCodec().Encode(message, output);
            return Encoding.UTF8.GetString(output.ToArray());
        }

        private static Message Decoded(string line)
        {
            var bytes = Encoding.UTF8.GetBytes(line);
            Message message;
            int needed;
            Assert.AreEqual(bytes.Length, new JsonCodec().TryDecode(bytes, 0, bytes.Length, out message, out needed));
            return message;
        }

        /// <summary>A message as text, its entries in order, bytes as base64.</summary>
        private static string Describe(Message message)
        {
            return message.Kind + " " + Json.Serialize(message.Payload);
        }
    }
}
