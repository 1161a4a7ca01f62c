using System;
using System.Collections.Generic;
using Ferrite.Wrapper;
using Ferrite.Wrapper.Codec;
using NUnit.Framework;

namespace Ferrite.Wrapper.Tests
{
    /// <summary>
    /// The hand-written MessagePack codec: byte-exact encodings of values from the
    /// MessagePack specification (github.com/msgpack/msgpack/blob/master/spec.md), round
    /// trips, and frames.
    /// </summary>
    [TestFixture]
    public class MsgpackCodecTest
    {
        private static string Hex(object value)
        {
            return BitConverter.ToString(MsgpackCodec.Pack(value)).Replace("-", "").ToLowerInvariant();
        }

        private static byte[] Bytes(string hex)
        {
            var bytes = new byte[hex.Length / 2];
            for (int i = 0; i < bytes.Length; i++)
            {
                bytes[i] = Convert.ToByte(hex.Substring(i * 2, 2), 16);
            }
            return bytes;
        }

        [TestCase(null, "c0")]
        [TestCase(false, "c2")]
        [TestCase(true, "c3")]
        [TestCase(0, "00")]
        [TestCase(127, "7f")]
        [TestCase(128, "cc80")]
        [TestCase(255, "ccff")]
        [TestCase(256, "cd0100")]
        [TestCase(65535, "cdffff")]
        [TestCase(65536, "ce00010000")]
        [TestCase(4294967295L, "ceffffffff")]
        [TestCase(4294967296L, "cf0000000100000000")]
        [TestCase(-1, "ff")]
        [TestCase(-32, "e0")]
        [TestCase(-33, "d0df")]
        [TestCase(-128, "d080")]
        [TestCase(-129, "d1ff7f")]
        [TestCase(-32768, "d18000")]
        [TestCase(-32769, "d2ffff7fff")]
        [TestCase(-2147483649L, "d3ffffffff7fffffff")]
        [TestCase(1.5, "cb3ff8000000000000")]
        [TestCase(1.5f, "ca3fc00000")]
        [TestCase("", "a0")]
        [TestCase("a", "a161")]
        public void EncodesScalarsAsTheSpecificationDoes(object value, string hex)
        {
            Assert.AreEqual(hex, Hex(value));
        }

        [Test]
        public void EncodesTextBytesAndContainersInTheirSmallestForm()
        {
            Assert.AreEqual("d920" + new string('6', 1) + "1" + string.Concat(System.Linq.Enumerable.Repeat("61", 31)), Hex(new string('a', 32)));
            Assert.AreEqual("da0100", Hex(new string('a', 256)).Substring(0, 6));
            Assert.AreEqual("db00010000", Hex(new string('a', 65536)).Substring(0, 10));
            Assert.AreEqual("c403010203", Hex(new byte[] { 1, 2, 3 }));
            Assert.AreEqual("c50100", Hex(new byte[256]).Substring(0, 6));
            Assert.AreEqual("c600010000", Hex(new byte[65536]).Substring(0, 10));
            Assert.AreEqual("90", Hex(new List<object>()));
            Assert.AreEqual("920102", Hex(new List<object> { 1, 2 }));
            Assert.AreEqual("dc0010", Hex(new int[16]).Substring(0, 6));
            Assert.AreEqual("80", Hex(new Dictionary<string, object>()));
            Assert.AreEqual("81a16101", Hex(new Dictionary<string, object> { { "a", 1 } }));
            var big = new Dictionary<string, object>();
            for (int i = 0; i < 16; i++)
            {
                big["k" + i] = i;
            }
            Assert.AreEqual("de0010", Hex(big).Substring(0, 6));
            // The specification's example: {"compact":true,"schema":0}.
            Assert.AreEqual(
                "82a7636f6d70616374c3a6736368656d6100",
                Hex(new SortedDictionary<string, object> { { "compact", true }, { "schema", 0 } }));
        }

        [TestCase("c0", null)]
        [TestCase("c3", true)]
        [TestCase("7f", 127L)]
        [TestCase("e0", -32L)]
        [TestCase("cc80", 128L)]
        [TestCase("cd0100", 256L)]
        [TestCase("ce00010000", 65536L)]
        [TestCase("cf0000000100000000", 4294967296L)]
        [TestCase("d0df", -33L)]
        [TestCase("d18000", -32768L)]
        [TestCase("d2ffff7fff", -32769L)]
        [TestCase("d3ffffffff7fffffff", -2147483649L)]
        [TestCase("cb3ff8000000000000", 1.5)]
        [TestCase("ca3fc00000", 1.5)]
        [TestCase("a161", "a")]
        [TestCase("d90161", "a")]
        [TestCase("da000161", "a")]
        [TestCase("db0000000161", "a")]
        public void DecodesEveryFormOfAScalar(string hex, object expected)
        {
            Assert.AreEqual(expected, MsgpackCodec.Unpack(Bytes(hex)));
        }

        [Test]
        public void DecodesUnsignedAboveLongAsUlong()
        {
            Assert.AreEqual(ulong.MaxValue, MsgpackCodec.Unpack(Bytes("cfffffffffffffffff")));
        }

        [Test]
        public void RoundTripsNestedValues()
        {
            var value = new Dictionary<string, object>
            {
                { "id", 42L },
                { "text", "żółw ✓ 日本語" },
                { "bytes", new byte[] { 0, 1, 254, 255 } },
                { "list", new List<object> { 1L, "two", null, true, -5L, 2.25 } },
                { "map", new Dictionary<string, object> { { "nested", new Dictionary<string, object>() } } },
                { "big", new byte[70000] },
            };
            var back = (Dictionary<string, object>)MsgpackCodec.Unpack(MsgpackCodec.Pack(value));
            Assert.AreEqual(42L, back["id"]);
            Assert.AreEqual("żółw ✓ 日本語", back["text"]);
            CollectionAssert.AreEqual(new byte[] { 0, 1, 254, 255 }, (byte[])back["bytes"]);
            CollectionAssert.AreEqual(new List<object> { 1L, "two", null, true, -5L, 2.25 }, (List<object>)back["list"]);
            Assert.AreEqual(0, ((Dictionary<string, object>)((Dictionary<string, object>)back["map"])["nested"]).Count);
            Assert.AreEqual(70000, ((byte[])back["big"]).Length);
        }

        [Test]
        public void RefusesTruncatedAndUnknownValues()
        {
            Assert.Throws<ProtocolException>(() => MsgpackCodec.Unpack(Bytes("a261")));
            Assert.Throws<ProtocolException>(() => MsgpackCodec.Unpack(Bytes("c4ff00")));
            Assert.Throws<ProtocolException>(() => MsgpackCodec.Unpack(Bytes("c1")));
            Assert.Throws<ProtocolException>(() => MsgpackCodec.Unpack(Bytes("d40100")));
            Assert.Throws<ProtocolException>(() => MsgpackCodec.Unpack(Bytes("81c0c0")));
            Assert.Throws<ProtocolException>(() => MsgpackCodec.Unpack(Bytes("dd7fffffff")));
        }

        [Test]
        public void FramesCarryLengthKindAndMap()
        {
            var codec = new MsgpackCodec();
            var output = new FrameWriter();
            codec.Encode(new Message(Protocol.Ready, null), output);
            var frame = output.ToArray();
            Assert.AreEqual(new byte[] { 0, 0, 0, 2, 2, 0x80 }, frame);
            var both = new byte[frame.Length * 2 + 3];
            Buffer.BlockCopy(frame, 0, both, 0, frame.Length);
            Buffer.BlockCopy(frame, 0, both, frame.Length, frame.Length);
            Message message;
            int needed;
            Assert.AreEqual(6, codec.TryDecode(both, 0, 12, out message, out needed));
            Assert.AreEqual(Protocol.Ready, message.Kind);
            Assert.AreEqual(6, codec.TryDecode(both, 6, 12, out message, out needed));
            Assert.AreEqual(0, codec.TryDecode(both, 6, 10, out message, out needed));
            Assert.IsNull(message);
            Assert.AreEqual(6, needed);
        }

        [Test]
        public void RefusesBadFrames()
        {
            var codec = new MsgpackCodec();
            Message message;
            int needed;
            Assert.Throws<ProtocolException>(() => codec.TryDecode(new byte[] { 0, 0, 0, 0, 4 }, 0, 5, out message, out needed));
            Assert.Throws<ProtocolException>(() => codec.TryDecode(new byte[] { 0x10, 0, 0, 1, 4 }, 0, 5, out message, out needed));
            Assert.Throws<ProtocolException>(() => codec.TryDecode(new byte[] { 0, 0, 0, 2, 11, 0x80 }, 0, 6, out message, out needed));
            Assert.Throws<ProtocolException>(() => codec.TryDecode(new byte[] { 0, 0, 0, 2, 4, 0x01 }, 0, 6, out message, out needed));
        }
    }
}
