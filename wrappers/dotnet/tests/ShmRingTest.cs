using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Ferrite.Wrapper.Transport;
using Newtonsoft.Json.Linq;
using NUnit.Framework;

namespace Ferrite.Wrapper.Tests
{
    /// <summary>The repository's files the shm tests read: the golden layout, the Rust peer.</summary>
    public static class Repository
    {
        /// <summary>The checkout's root: the nearest folder above the test assembly with <c>schemas/</c>.</summary>
        public static string Root()
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(typeof(Repository).Assembly.Location));
            while (dir != null && !File.Exists(Path.Combine(dir, "schemas", "shm-layout.json")))
            {
                dir = Path.GetDirectoryName(dir);
            }
            if (dir == null)
            {
                throw new FileNotFoundException("no schemas/shm-layout.json above " + typeof(Repository).Assembly.Location);
            }
            return dir;
        }

        /// <summary>A new private directory for segments and sockets, in /dev/shm where there is one.</summary>
        public static string SegmentDirectory()
        {
            var parent = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
            var dir = Path.Combine(parent, "ferrite-test-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    /// <summary>
    /// The ring's constants and a real segment's bytes against <c>schemas/shm-layout.json</c>
    /// (the layout every language checks, so no implementation is the reference by accident),
    /// and what opening a segment refuses.
    /// </summary>
    [TestFixture]
    public class ShmRingTest
    {
        private string dir;

        [SetUp]
        public void MakeDirectory()
        {
            dir = Repository.SegmentDirectory();
        }

        [TearDown]
        public void RemoveDirectory()
        {
            Directory.Delete(dir, true);
        }

        private static JObject Golden()
        {
            return JObject.Parse(File.ReadAllText(Path.Combine(Repository.Root(), "schemas", "shm-layout.json")));
        }

        private static long Number(JToken json, string path)
        {
            var token = json.SelectToken(path);
            Assert.IsNotNull(token, "shm-layout.json has no " + path);
            return token.Value<long>();
        }

        [Test]
        public void TheConstantsAreTheGoldenOnes()
        {
            var golden = Golden();
            Assert.AreEqual(Number(golden, "magic"), ShmLayout.Magic);
            CollectionAssert.AreEqual(Encoding.ASCII.GetBytes(golden.Value<string>("magic_ascii")), BitConverter.GetBytes(ShmLayout.Magic));
            Assert.AreEqual(Number(golden, "version"), ShmLayout.Version);
            Assert.AreEqual(Number(golden, "line"), ShmLayout.Line);
            Assert.AreEqual(Number(golden, "segment.magic.offset"), ShmLayout.MagicOffset);
            Assert.AreEqual(Number(golden, "segment.version.offset"), ShmLayout.VersionOffset);
            Assert.AreEqual(Number(golden, "segment.capacity.offset"), ShmLayout.CapacityOffset);
            Assert.AreEqual(Number(golden, "segment.attached.offset"), ShmLayout.AttachedOffset);
            Assert.AreEqual(Number(golden, "rings.to_wrapper.index"), ShmLayout.ToWrapper);
            Assert.AreEqual(Number(golden, "rings.to_processor.index"), ShmLayout.ToProcessor);
            Assert.AreEqual(Number(golden, "rings.to_wrapper.control_offset"), ShmLayout.ControlOffset(ShmLayout.ToWrapper));
            Assert.AreEqual(Number(golden, "rings.to_processor.control_offset"), ShmLayout.ControlOffset(ShmLayout.ToProcessor));
            Assert.AreEqual(Number(golden, "ring_control.tail.offset"), ShmLayout.TailOffset);
            Assert.AreEqual(Number(golden, "ring_control.producer_sleep.offset"), ShmLayout.ProducerSleepOffset);
            Assert.AreEqual(Number(golden, "ring_control.head.offset"), ShmLayout.HeadOffset);
            Assert.AreEqual(Number(golden, "ring_control.consumer_sleep.offset"), ShmLayout.ConsumerSleepOffset);
            Assert.AreEqual(Number(golden, "data_offset"), ShmLayout.DataOffset);
            Assert.AreEqual(Number(golden, "capacity.min"), ShmLayout.MinCapacity);
            Assert.AreEqual(Number(golden, "capacity.max"), ShmLayout.MaxCapacity);
            Assert.AreEqual(Number(golden, "doorbell_byte"), 1);
            Assert.AreEqual("data_offset + 2 * capacity", golden.Value<string>("segment_len"));
            Assert.AreEqual(4096 + 2 * 64, ShmLayout.SegmentLength(64));
            Assert.AreEqual("data_offset + index * capacity", golden.Value<string>("ring_data_offset"));
            Assert.AreEqual(4096 + 64, ShmLayout.DataOffsetOf(ShmLayout.ToProcessor, 64));
        }

        [Test]
        public void ASegmentLiesInItsFileAsTheGoldenExampleSays()
        {
            var example = Golden()["example"];
            long capacity = Number(example, "capacity");
            var path = Path.Combine(dir, "ring");
            var bytes = new byte[70];
            for (int i = 0; i < bytes.Length; i++)
            {
                bytes[i] = (byte)i;
            }
            using (var processor = ShmEndpoint.Create(path, capacity))
            using (var wrapper = ShmEndpoint.Open(path))
            {
                Assert.AreEqual(60, processor.Producer.Write(bytes, 0, 60));
                Assert.IsFalse(processor.Producer.NeedsRing());
                var read = new byte[64];
                Assert.AreEqual(60, wrapper.Consumer.Read(read, 0, read.Length));
                CollectionAssert.AreEqual(bytes.Take(60), read.Take(60));
                Assert.IsTrue(wrapper.Consumer.PrepareToSleep(), "the ring is empty, so the consumer may sleep");
                Assert.AreEqual(10, processor.Producer.Write(bytes, 60, 10));
                Assert.IsTrue(processor.Producer.NeedsRing(), "the consumer announced a sleep");
                Assert.IsFalse(processor.Producer.NeedsRing(), "one ring per announcement");

                var file = ReadFile(path);
                Assert.AreEqual(ShmLayout.SegmentLength(capacity), file.Length);
                Assert.AreEqual(ShmLayout.Magic, BitConverter.ToUInt32(file, ShmLayout.MagicOffset));
                Assert.AreEqual(ShmLayout.Version, BitConverter.ToUInt32(file, ShmLayout.VersionOffset));
                Assert.AreEqual(capacity, BitConverter.ToInt64(file, ShmLayout.CapacityOffset));
                Assert.AreEqual(Number(example, "attached"), BitConverter.ToUInt32(file, ShmLayout.AttachedOffset));
                foreach (var ring in new[] { "to_wrapper", "to_processor" })
                {
                    int control = ShmLayout.ControlOffset(ring == "to_wrapper" ? ShmLayout.ToWrapper : ShmLayout.ToProcessor);
                    var words = example[ring];
                    Assert.AreEqual(Number(words, "tail"), BitConverter.ToInt64(file, control + ShmLayout.TailOffset), ring + " tail");
                    Assert.AreEqual(Number(words, "head"), BitConverter.ToInt64(file, control + ShmLayout.HeadOffset), ring + " head");
                    Assert.AreEqual(Number(words, "producer_sleep"), BitConverter.ToInt64(file, control + ShmLayout.ProducerSleepOffset), ring + " producer_sleep");
                    Assert.AreEqual(Number(words, "consumer_sleep"), BitConverter.ToInt64(file, control + ShmLayout.ConsumerSleepOffset), ring + " consumer_sleep");
                }
                var data = new StringBuilder();
                for (long i = 0; i < capacity; i++)
                {
                    data.Append(file[ShmLayout.DataOffsetOf(ShmLayout.ToWrapper, capacity) + i].ToString("x2", CultureInfo.InvariantCulture));
                }
                Assert.AreEqual(example.Value<string>("to_wrapper_data_hex"), data.ToString());

                // The wrapper reads across the wrap and, woken, withdraws its announcement.
                wrapper.Consumer.CancelSleep();
                Assert.AreEqual(10, wrapper.Consumer.Read(read, 0, read.Length));
                CollectionAssert.AreEqual(bytes.Skip(60), read.Take(10));
                Assert.AreEqual(2, BitConverter.ToInt64(ReadFile(path), ShmLayout.ControlOffset(ShmLayout.ToWrapper) + ShmLayout.ConsumerSleepOffset));
            }
        }

        [Test]
        public void AFullRingTakesWhatFitsAndItsProducerMaySleep()
        {
            var path = Path.Combine(dir, "ring");
            using (var processor = ShmEndpoint.Create(path, 64))
            using (var wrapper = ShmEndpoint.Open(path))
            {
                var bytes = new byte[100];
                new Random(3).NextBytes(bytes);
                Assert.AreEqual(64, wrapper.Producer.Write(bytes, 0, 100));
                Assert.AreEqual(0, wrapper.Producer.Write(bytes, 64, 36));
                Assert.IsTrue(wrapper.Producer.PrepareToSleep());
                var read = new byte[100];
                Assert.AreEqual(40, processor.Consumer.Read(read, 0, 40));
                Assert.IsTrue(processor.Consumer.NeedsRing(), "the producer announced a sleep");
                wrapper.Producer.CancelSleep();
                Assert.AreEqual(36, wrapper.Producer.Write(bytes, 64, 36));
                Assert.AreEqual(60, processor.Consumer.Read(read, 40, 60));
                CollectionAssert.AreEqual(bytes, read);
                // Space is there, so an announcement is withdrawn at once.
                Assert.IsFalse(wrapper.Producer.PrepareToSleep());
                Assert.IsFalse(processor.Consumer.NeedsRing());
            }
        }

        [Test]
        public void OnlyOneWrapperMayOpenASegment()
        {
            var path = Path.Combine(dir, "ring");
            using (ShmEndpoint.Create(path, 64))
            using (ShmEndpoint.Open(path))
            {
                var error = Assert.Throws<ShmSegmentException>(() => ShmEndpoint.Open(path));
                Assert.AreEqual("shared-memory segment " + path + " is already open by a wrapper", error.Message);
            }
        }

        [Test]
        public void OpenRefusesWhatIsNotASegment()
        {
            var shortFile = Path.Combine(dir, "short");
            File.WriteAllBytes(shortFile, new byte[100]);
            StringAssert.EndsWith("too short for the header", Assert.Throws<ShmSegmentException>(() => ShmEndpoint.Open(shortFile)).Message);

            var zeros = Path.Combine(dir, "zeros");
            File.WriteAllBytes(zeros, new byte[4096 + 128]);
            Assert.AreEqual(
                zeros + " is not a ferrite segment of layout version 1: magic is 0x00000000",
                Assert.Throws<ShmSegmentException>(() => ShmEndpoint.Open(zeros)).Message);

            // A segment cut short after it was made.
            var cut = Path.Combine(dir, "cut");
            ShmEndpoint.Create(cut, 64).Dispose();
            using (var stream = new FileStream(cut, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
            {
                stream.SetLength(4096 + 64);
            }
            StringAssert.EndsWith("4160 bytes long, but rings of 64 need 4224", Assert.Throws<ShmSegmentException>(() => ShmEndpoint.Open(cut)).Message);

            var missing = Path.Combine(dir, "missing");
            StringAssert.StartsWith("shared-memory segment " + missing + ": ", Assert.Throws<ShmSegmentException>(() => ShmEndpoint.Open(missing)).Message);
        }

        [TestCase(0L)]
        [TestCase(32L)]
        [TestCase(1000L)]
        [TestCase(1L << 31)]
        public void CreateRefusesABadCapacity(long capacity)
        {
            Assert.AreEqual(
                "ring capacity " + capacity + " is not a power of two from 64 to 1073741824 bytes",
                Assert.Throws<ShmSegmentException>(() => ShmEndpoint.Create(Path.Combine(dir, "ring"), capacity)).Message);
        }

        [Test]
        public void AnEndpointDisposedWhileInUseStaysMappedUntilUnpinned()
        {
            var path = Path.Combine(dir, "ring");
            using (var processor = ShmEndpoint.Create(path, 64))
            {
                var wrapper = ShmEndpoint.Open(path);
                wrapper.Pin();
                wrapper.Dispose();
                // Still mapped: the write lands in the segment the processor sees.
                Assert.AreEqual(3, wrapper.Producer.Write(new byte[] { 1, 2, 3 }, 0, 3));
                wrapper.Unpin();
                Assert.Throws<ObjectDisposedException>(() => wrapper.Pin());
                var read = new byte[3];
                Assert.AreEqual(3, processor.Consumer.Read(read, 0, 3));
                CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, read);
            }
        }

        /// <summary>The file's bytes, read beside the mappings that hold it open.</summary>
        private static byte[] ReadFile(string path)
        {
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            {
                var bytes = new byte[stream.Length];
                int at = 0;
                while (at < bytes.Length)
                {
                    at += stream.Read(bytes, at, bytes.Length - at);
                }
                return bytes;
            }
        }
    }
}
