using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using FlatBuffers;
using Ferrite.Sdk;
using Ferrite.Wrapper;
using Ferrite.Wrapper.Codec;
using NUnit.Framework;
using Wire = ferrite.wire;

namespace Ferrite.Wrapper.Tests
{
    /// <summary>
    /// The flatbuffers codec against frames the generated code writes and reads
    /// (<see cref="FlatbuffersProcessorSide"/>): framing, events into the handler's type, what
    /// a wrapper writes, and malformed frames refused with a <see cref="ProtocolException"/>.
    /// </summary>
    [TestFixture]
    public class FlatbuffersCodecTest
    {
        private static byte[] Frame(Message message)
        {
            var output = new FrameWriter();
            new FlatbuffersProcessorSide().Encode(message, output);
            return output.ToArray();
        }

        private static byte[] Encode(Message message)
        {
            var output = new FrameWriter();
            new FlatbuffersCodec().Encode(message, output);
            return output.ToArray();
        }

        /// <summary>The message of one whole frame.</summary>
        private static Message Decode(ICodec codec, byte[] frame)
        {
            Message message;
            int needed;
            Assert.AreEqual(frame.Length, codec.TryDecode(frame, 0, frame.Length, out message, out needed));
            return message;
        }

        /// <summary>What the processor side reads of a frame the wrapper wrote.</summary>
        private static Message ReadBack(byte[] frame)
        {
            Message message;
            int needed;
            Assert.AreEqual(frame.Length, new FlatbuffersProcessorSide().TryDecode(frame, 0, frame.Length, out message, out needed));
            return message;
        }

        [Test]
        public void FramesAreALengthThenABufferWithTheIdentifier()
        {
            var frame = Encode(new Message(Protocol.Ready, null));
            int length = (frame[0] << 24) | (frame[1] << 16) | (frame[2] << 8) | frame[3];
            Assert.AreEqual(frame.Length - 4, length);
            Assert.AreEqual("FRT1", Encoding.ASCII.GetString(frame, 8, 4));
            Assert.AreEqual(Protocol.Ready, ReadBack(frame).Kind);
        }

        [Test]
        public void WaitsForTheWholeFrameAndReadsItWhereverItIs()
        {
            var first = Frame(new Message(Protocol.Event, SampleEvents.WrkGet()));
            var second = Frame(new Message(Protocol.Ping, new Dictionary<string, object> { { "nonce", 7L } }));
            // Bytes before and after, as in the connection's buffer.
            var buffer = new byte[3 + first.Length + second.Length + 5];
            Buffer.BlockCopy(first, 0, buffer, 3, first.Length);
            Buffer.BlockCopy(second, 0, buffer, 3 + first.Length, second.Length);
            var codec = new FlatbuffersCodec();
            Message message;
            int needed;
            Assert.AreEqual(0, codec.TryDecode(buffer, 3, 5, out message, out needed));
            Assert.AreEqual(0, needed);
            Assert.AreEqual(0, codec.TryDecode(buffer, 3, 3 + first.Length - 1, out message, out needed));
            Assert.IsNull(message);
            Assert.AreEqual(first.Length, needed);
            Assert.AreEqual(first.Length, codec.TryDecode(buffer, 3, buffer.Length, out message, out needed));
            Assert.AreEqual(42L, message.Event.Id);
            Assert.AreEqual(second.Length, codec.TryDecode(buffer, 3 + first.Length, buffer.Length, out message, out needed));
            Assert.AreEqual(Protocol.Ping, message.Kind);
            Assert.AreEqual(7L, message.Payload["nonce"]);
        }

        [Test]
        public void ReadsEventsStraightIntoTheHandlersEvent()
        {
            var codec = new FlatbuffersCodec();
            foreach (var body in SampleEvents.Bodies(11))
            {
                var fields = SampleEvents.Echo(body);
                fields["query"] = new Dictionary<string, object> { { "q", "é 1" }, { "empty", "" } };
                var ev = Decode(codec, Frame(new Message(Protocol.Event, fields))).Event;
                var expected = Worker.ToEvent(new Message(Protocol.Event, fields));
                Assert.AreEqual(expected.Id, ev.Id);
                Assert.AreEqual("http", ev.Trigger.Kind);
                Assert.AreEqual("echo", ev.Trigger.Name);
                Assert.AreEqual(expected.Method, ev.Method);
                Assert.AreEqual(expected.Path, ev.Path);
                Assert.AreEqual(expected.Url, ev.Url);
                Assert.AreEqual(expected.ContentType, ev.ContentType);
                CollectionAssert.AreEqual(expected.Fields, ev.Fields);
                CollectionAssert.AreEqual(expected.Headers, ev.Headers);
                Assert.AreEqual("127.0.0.1:8080", ev.GetHeader("HOST"));
                CollectionAssert.AreEqual(body, ev.Body);
                Assert.AreEqual(expected.Timestamp, ev.Timestamp);
                Assert.AreEqual(expected.Deadline, ev.Deadline);
            }
        }

        [Test]
        public void AnEventWithoutItsFieldsReadsAsTheirDefaults()
        {
            var ev = Decode(new FlatbuffersCodec(), Frame(new Message(Protocol.Event, new Dictionary<string, object> { { "id", 3L } }))).Event;
            Assert.AreEqual(3L, ev.Id);
            Assert.AreEqual("", ev.Trigger.Kind);
            Assert.AreEqual("", ev.Method);
            Assert.AreEqual(0, ev.Headers.Count);
            Assert.AreEqual(0, ev.Body.Length);
            Assert.AreEqual(Worker.FromEpoch(0), ev.Timestamp);
            Assert.IsNull(ev.Deadline);
        }

        [Test]
        public void TheBodyIsOneCopyOutOfTheFrame()
        {
            var body = new byte[65536];
            new Random(4).NextBytes(body);
            var frame = Frame(new Message(Protocol.Event, SampleEvents.Echo(body)));
            var ev = Decode(new FlatbuffersCodec(), frame).Event;
            // The connection reads the next frames into the same buffer.
            Array.Clear(frame, 0, frame.Length);
            CollectionAssert.AreEqual(body, ev.Body);
        }

        [Test]
        public void AnEventPastTheCalendarFailsInToEventAsWithTheOtherCodecs()
        {
            var fields = SampleEvents.WrkGet();
            fields["timestamp"] = 9007199254740991L;
            var message = Decode(new FlatbuffersCodec(), Frame(new Message(Protocol.Event, fields)));
            Assert.IsNull(message.Event);
            Assert.AreEqual(9007199254740991L, message.Payload["timestamp"]);
            var frame = new FrameWriter();
            new MsgpackCodec().Encode(new Message(Protocol.Event, fields), frame);
            var msgpack = Decode(new MsgpackCodec(), frame.ToArray());
            Assert.AreEqual(
                Assert.Throws<ArgumentOutOfRangeException>(() => Worker.ToEvent(msgpack)).Message,
                Assert.Throws<ArgumentOutOfRangeException>(() => Worker.ToEvent(message)).Message);
        }

        [Test]
        public void ReadsPingsAndShutdowns()
        {
            var codec = new FlatbuffersCodec();
            var ping = Frame(new Message(Protocol.Ping, new Dictionary<string, object> { { "nonce", 9007199254740991L } }));
            Assert.AreEqual(9007199254740991L, Decode(codec, ping).Payload["nonce"]);
            var shutdown = Frame(new Message(Protocol.Shutdown, null));
            Assert.AreEqual(Protocol.Shutdown, Decode(codec, shutdown).Kind);
        }

        [Test]
        public void WritesWhatAWrapperSends()
        {
            var hello = ReadBack(Encode(new Message(Protocol.Hello, new Dictionary<string, object>
            {
                { "protocol", 1 }, { "token", "t" }, { "runtime", "dotnet" }, { "runtime_version", "mono 6.8" }, { "pid", int.MaxValue }, { "concurrency", 1 },
            })));
            Assert.AreEqual(Protocol.Hello, hello.Kind);
            Assert.AreEqual((long)int.MaxValue, hello.Payload["pid"]);
            Assert.AreEqual("mono 6.8", hello.Payload["runtime_version"]);

            var initError = ReadBack(Encode(new Message(Protocol.InitError, new Dictionary<string, object> { { "message", "no handler" } })));
            Assert.AreEqual("no handler", initError.Payload["message"]);
            Assert.IsFalse(initError.Payload.ContainsKey("detail"));

            var log = ReadBack(Encode(new Message(Protocol.Log, new Dictionary<string, object>
            {
                { "level", "info" }, { "message", "m" }, { "id", 0L },
                { "fields", new Dictionary<string, object> { { "n", 1 }, { "bytes", new byte[] { 1, 2 } }, { "nan", double.NaN }, { "list", new List<object> { "a", null } } } },
            })));
            Assert.AreEqual(0L, log.Payload["id"]);
            var structured = (Dictionary<string, object>)log.Payload["fields"];
            Assert.AreEqual(1L, structured["n"]);
            Assert.AreEqual("AQI=", structured["bytes"]);
            Assert.IsNull(structured["nan"]);
            CollectionAssert.AreEqual(new List<object> { "a", null }, (List<object>)structured["list"]);

            var bare = ReadBack(Encode(new Message(Protocol.Log, new Dictionary<string, object> { { "level", "warn" }, { "message", "m" }, { "fields", new Dictionary<string, object>() } })));
            Assert.IsFalse(bare.Payload.ContainsKey("id"));
            Assert.IsFalse(bare.Payload.ContainsKey("fields"));

            var metric = ReadBack(Encode(new Message(Protocol.Metric, new Dictionary<string, object>
            {
                { "name", "n" }, { "value", 2.5 }, { "labels", new Dictionary<string, object> { { "a", "b" } } },
            })));
            Assert.AreEqual(2.5, metric.Payload["value"]);
            Assert.AreEqual("b", ((Dictionary<string, object>)metric.Payload["labels"])["a"]);

            var pong = ReadBack(Encode(new Message(Protocol.Pong, new Dictionary<string, object> { { "nonce", 9007199254740991L } })));
            Assert.AreEqual(9007199254740991L, pong.Payload["nonce"]);
        }

        [Test]
        public void WritesHandlersResponsesAndErrors()
        {
            var body = new byte[5 << 20];
            new Random(6).NextBytes(body);
            var codec = new FlatbuffersCodec();
            var output = new FrameWriter();
            // A large one, then small ones after it in the same buffer, from the builder it kept or made anew.
            codec.Encode(new Message(9, WireResponse.From(new Response(201, body) { Headers = new Dictionary<string, object> { { "X-A", 1 } } })), output);
            int first = output.Length;
            codec.Encode(new Message(10, WireResponse.From("hi")), output);
            int second = output.Length;
            codec.Encode(new Message(Protocol.Response, new Dictionary<string, object>
            {
                { "id", 11L }, { "status", 500 }, { "headers", new Dictionary<string, object>() }, { "content_type", "" },
                { "body", Encoding.UTF8.GetBytes("boom") }, { "error", "boom" },
            }), output);
            var frames = output.ToArray();
            var side = new FlatbuffersProcessorSide();
            Message message;
            int needed;
            Assert.AreEqual(first, side.TryDecode(frames, 0, frames.Length, out message, out needed));
            Assert.AreEqual(9L, message.Payload["id"]);
            Assert.AreEqual(201L, message.Payload["status"]);
            Assert.AreEqual("1", ((Dictionary<string, object>)message.Payload["headers"])["X-A"]);
            CollectionAssert.AreEqual(body, (byte[])message.Payload["body"]);
            Assert.IsFalse(message.Payload.ContainsKey("error"));
            Assert.AreEqual(second - first, side.TryDecode(frames, first, frames.Length, out message, out needed));
            Assert.AreEqual("text/plain; charset=utf-8", message.Payload["content_type"]);
            CollectionAssert.AreEqual(Encoding.UTF8.GetBytes("hi"), (byte[])message.Payload["body"]);
            Assert.AreEqual(frames.Length - second, side.TryDecode(frames, second, frames.Length, out message, out needed));
            Assert.AreEqual(500L, message.Payload["status"]);
            Assert.AreEqual("boom", message.Payload["error"]);
        }

        [Test]
        public void RefusesAResponseOverTheFrameLimitBeforeCopyingIt()
        {
            var error = Assert.Throws<ProtocolException>(
                () => Encode(new Message(1, WireResponse.From(new byte[Protocol.MaxFrame + 1]))));
            Assert.AreEqual("frame of at least " + (Protocol.MaxFrame + 1) + " bytes is over the 256 MiB limit", error.Message);
        }

        [Test]
        public void DoesNotWriteWhatOnlyTheProcessorSends()
        {
            Assert.Throws<InvalidOperationException>(() => Encode(new Message(Protocol.Event, SampleEvents.WrkGet())));
        }

        /// <summary>A frame of a union type and table written by hand with the builder.</summary>
        private static byte[] RawFrame(Wire.Message type, bool withTable, string identifier)
        {
            var b = new FlatBufferBuilder(64);
            Wire.Ready.StartReady(b);
            int table = Wire.Ready.EndReady(b).Value;
            Wire.Frame.StartFrame(b);
            Wire.Frame.AddMessageType(b, type);
            if (withTable)
            {
                Wire.Frame.AddMessage(b, table);
            }
            b.Finish(Wire.Frame.EndFrame(b).Value, identifier);
            var buffer = b.SizedByteArray();
            return new byte[] { 0, 0, (byte)(buffer.Length >> 8), (byte)buffer.Length }.Concat(buffer).ToArray();
        }

        private static string Refusal(byte[] frame)
        {
            Message message;
            int needed;
            return Assert.Throws<ProtocolException>(() => new FlatbuffersCodec().TryDecode(frame, 0, frame.Length, out message, out needed)).Message;
        }

        [Test]
        public void RefusesFramesItCannotRead()
        {
            Assert.AreEqual("flatbuffers frame length 0 is out of range (1 to 256 MiB)", Refusal(new byte[] { 0, 0, 0, 0 }));
            Assert.AreEqual("flatbuffers frame length 268435457 is out of range (1 to 256 MiB)", Refusal(new byte[] { 0x10, 0, 0, 1 }));
            Assert.AreEqual("flatbuffers frame of 3 bytes is too short to hold a buffer", Refusal(new byte[] { 0, 0, 0, 3, 1, 2, 3 }));
            StringAssert.StartsWith("flatbuffers frame does not have the identifier FRT1", Refusal(RawFrame(Wire.Message.Ready, true, "FRT2")));
            Assert.AreEqual("flatbuffers frame holds no message", Refusal(RawFrame(Wire.Message.NONE, false, "FRT1")));
            Assert.AreEqual("flatbuffers frame of unknown kind 11", Refusal(RawFrame((Wire.Message)11, true, "FRT1")));
            Assert.AreEqual("unexpected ready message from the processor", Refusal(RawFrame(Wire.Message.Ready, true, "FRT1")));
            Assert.AreEqual("unexpected response message from the processor", Refusal(Encode(new Message(1, WireResponse.From("x")))));
            // A msgpack frame's kind byte and map where the buffer should be.
            var msgpack = new FrameWriter();
            new MsgpackCodec().Encode(new Message(Protocol.Event, SampleEvents.WrkGet()), msgpack);
            StringAssert.StartsWith("flatbuffers frame does not have the identifier FRT1", Refusal(msgpack.ToArray()));
        }

        /// <summary>
        /// Events cut short or with bytes changed at random, each framed with its own length
        /// and followed in the buffer by bytes of another frame: read, or refused with a
        /// protocol error, never another exception, and never reading past the frame's end.
        /// </summary>
        [Test]
        public void GarbledFramesAreReadOrRefusedWithAProtocolError()
        {
            var codec = new FlatbuffersCodec();
            var random = new Random(23);
            var events = new[]
            {
                Frame(new Message(Protocol.Event, SampleEvents.WrkGet())),
                Frame(new Message(Protocol.Event, SampleEvents.Echo(new byte[300]))),
            };
            int refused = 0;
            int read = 0;
            for (int i = 0; i < 6000; i++)
            {
                var frame = (byte[])events[i % events.Length].Clone();
                int length = frame.Length - 4;
                if (i % 3 == 0)
                {
                    length = random.Next(1, length);
                }
                else
                {
                    for (int flips = random.Next(1, 4); flips > 0; flips--)
                    {
                        frame[4 + random.Next(length)] = (byte)random.Next(256);
                    }
                }
                // The frame's own length, then bytes no reader of it may use.
                var buffer = new byte[4 + length + 4096];
                Buffer.BlockCopy(frame, 4, buffer, 4, length);
                buffer[0] = (byte)(length >> 24);
                buffer[1] = (byte)(length >> 16);
                buffer[2] = (byte)(length >> 8);
                buffer[3] = (byte)length;
                for (int at = 4 + length; at < buffer.Length; at++)
                {
                    buffer[at] = 0xee;
                }
                Message message;
                int needed;
                try
                {
                    Assert.AreEqual(4 + length, codec.TryDecode(buffer, 0, buffer.Length, out message, out needed));
                    read++;
                    if (message.Event != null)
                    {
                        Assert.IsFalse(message.Event.Body.Length > length, "a body longer than its frame");
                    }
                }
                catch (ProtocolException)
                {
                    refused++;
                }
            }
            Assert.Greater(refused, 1000);
            Assert.Greater(read, 1000);
        }
    }
}
