// Times the wrapper's codecs in process, for json, msgpack and flatbuffers:
// - a small GET event, as the processor sends one for `wrk`, decoded into the handler's Event
//   and answered by an empty handler through the worker, response encoded: the wrapper's own
//   work per event, the socket calls apart;
// - an event with a body of 64 B, 64 KiB or 1 MiB decoded, then the response echoing it encoded.
// Times are CPU time per round, which other work on the machine disturbs less than wall time.
// The events are the tests' (tests/SampleEvents.cs); flatbuffers' event frames are written,
// and its responses checked, by the tests' processor side (tests/FlatbuffersProcessorSide.cs),
// since the wrapper's codec writes no events. Neither build.sh nor the .csproj files build it.
// From the repository root:
//
//   bash wrappers/dotnet/build.sh --tests
//   bin=wrappers/dotnet/bin
//   mcs -nologo -optimize+ -out:/tmp/codec-bench.exe -r:$bin/Ferrite.Sdk.dll \
//     -r:$bin/ferrite-wrapper.exe -r:$bin/Ferrite.Wrapper.Tests.dll wrappers/dotnet/benchmarks/CodecBench.cs
//   MONO_PATH=$bin mono /tmp/codec-bench.exe [SECONDS_PER_CASE]
using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using Ferrite.Sdk;
using Ferrite.Wrapper;
using Ferrite.Wrapper.Codec;
using Ferrite.Wrapper.Tests;

namespace Ferrite.Wrapper.Benchmarks
{
    /// <summary>The benchmark's empty handler (bench/functions/dotnet-empty): 200, empty body.</summary>
    public static class EmptyHandler
    {
        public static object Handle(Context context, Event ev)
        {
            return null;
        }
    }

    public static class CodecBench
    {
        public static int Main(string[] args)
        {
            double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 2.0;
            var names = new[] { "json", "msgpack", "flatbuffers" };
            foreach (var name in names)
            {
                RunSmall(name, Codecs.Create(name), seconds);
            }
            foreach (var size in new[] { 64, 64 * 1024, 1024 * 1024 })
            {
                var body = new byte[size];
                new Random(size).NextBytes(body);
                foreach (var name in names)
                {
                    Run(name, Codecs.Create(name), size, body, seconds);
                }
            }
            return 0;
        }

        /// <summary>The processor's side of a codec: the codec itself, but for flatbuffers, whose wrapper side writes no events.</summary>
        private static ICodec ProcessorSide(ICodec codec)
        {
            return codec is FlatbuffersCodec ? (ICodec)new FlatbuffersProcessorSide() : codec;
        }

        /// <summary>A frame of the processor's: an event to decode.</summary>
        private static byte[] Frame(ICodec codec, Message message)
        {
            var output = new FrameWriter();
            ProcessorSide(codec).Encode(message, output);
            return output.ToArray();
        }

        /// <summary>Decode, handle with the empty handler, encode: microseconds per event.</summary>
        private static void RunSmall(string name, ICodec codec, double seconds)
        {
            var frame = Frame(codec, new Message(Protocol.Event, SampleEvents.WrkGet()));
            var env = new Hashtable
            {
                { "FERRITE_ADDRESS", "unused" },
                { "FERRITE_HANDLER", typeof(EmptyHandler).FullName },
            };
            var worker = new Worker(null, Config.From(env), new[] { typeof(EmptyHandler).Assembly });
            worker.LoadHandler();
            var output = new FrameWriter();
            Func<int> round = () =>
            {
                Message message;
                int needed;
                if (codec.TryDecode(frame, 0, frame.Length, out message, out needed) != frame.Length)
                {
                    throw new InvalidOperationException("the frame did not decode");
                }
                var ev = Worker.ToEvent(message);
                codec.Encode(worker.HandleEvent(ev.Id, ev), output);
                int length = output.Length;
                output.Clear();
                return length;
            };
            Time(round, 0.3);
            double each = Time(round, seconds);
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "{0,-11} small GET event  frame {1,4} B  response {2,4} B  decode+handle+encode {3,6:F2} us CPU",
                name, frame.Length, round(), each));
        }

        private static void Run(string name, ICodec codec, int size, byte[] body, double seconds)
        {
            // The event frame as the processor writes it, in a buffer like Connection's.
            var frame = Frame(codec, new Message(Protocol.Event, SampleEvents.Echo(body)));
            var buffer = new byte[frame.Length + 16];
            Buffer.BlockCopy(frame, 0, buffer, 0, frame.Length);
            Check(codec, buffer, frame.Length, body);

            // Warm up, then time decode alone, encode alone and both.
            var output = new FrameWriter();
            Time(Steps(codec, buffer, frame.Length, body, output, 3), 0.3);
            double decode = Time(Steps(codec, buffer, frame.Length, body, output, 1), seconds);
            double encode = Time(Steps(codec, buffer, frame.Length, body, output, 2), seconds);
            double both = Time(Steps(codec, buffer, frame.Length, body, output, 3), seconds);
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "{0,-11} {1,8} body  frame {2,8} B  decode {3,8:F1} us  encode {4,8:F1} us  both {5,8:F1} us CPU",
                name, size >= 1024 * 1024 ? (size / 1024 / 1024) + " MiB" : size >= 1024 ? (size / 1024) + " KiB" : size + " B",
                frame.Length, decode, encode, both));
        }

        /// <summary>One round of the chosen steps (1 decode into an Event, 2 encode of the echo, 3 both).</summary>
        private static Func<int> Steps(ICodec codec, byte[] buffer, int length, byte[] body, FrameWriter output, int steps)
        {
            return () =>
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
                    echoed = Worker.ToEvent(message).Body;
                }
                int written = 0;
                if ((steps & 2) != 0)
                {
                    codec.Encode(new Message(42, WireResponse.From(echoed)), output);
                    written = output.Length;
                    output.Clear();
                }
                return written;
            };
        }

        /// <summary>
        /// CPU microseconds per round (the process's, so the collector's too), over
        /// <paramref name="seconds"/> of wall time: on a machine shared with other work the
        /// wall clock counts time this process was not running.
        /// </summary>
        private static double Time(Func<int> round, double seconds)
        {
            var process = Process.GetCurrentProcess();
            var cpu = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            long rounds = 0;
            long sink = 0;
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                sink += round();
                rounds++;
            }
            GC.KeepAlive(sink);
            process.Refresh();
            return (process.TotalProcessorTime - cpu).TotalMilliseconds * 1000 / rounds;
        }

        /// <summary>The codec gives back the body it was given, and its response decodes.</summary>
        private static void Check(ICodec codec, byte[] buffer, int length, byte[] body)
        {
            Message message;
            int needed;
            codec.TryDecode(buffer, 0, length, out message, out needed);
            var decoded = Worker.ToEvent(message).Body;
            if (Convert.ToBase64String(decoded) != Convert.ToBase64String(body))
            {
                throw new InvalidOperationException("the body did not survive decoding");
            }
            var output = new FrameWriter();
            codec.Encode(new Message(42, WireResponse.From(body)), output);
            var response = output.ToArray();
            ProcessorSide(codec).TryDecode(response, 0, response.Length, out message, out needed);
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
