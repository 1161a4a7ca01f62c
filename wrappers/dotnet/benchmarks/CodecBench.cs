// Times the wrapper's codecs in process: decode of an event with a large body, then encode
// of the response that echoes it, for json and msgpack, with 64 KiB and 1 MiB bodies.
// Neither build.sh nor the .csproj files build it. From the repository root:
//
//   bash wrappers/dotnet/build.sh
//   mcs -nologo -optimize+ -out:/tmp/codec-bench.exe -r:wrappers/dotnet/bin/Ferrite.Sdk.dll \
//     -r:wrappers/dotnet/bin/ferrite-wrapper.exe wrappers/dotnet/benchmarks/CodecBench.cs
//   MONO_PATH=wrappers/dotnet/bin mono /tmp/codec-bench.exe [SECONDS_PER_CASE]
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Ferrite.Wrapper;

namespace Ferrite.Wrapper.Benchmarks
{
    public static class CodecBench
    {
        public static int Main(string[] args)
        {
            double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 2.0;
            foreach (var size in new[] { 64 * 1024, 1024 * 1024 })
            {
                var body = new byte[size];
                new Random(size).NextBytes(body);
                Run("json", new JsonCodec(), size, body, seconds);
                Run("msgpack", new MsgpackCodec(), size, body, seconds);
            }
            return 0;
        }

        /// <summary>The event the processor sends for a POST of <paramref name="body"/>.</summary>
        private static Message Event(byte[] body)
        {
            return new Message(Protocol.Event, new Dictionary<string, object>
            {
                { "id", 42L },
                { "trigger", new Dictionary<string, object> { { "kind", "http" }, { "name", "echo" } } },
                { "method", "POST" },
                { "path", "/echo" },
                { "url", "http://127.0.0.1:8080/echo" },
                { "query", new Dictionary<string, object>() },
                { "headers", new Dictionary<string, object>
                    {
                        { "content-length", body.Length.ToString(CultureInfo.InvariantCulture) },
                        { "content-type", "application/octet-stream" },
                        { "host", "127.0.0.1:8080" },
                    }
                },
                { "content_type", "application/octet-stream" },
                { "timestamp", 1764000000000L },
                { "deadline", 1764000030000L },
                { "body", body },
            });
        }

        /// <summary>The worker's response to that event, echoing its body.</summary>
        private static Message Response(byte[] body)
        {
            return new Message(Protocol.Response, new Dictionary<string, object>
            {
                { "id", 42L },
                { "status", 200 },
                { "headers", new Dictionary<string, string>() },
                { "content_type", "application/octet-stream" },
                { "body", body },
            });
        }

        private static void Run(string name, ICodec codec, int size, byte[] body, double seconds)
        {
            // The event frame as the processor writes it, in a buffer like Connection's.
            var frame = codec.Encode(Event(body));
            var buffer = new byte[frame.Length + 16];
            Buffer.BlockCopy(frame, 0, buffer, 0, frame.Length);
            Check(codec, buffer, frame.Length, body);

            // Warm up, then time decode alone, encode alone and both.
            Time(codec, buffer, frame.Length, body, 0.3, 3);
            double decode = Time(codec, buffer, frame.Length, body, seconds, 1);
            double encode = Time(codec, buffer, frame.Length, body, seconds, 2);
            double both = Time(codec, buffer, frame.Length, body, seconds, 3);
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "{0,-8} {1,8} body  frame {2,8} B  decode {3,8:F1} us  encode {4,8:F1} us  both {5,8:F1} us  ({6,7:F0}/s)",
                name, size >= 1024 * 1024 ? (size / 1024 / 1024) + " MiB" : (size / 1024) + " KiB",
                frame.Length, decode, encode, both, 1e6 / both));
        }

        /// <summary>Microseconds per round of the chosen steps (1 decode, 2 encode, 3 both).</summary>
        private static double Time(ICodec codec, byte[] buffer, int length, byte[] body, double seconds, int steps)
        {
            var clock = Stopwatch.StartNew();
            long rounds = 0;
            long sink = 0;
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                byte[] echoed = body;
                if ((steps & 1) != 0)
                {
                    Message message;
                    int needed;
                    if (codec.TryDecode(buffer, 0, length, out message, out needed) != length)
                    {
                        throw new InvalidOperationException("the frame did not decode");
                    }
                    echoed = (byte[])message.Payload["body"];
                }
                if ((steps & 2) != 0)
                {
                    sink += codec.Encode(Response(echoed)).Length;
                }
                rounds++;
            }
            GC.KeepAlive(sink);
            return clock.Elapsed.TotalMilliseconds * 1000 / rounds;
        }

        /// <summary>The codec gives back the body it was given, and its response decodes.</summary>
        private static void Check(ICodec codec, byte[] buffer, int length, byte[] body)
        {
            Message message;
            int needed;
            codec.TryDecode(buffer, 0, length, out message, out needed);
            var decoded = (byte[])message.Payload["body"];
            if (Convert.ToBase64String(decoded) != Convert.ToBase64String(body))
            {
                throw new InvalidOperationException("the body did not survive decoding");
            }
            var response = codec.Encode(Response(body));
            codec.TryDecode(response, 0, response.Length, out message, out needed);
            // Only an event's body is decoded from base64; json leaves a response's as text.
            var echoed = message.Payload["body"];
            var text = echoed as string ?? Convert.ToBase64String((byte[])echoed);
            if (message.Kind != Protocol.Response || text != Convert.ToBase64String(body))
            {
                throw new InvalidOperationException("the response did not survive encoding");
            }
        }
    }
}
