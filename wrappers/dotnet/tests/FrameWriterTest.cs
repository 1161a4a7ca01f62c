using System;
using Ferrite.Wrapper;
using NUnit.Framework;

namespace Ferrite.Wrapper.Tests
{
    [TestFixture]
    public class FrameWriterTest
    {
        [Test]
        public void KeepsEverythingWrittenAcrossGrowth()
        {
            var output = new FrameWriter();
            var expected = new byte[200000];
            new Random(1).NextBytes(expected);
            int at = 0;
            while (at < expected.Length)
            {
                int step = Math.Min(at % 7 == 0 ? 70000 : at % 5, expected.Length - at);
                if (step == 0)
                {
                    output.WriteByte(expected[at]);
                    at++;
                }
                else if (at % 3 == 0)
                {
                    output.Write(expected, at, step);
                    at += step;
                }
                else
                {
                    output.Reserve(step);
                    Buffer.BlockCopy(expected, at, output.Buffer, output.Length, step);
                    output.Advance(step);
                    at += step;
                }
            }
            Assert.AreEqual(expected.Length, output.Length);
            CollectionAssert.AreEqual(expected, output.ToArray());
        }

        [Test]
        public void PutsALengthBeforeWhatFollows()
        {
            var output = new FrameWriter();
            output.Reserve(4);
            output.Advance(4);
            output.WriteByte(9);
            output.PutUInt32(0, 0x01020304);
            CollectionAssert.AreEqual(new byte[] { 1, 2, 3, 4, 9 }, output.ToArray());
        }

        [Test]
        public void ClearKeepsAUsualBufferAndDropsAHugeOne()
        {
            var output = new FrameWriter();
            output.Write(new byte[100], 0, 100);
            var usual = output.Buffer;
            output.Clear();
            Assert.AreEqual(0, output.Length);
            Assert.AreSame(usual, output.Buffer);
            output.Reserve(5 * 1024 * 1024);
            output.Advance(5 * 1024 * 1024);
            output.Clear();
            Assert.AreEqual(0, output.Length);
            Assert.Less(output.Buffer.Length, 1024 * 1024);
        }

        [Test]
        public void RefusesToGrowPastTheLargestFrame()
        {
            var output = new FrameWriter();
            output.Write(new byte[10], 0, 10);
            var error = Assert.Throws<ProtocolException>(() => output.Reserve(Protocol.MaxFrame + 7));
            Assert.AreEqual("frame of at least " + (Protocol.MaxFrame + 17L) + " bytes is over the 256 MiB limit", error.Message);
            Assert.AreEqual(10, output.Length);
        }
    }
}
