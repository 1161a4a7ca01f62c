using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using Ferrite.Sdk;
using Ferrite.Wrapper;
using Ferrite.Wrapper.Codec;
using Ferrite.Wrapper.Transport;
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
    /// The worker's loop over every transport (real sockets; for shm a real segment and its
    /// doorbell socket) with every codec: events in, logs and responses out, each written
    /// whole from the connection's buffer.
    /// </summary>
    [TestFixture]
    public class WorkerTest
    {
        /// <summary>Every registered transport: a new one fails here until <see cref="Listener"/> can listen for it.</summary>
        public static IEnumerable<string> TransportNames()
        {
            return Transports.ByName.Select(entry => entry.Key);
        }

        public static IEnumerable<string> CodecNames()
        {
            return Codecs.ByName.Select(entry => entry.Key);
        }

        [Test]
        public void AnswersEventsWithTheHandlersResponses(
            [ValueSource("TransportNames")] string transport, [ValueSource("CodecNames")] string codec)
        {
            var body = new byte[100000];
            new Random(2).NextBytes(body);
            var replies = Run(transport, codec, "Echo", true, Event(1, new byte[0]), Event(2, body));
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

        [Test]
        public void AnswersAHandlerThatThrowsWith500AndItsMessage(
            [ValueSource("TransportNames")] string transport, [ValueSource("CodecNames")] string codec)
        {
            var replies = Run(transport, codec, "Boom", true, Event(5, new byte[0]));
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

        [Test]
        public void EndsWhenTheProcessorClosesTheStream(
            [ValueSource("TransportNames")] string transport, [ValueSource("CodecNames")] string codec)
        {
            var replies = Run(transport, codec, "Echo", false, Event(3, new byte[] { 7 }));
            Assert.AreEqual(2, replies.Count);
            Assert.AreEqual(3L, replies[1].Payload["id"]);
            CollectionAssert.AreEqual(new byte[] { 7 }, Body(replies[1].Payload));
        }

        private static Message Event(long id, byte[] body)
        {
            var fields = SampleEvents.Echo(body);
            fields["id"] = id;
            return new Message(Protocol.Event, fields);
        }

        /// <summary>
        /// Connects a worker to a listening processor side as the processor would, sends it
        /// the events (then a shutdown, or closes the stream), runs its loop, and reads what
        /// it wrote.
        /// </summary>
        private static List<Message> Run(string transportName, string codecName, string method, bool shutdown, params Message[] events)
        {
            using (var listener = new Listener(transportName))
            {
                var env = new Hashtable
                {
                    { "FERRITE_TRANSPORT", transportName },
                    { "FERRITE_ADDRESS", listener.Address },
                    { "FERRITE_SHM_PATH", listener.ShmPath },
                    { "FERRITE_CODEC", codecName },
                    { "FERRITE_HANDLER", typeof(WorkerTestHandlers).FullName + ":" + method },
                };
                var config = Config.From(env);
                using (var conn = new Connection(Transports.Connect(config), Codecs.Create(config.Codec)))
                using (var processorSide = listener.Accept())
                {
                    var worker = new Worker(conn, config, new[] { typeof(WorkerTestHandlers).Assembly });
                    worker.LoadHandler();
                    // The loop runs beside this side's writes and reads, so neither waits on a full buffer.
                    var loop = Task.Run(() =>
                    {
                        try
                        {
                            return worker.Loop();
                        }
                        finally
                        {
                            conn.Dispose();
                        }
                    });
                    var codec = ProcessorCodec(codecName);
                    var output = new FrameWriter();
                    foreach (var ev in events)
                    {
                        codec.Encode(ev, output);
                    }
                    if (shutdown)
                    {
                        codec.Encode(new Message(Protocol.Shutdown, null), output);
                    }
                    processorSide.Transport.Write(output.Buffer, 0, output.Length);
                    if (!shutdown)
                    {
                        processorSide.Socket.Shutdown(SocketShutdown.Send);
                    }
                    var replies = ReadAll(processorSide.Transport, codec);
                    Assert.IsTrue(loop.Wait(10000), "the worker's loop did not end");
                    Assert.AreEqual(0, loop.Result);
                    return replies;
                }
            }
        }

        /// <summary>
        /// The processor's side of a transport: a socket listening where <see cref="Address"/>
        /// says, and for shm a segment at <see cref="ShmPath"/> beside it, made as the
        /// processor makes it (<see cref="ShmEndpoint.Create"/>).
        /// </summary>
        private sealed class Listener : IDisposable
        {
            /// <summary>Rings large enough for every test's events and replies at once, as socket buffers are.</summary>
            private const long ShmCapacity = 1 << 20;

            private readonly Socket socket;
            private readonly string directory;
            private ShmEndpoint segment;

            public Listener(string transport)
            {
                if (transport == "unix" || transport == "shm")
                {
                    directory = Path.Combine(Path.GetTempPath(), "ferrite-test-" + Guid.NewGuid().ToString("N"));
                    Directory.CreateDirectory(directory);
                    Address = Path.Combine(directory, "worker.sock");
                    socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    socket.Bind(new UnixDomainSocketEndPoint(Address));
                    if (transport == "shm")
                    {
                        ShmPath = Path.Combine(directory, "worker.ring");
                        segment = ShmEndpoint.Create(ShmPath, ShmCapacity);
                    }
                }
                else if (transport == "tcp")
                {
                    socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                    Address = "127.0.0.1:" + ((IPEndPoint)socket.LocalEndPoint).Port;
                }
                else
                {
                    throw new NotSupportedException("no processor side for the " + transport + " transport in this test yet");
                }
                socket.Listen(1);
            }

            public string Address { get; private set; }

            /// <summary>The segment's path for shm, else null.</summary>
            public string ShmPath { get; private set; }

            public ProcessorSide Accept()
            {
                var accepted = socket.Accept();
                // Time limits on the socket (for shm, on waiting for a doorbell) are the
                // watchdog of a test that would hang.
                accepted.ReceiveTimeout = 10000;
                accepted.SendTimeout = 10000;
                ITransport transport;
                if (segment != null)
                {
                    transport = new ShmTransport(segment, accepted, 0);
                    segment = null;
                }
                else
                {
                    transport = new AcceptedSocket(accepted);
                }
                return new ProcessorSide(transport, accepted);
            }

            public void Dispose()
            {
                socket.Close();
                if (segment != null)
                {
                    segment.Dispose();
                }
                if (directory != null)
                {
                    Directory.Delete(directory, true);
                }
            }
        }

        /// <summary>An accepted connection as a transport, to read and write it as the worker does.</summary>
        private sealed class AcceptedSocket : SocketTransport
        {
            public AcceptedSocket(Socket socket)
                : base(socket)
            {
            }
        }

        /// <summary>The processor's end of one connection: its transport, and the socket under it to half-close.</summary>
        private sealed class ProcessorSide : IDisposable
        {
            public ProcessorSide(ITransport transport, Socket socket)
            {
                Transport = transport;
                Socket = socket;
            }

            public ITransport Transport { get; private set; }

            public Socket Socket { get; private set; }

            public void Dispose()
            {
                Transport.Dispose();
            }
        }

        /// <summary>
        /// The processor's side of a codec: the wrapper's own where it reads and writes every
        /// kind; for flatbuffers, whose wrapper side writes only what a wrapper sends, the
        /// generated code's (<see cref="FlatbuffersProcessorSide"/>).
        /// </summary>
        private static ICodec ProcessorCodec(string name)
        {
            return name == "flatbuffers" ? new FlatbuffersProcessorSide() : Codecs.Create(name);
        }

        private static List<Message> ReadAll(ITransport transport, ICodec codec)
        {
            var buffer = new byte[1 << 16];
            int end = 0;
            while (true)
            {
                if (end == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
                int read = transport.Read(buffer, end, buffer.Length - end);
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

        /// <summary>A response's body: bytes in msgpack and flatbuffers, base64 text in json.</summary>
        private static byte[] Body(IDictionary<string, object> payload)
        {
            var text = payload["body"] as string;
            return text != null ? Convert.FromBase64String(text) : (byte[])payload["body"];
        }
    }
}
