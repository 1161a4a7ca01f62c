using System;
using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using Ferrite.Wrapper.Transport;
using NUnit.Framework;

namespace Ferrite.Wrapper.Tests
{
    /// <summary>
    /// The shm transport as the wrapper side of an exchange of checked test frames with the
    /// Rust <c>ring-peer</c> (PROTOCOL.md, "shm"): this side writes its frames from one
    /// thread and reads and checks the peer's on another, as the worker and a handler's
    /// logging thread may, both with random pauses so that each side sleeps and is woken.
    /// <c>FERRITE_RING_STRESS_FRAMES</c> frames each way (20,000 unless set; 1000000 is the
    /// full run).
    /// </summary>
    [TestFixture]
    public class ShmStressTest
    {
        /// <summary>Small rings, so frames (up to twice this) wrap and fill them often.</summary>
        private const long Capacity = 1024;

        /// <summary>How long neither side may move a byte before the test calls it a hang.</summary>
        private static readonly TimeSpan Stall = TimeSpan.FromSeconds(30);

        private const int FrameHeader = 16;

        private static long FrameCount()
        {
            var text = Environment.GetEnvironmentVariable("FERRITE_RING_STRESS_FRAMES");
            return string.IsNullOrEmpty(text) ? 20000 : long.Parse(text, CultureInfo.InvariantCulture);
        }

        /// <summary><c>FERRITE_RING_PEER</c>, else the newer of cargo's release and debug builds; null when there is none.</summary>
        private static string RingPeer()
        {
            var given = Environment.GetEnvironmentVariable("FERRITE_RING_PEER");
            if (!string.IsNullOrEmpty(given))
            {
                return given;
            }
            string newest = null;
            foreach (var profile in new[] { "release", "debug" })
            {
                var path = Path.Combine(Repository.Root(), "target", profile, "ring-peer");
                if (File.Exists(path) && (newest == null || File.GetLastWriteTimeUtc(path) > File.GetLastWriteTimeUtc(newest)))
                {
                    newest = path;
                }
            }
            return newest;
        }

        /// <summary>FNV-1a, 32 bits, the test frame's checksum.</summary>
        public static uint Fnv1a32(byte[] bytes, int offset, int count)
        {
            uint hash = 0x811c9dc5;
            for (int i = offset; i < offset + count; i++)
            {
                hash = unchecked((hash ^ bytes[i]) * 0x01000193);
            }
            return hash;
        }

        [Test]
        public void Fnv1a32IsTheStandardOne()
        {
            // The published test vectors of FNV-1a 32.
            Assert.AreEqual(0x811c9dc5u, Fnv1a32(new byte[0], 0, 0));
            Assert.AreEqual(0xe40c292cu, Fnv1a32(new[] { (byte)'a' }, 0, 1));
            var foobar = System.Text.Encoding.ASCII.GetBytes("foobar");
            Assert.AreEqual(0xbf9cf968u, Fnv1a32(foobar, 0, foobar.Length));
        }

        [Test]
        public void ExchangesCheckedFramesWithTheRustPeer()
        {
            var peerPath = RingPeer();
            if (peerPath == null)
            {
                Assert.Ignore("ring-peer is not built: `cargo build -p ferrite-ring --bins` builds it (scripts/test does, before these tests)");
            }
            long frames = FrameCount();
            var dir = Repository.SegmentDirectory();
            var start = new ProcessStartInfo(peerPath)
            {
                Arguments = string.Format(CultureInfo.InvariantCulture, "--dir {0} --capacity {1} --frames {2} --seed 7 --pause-every 32", dir, Capacity, frames),
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using (var peer = Process.Start(start))
            {
                try
                {
                    var stderr = peer.StandardError.ReadToEndAsync();
                    var ready = (peer.StandardOutput.ReadLine() ?? "").Split(' ');
                    if (ready[0] != "ready" || ready.Length != 3)
                    {
                        Assert.Fail("ring-peer's first line is not `ready SEGMENT SOCKET`; it said on stderr: " + stderr.Result);
                    }
                    var config = Config.From(new Hashtable
                    {
                        { "FERRITE_TRANSPORT", "shm" },
                        { "FERRITE_SHM_PATH", ready[1] },
                        { "FERRITE_ADDRESS", ready[2] },
                        { "FERRITE_SPIN_MICROS", "20" },
                    });
                    var clock = Stopwatch.StartNew();
                    var exchange = new Exchange(frames);
                    using (var transport = Transports.Connect(config))
                    {
                        exchange.Run(transport, () => peer.Kill());
                    }
                    Assert.IsTrue(peer.WaitForExit(60000), "ring-peer did not exit");
                    var said = peer.StandardOutput.ReadToEnd();
                    // Read only now: the peer's stderr ends when it exits.
                    Assert.AreEqual(0, peer.ExitCode, "ring-peer failed: " + stderr.Result);
                    Assert.IsNull(exchange.Failure, "this side failed: " + exchange.Failure);
                    Assert.AreEqual("ok " + frames + " " + frames, said.Trim());
                    Assert.AreEqual(frames, exchange.Received);
                    Console.WriteLine(
                        "shm stress: {0} frames each way with ring-peer through {1}-byte rings in {2:F1} s ({3} MB each way)",
                        frames,
                        Capacity,
                        clock.Elapsed.TotalSeconds,
                        exchange.BytesReceived / 1000000);
                }
                finally
                {
                    if (!peer.HasExited)
                    {
                        peer.Kill();
                    }
                    Directory.Delete(dir, true);
                }
            }
        }

        /// <summary>This side of the exchange: a writer thread and a reader thread over one transport.</summary>
        private sealed class Exchange
        {
            private readonly long frames;
            private long progress;

            public Exchange(long frames)
            {
                this.frames = frames;
            }

            /// <summary>The first thing that went wrong on this side, or null.</summary>
            public string Failure { get; private set; }

            public long Received { get; private set; }

            public long BytesReceived { get; private set; }

            /// <summary>Runs both threads to the end; <paramref name="stopPeer"/> on a failure or a stall, so the other thread sees the doorbell close.</summary>
            public void Run(ITransport transport, Action stopPeer)
            {
                var writer = new Thread(() => Guard(() => Write(transport)));
                var reader = new Thread(() => Guard(() => Read(transport)));
                writer.Start();
                reader.Start();
                long last = -1;
                var still = Stopwatch.StartNew();
                bool stopped = false;
                while (!writer.Join(50) || !reader.Join(0))
                {
                    long now = Interlocked.Read(ref progress);
                    if (now != last)
                    {
                        last = now;
                        still.Restart();
                    }
                    if (!stopped && (Failure != null || still.Elapsed > Stall))
                    {
                        if (Failure == null)
                        {
                            Failure = "hang: no byte moved for " + Stall.TotalSeconds + " s (" + now + " moved)";
                        }
                        stopped = true;
                        stopPeer();
                    }
                }
            }

            private void Guard(Action side)
            {
                try
                {
                    side();
                }
                catch (Exception e)
                {
                    lock (this)
                    {
                        Failure = Failure ?? e.ToString();
                    }
                }
            }

            private void Write(ITransport transport)
            {
                var rng = new Random(11);
                // Payloads are slices of one random pool: any bytes do, and this keeps the
                // test's own cost low beside the rings'.
                var pool = new byte[4 * Capacity];
                rng.NextBytes(pool);
                var frame = new byte[FrameHeader + 2 * Capacity];
                for (long seq = 0; seq < frames; seq++)
                {
                    int length = rng.Next((int)(2 * Capacity) + 1);
                    int from = rng.Next(pool.Length - length + 1);
                    WriteUInt32(frame, 0, (uint)length);
                    WriteUInt64(frame, 4, (ulong)seq);
                    WriteUInt32(frame, 12, Fnv1a32(pool, from, length));
                    Buffer.BlockCopy(pool, from, frame, FrameHeader, length);
                    transport.Write(frame, 0, FrameHeader + length);
                    Interlocked.Add(ref progress, FrameHeader + length);
                    Pause(rng);
                }
            }

            private void Read(ITransport transport)
            {
                var rng = new Random(13);
                var buffer = new byte[1 << 16];
                int start = 0;
                int end = 0;
                long expected = 0;
                while (expected < frames)
                {
                    if (start > 0 && buffer.Length - end < FrameHeader + 2 * Capacity)
                    {
                        Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                        end -= start;
                        start = 0;
                    }
                    int read = transport.Read(buffer, end, buffer.Length - end);
                    if (read == 0)
                    {
                        throw new IOException("the peer closed its doorbell after " + expected + " frames");
                    }
                    end += read;
                    BytesReceived += read;
                    Interlocked.Add(ref progress, read);
                    while (end - start >= FrameHeader)
                    {
                        long length = ReadUInt32(buffer, start);
                        if (length > 2 * Capacity)
                        {
                            throw new InvalidDataException("frame " + expected + " is torn: its length says " + length);
                        }
                        if (end - start < FrameHeader + length)
                        {
                            break;
                        }
                        ulong seq = ReadUInt64(buffer, start + 4);
                        if (seq != (ulong)expected)
                        {
                            throw new InvalidDataException("frame " + expected + " lost or reordered: frame " + seq + " came in its place");
                        }
                        if (Fnv1a32(buffer, start + FrameHeader, (int)length) != ReadUInt32(buffer, start + 12))
                        {
                            throw new InvalidDataException("frame " + expected + " has a bad checksum");
                        }
                        start += FrameHeader + (int)length;
                        expected++;
                    }
                    Received = expected;
                    Pause(rng);
                }
                if (end != start)
                {
                    throw new InvalidDataException((end - start) + " bytes came after the last frame");
                }
            }

            /// <summary>After one turn in 32, stop for up to 150 µs, so that the peer runs dry or fills the ring.</summary>
            private static void Pause(Random rng)
            {
                if (rng.Next(32) != 0)
                {
                    return;
                }
                long until = Stopwatch.GetTimestamp() + rng.Next(150) * Stopwatch.Frequency / 1000000;
                while (Stopwatch.GetTimestamp() < until)
                {
                    Thread.SpinWait(20);
                }
            }
        }

        private static void WriteUInt32(byte[] buffer, int at, uint value)
        {
            for (int i = 0; i < 4; i++)
            {
                buffer[at + i] = (byte)(value >> (8 * i));
            }
        }

        private static void WriteUInt64(byte[] buffer, int at, ulong value)
        {
            for (int i = 0; i < 8; i++)
            {
                buffer[at + i] = (byte)(value >> (8 * i));
            }
        }

        private static uint ReadUInt32(byte[] buffer, int at)
        {
            return BitConverter.ToUInt32(buffer, at);
        }

        private static ulong ReadUInt64(byte[] buffer, int at)
        {
            return BitConverter.ToUInt64(buffer, at);
        }
    }
}
