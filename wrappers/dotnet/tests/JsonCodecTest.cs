using System.Collections.Generic;
using System.Text;
using Ferrite.Wrapper;
using NUnit.Framework;

namespace Ferrite.Wrapper.Tests
{
    [TestFixture]
    public class JsonCodecTest
    {
        [Test]
        public void EncodesOneLineWithKindAndBase64Bytes()
        {
            var line = Encoding.UTF8.GetString(new JsonCodec().Encode(new Message(Protocol.Response, new Dictionary<string, object>
            {
                { "id", 7L },
                { "body", new byte[] { 0, 1, 254, 255 } },
                { "text", "a\nb ✓" },
            })));
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
    }
}
