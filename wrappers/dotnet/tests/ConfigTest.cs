using System;
using System.Collections;
using Ferrite.Sdk;
using Ferrite.Wrapper;
using Ferrite.Wrapper.Codec;
using NUnit.Framework;

namespace Ferrite.Wrapper.Tests
{
    [TestFixture]
    public class ConfigTest
    {
        private static Config From(params string[] namesAndValues)
        {
            var env = new Hashtable { { "FERRITE_ADDRESS", "/tmp/w.sock" } };
            for (int i = 0; i < namesAndValues.Length; i += 2)
            {
                env[namesAndValues[i]] = namesAndValues[i + 1];
            }
            return Config.From(env);
        }

        [Test]
        public void DefaultsToMsgpackOverUnix()
        {
            var config = From("FERRITE_WORKER_ID", "3");
            Assert.AreEqual("unix", config.Transport);
            Assert.AreEqual("msgpack", config.Codec);
            Assert.AreEqual("/tmp/w.sock", config.Address);
            Assert.AreEqual(3, config.WorkerId);
            Assert.AreEqual(LogLevel.Info, config.LogLevel);
        }

        [TestCase("json", typeof(JsonCodec))]
        [TestCase("msgpack", typeof(MsgpackCodec))]
        [TestCase("flatbuffers", typeof(FlatbuffersCodec))]
        public void TakesEveryCodecByName(string name, Type codec)
        {
            Assert.AreEqual(name, From("FERRITE_CODEC", name).Codec);
            Assert.IsInstanceOf(codec, Codecs.Create(name));
        }

        [TestCase("FERRITE_TRANSPORT", "quic", "FERRITE_TRANSPORT=quic: expected unix or tcp or shm")]
        [TestCase("FERRITE_TRANSPORT", "shm", "FERRITE_SHM_PATH is not set (the shm transport needs its segment)")]
        [TestCase("FERRITE_SPIN_MICROS", "-5", "FERRITE_SPIN_MICROS=-5 is not a count of microseconds")]
        [TestCase("FERRITE_CODEC", "cbor", "FERRITE_CODEC=cbor: expected json or msgpack or flatbuffers")]
        [TestCase("FERRITE_PROTOCOL", "2", "FERRITE_PROTOCOL=2 is not supported (this wrapper speaks 1)")]
        [TestCase("FERRITE_WORKER_ID", "-1", "FERRITE_WORKER_ID=-1 is not a worker index")]
        public void RefusesAValueItDoesNotKnowSayingWhatIsAllowed(string name, string value, string error)
        {
            Assert.AreEqual(error, Assert.Throws<ArgumentException>(() => From(name, value)).Message);
        }

        [Test]
        public void ReadsTheShmSegmentAndSpinTime()
        {
            var config = From("FERRITE_TRANSPORT", "shm", "FERRITE_SHM_PATH", "/dev/shm/f/w.ring", "FERRITE_SPIN_MICROS", "50");
            Assert.AreEqual("shm", config.Transport);
            Assert.AreEqual("/dev/shm/f/w.ring", config.ShmPath);
            Assert.AreEqual(50, config.SpinMicros);
            Assert.AreEqual(0, From().SpinMicros);
        }

        [Test]
        public void RefusesAMissingAddress()
        {
            Assert.Throws<ArgumentException>(() => Config.From(new Hashtable()));
        }

        [TestCase("debug", LogLevel.Debug)]
        [TestCase(" WARNING ", LogLevel.Warn)]
        [TestCase("warn", LogLevel.Warn)]
        [TestCase("error", LogLevel.Error)]
        [TestCase("verbose", LogLevel.Info)]
        public void ReadsTheLogLevel(string text, LogLevel level)
        {
            Assert.AreEqual(level, From("FERRITE_LOG_LEVEL", text).LogLevel);
        }
    }
}
