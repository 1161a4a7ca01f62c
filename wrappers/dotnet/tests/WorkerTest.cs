using System;
using System.Collections;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ferrite.Sdk;
using Ferrite.Wrapper;
using NUnit.Framework;

namespace Ferrite.Wrapper.Tests
{
    /// <summary>Handlers for <see cref="WorkerTest"/>.</summary>
    public static class WorkerTestHandlers
    {
        public static object Echo(Context context, Event ev)
        {
            context.Logger.InfoWith("echo", "bytes", ev.Body.Length);
            return new Response(200, ev.Body)
            {
                Headers = new Dictionary<string, object> { { "X-Method", ev.Method }, { "X-Host", ev.GetHeader("HOST") } },
            };
        }

        public static object Boom(Context context, Event ev)
        {
            throw new InvalidOperationException("boom\nsecond line");
        }
    }

    /// <summary>
    /// The worker's loop over a real socket, with either codec: events in, logs and responses
    /// out, each written whole from the connection's buffer.
    /// </summary>
    [TestFixture]
    public class WorkerTest
    {
        [TestCase("json")]
        [TestCase("msgpack")]
        public void AnswersEventsWithTheHandlersResponses(string codec)
        {
            var body = new byte[100000];
            new Random(2).NextBytes(body);
            var replies = Run(codec, "Echo", Event(1, new byte[0]), Event(2, body));
            Assert.AreEqual(4, replies.Count);
            Assert.AreEqual(Protocol.Log, replies[0].Kind);
            Assert.AreEqual("echo", replies[0].Payload["message"]);
            Assert.AreEqual(1L, replies[0].Payload["id"]);
            var first = replies[1].Payload;
            Assert.AreEqual(Protocol.Response, replies[1].Kind);
            Assert.AreEqual(1L, first["id"]);
            Assert.AreEqual(200L, first["status"]);
            Assert.AreEqual("application/octet-stream", first["content_type"]);
            CollectionAssert.AreEqual(new byte[0], Body(first));
            var headers = (IDictionary<string, object>)first["headers"];
            Assert.AreEqual("POST", headers["X-Method"]);
            Assert.AreEqual("127.0.0.1:8080", headers["X-Host"]);
            Assert.AreEqual(2L, replies[3].Payload["id"]);
            CollectionAssert.AreEqual(body, Body(replies[3].Payload));
        }

        [TestCase("json")]
        [TestCase("msgpack")]
        public void AnswersAHandlerThatThrowsWith500AndItsMessage(string codec)
        {
            var replies = Run(codec, "Boom", Event(5, new byte[0]));
            Assert.AreEqual(2, replies.Count);
            Assert.AreEqual(Protocol.Log, replies[0].Kind);
            Assert.AreEqual("error", replies[0].Payload["level"]);
            Assert.AreEqual(5L, replies[0].Payload["id"]);
            StringAssert.StartsWith("handler raised System.InvalidOperationException: boom second line", (string)replies[0].Payload["message"]);
            var response = replies[1].Payload;
            Assert.AreEqual(500L, response["status"]);
            Assert.AreEqual("System.InvalidOperationException: boom second line", response["error"]);
            Assert.AreEqual("System.InvalidOperationException: boom second line", Encoding.UTF8.GetString(Body(response)));
        }

        private static Message Event(long id, byte[] body)
        {
            return new Message(Protocol.Event, new Dictionary<string, object>
            {
                { "id", id },
                { "trigger", new Dictionary<string, object> { { "kind", "http" }, { "name", "t" } } },
                { "method", "POST" },
                { "path", "/" },
                { "url", "/" },
                { "headers", new Dictionary<string, object> { { "host", "127.0.0.1:8080" } } },
                { "body", body },
                { "timestamp", 1L },
            });
        }

        /// <summary>Sends the events and a shutdown to a worker, runs its loop, and reads what it wrote.</summary>
        private static List<Message> Run(string codecName, string method, params Message[] events)
        {
            var env = new Hashtable
            {
                { "FERRITE_ADDRESS", "unused" },
                { "FERRITE_CODEC", codecName },
                { "FERRITE_HANDLER", typeof(WorkerTestHandlers).FullName + ":" + method },
            };
            var config = Config.From(env);
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                using (var wrapperSide = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
                {
                    wrapperSide.Connect((IPEndPoint)listener.LocalEndpoint);
                    using (var processorSide = listener.AcceptSocket())
                    using (var conn = new Connection(wrapperSide, config.NewCodec()))
                    {
                        processorSide.ReceiveTimeout = 10000;
                        var codec = config.NewCodec();
                        var output = new FrameWriter();
                        foreach (var ev in events)
                        {
                            codec.Encode(ev, output);
                        }
                        codec.Encode(new Message(Protocol.Shutdown, null), output);
                        processorSide.Send(output.Buffer, 0, output.Length, SocketFlags.None);

                        var worker = new Worker(conn, config, new[] { typeof(WorkerTestHandlers).Assembly });
                        worker.LoadHandler();
                        Assert.AreEqual(0, worker.Loop());
                        conn.Dispose();
                        return ReadAll(processorSide, codec);
                    }
                }
            }
            finally
            {
                listener.Stop();
            }
        }

        private static List<Message> ReadAll(Socket socket, ICodec codec)
        {
            var buffer = new byte[1 << 16];
            int end = 0;
            while (true)
            {
                if (end == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
                int read = socket.Receive(buffer, end, buffer.Length - end, SocketFlags.None);
                if (read == 0)
                {
                    break;
                }
                end += read;
            }
            var messages = new List<Message>();
            int start = 0;
            while (start < end)
            {
                Message message;
                int needed;
                int used = codec.TryDecode(buffer, start, end, out message, out needed);
                Assert.Greater(used, 0, "a frame broken off");
                messages.Add(message);
                start += used;
            }
            return messages;
        }

        /// <summary>A response's body: bytes in msgpack, base64 text in json.</summary>
        private static byte[] Body(IDictionary<string, object> payload)
        {
            var text = payload["body"] as string;
            return text != null ? Convert.FromBase64String(text) : (byte[])payload["body"];
        }
    }
}
