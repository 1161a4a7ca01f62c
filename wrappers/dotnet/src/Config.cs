using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using Ferrite.Sdk;
using Ferrite.Wrapper.Codec;
using Ferrite.Wrapper.Transport;

namespace Ferrite.Wrapper
{
    /// <summary>The <c>FERRITE_*</c> environment a worker is started with (PROTOCOL.md section 1).</summary>
    public sealed class Config
    {
        public string Transport { get; private set; }
        public string Address { get; private set; }
        public string Codec { get; private set; }
        public string Token { get; private set; }
        public string Handler { get; private set; }
        public string FunctionName { get; private set; }
        public int WorkerId { get; private set; }
        public LogLevel LogLevel { get; private set; }

        /// <summary><c>FERRITE_SHM_PATH</c>: the segment file of the shm transport.</summary>
        public string ShmPath { get; private set; }

        /// <summary><c>FERRITE_SPIN_MICROS</c>: how long shm re-checks a ring before it sleeps on the doorbell.</summary>
        public int SpinMicros { get; private set; }

        public static Config FromEnvironment()
        {
            return From(Environment.GetEnvironmentVariables());
        }

        /// <summary>Reads the settings from <paramref name="env"/>; throws <see cref="ArgumentException"/> naming a bad one.</summary>
        public static Config From(IDictionary env)
        {
            Func<string, string, string> get = (name, fallback) =>
            {
                var value = env[name] as string;
                return string.IsNullOrEmpty(value) ? fallback : value;
            };
            var protocol = get("FERRITE_PROTOCOL", "1");
            if (protocol != Protocol.Version.ToString(CultureInfo.InvariantCulture))
            {
                throw new ArgumentException("FERRITE_PROTOCOL=" + protocol + " is not supported (this wrapper speaks 1)");
            }
            var config = new Config
            {
                Transport = get("FERRITE_TRANSPORT", "unix"),
                Address = get("FERRITE_ADDRESS", ""),
                Codec = get("FERRITE_CODEC", "msgpack"),
                Token = get("FERRITE_TOKEN", ""),
                Handler = get("FERRITE_HANDLER", ""),
                FunctionName = get("FERRITE_FUNCTION_NAME", ""),
                LogLevel = ParseLevel(get("FERRITE_LOG_LEVEL", "info")),
            };
            // Each throws, saying what is allowed, for a name it does not have.
            Transports.ByName.Get(config.Transport);
            Codecs.ByName.Get(config.Codec);
            if (config.Address.Length == 0)
            {
                throw new ArgumentException("FERRITE_ADDRESS is not set");
            }
            int workerId;
            if (!int.TryParse(get("FERRITE_WORKER_ID", "0"), NumberStyles.None, CultureInfo.InvariantCulture, out workerId))
            {
                throw new ArgumentException("FERRITE_WORKER_ID=" + get("FERRITE_WORKER_ID", "") + " is not a worker index");
            }
            config.WorkerId = workerId;
            config.ShmPath = get("FERRITE_SHM_PATH", "");
            if (config.Transport == "shm" && config.ShmPath.Length == 0)
            {
                throw new ArgumentException("FERRITE_SHM_PATH is not set (the shm transport needs its segment)");
            }
            int spinMicros;
            if (!int.TryParse(get("FERRITE_SPIN_MICROS", "0"), NumberStyles.None, CultureInfo.InvariantCulture, out spinMicros))
            {
                throw new ArgumentException("FERRITE_SPIN_MICROS=" + get("FERRITE_SPIN_MICROS", "") + " is not a count of microseconds");
            }
            config.SpinMicros = spinMicros;
            return config;
        }

        /// <summary><c>FERRITE_LOG_LEVEL</c>'s values; anything else is info.</summary>
        public static LogLevel ParseLevel(string text)
        {
            switch ((text ?? "").Trim().ToLowerInvariant())
            {
                case "debug":
                    return LogLevel.Debug;
                case "warn":
                case "warning":
                    return LogLevel.Warn;
                case "error":
                    return LogLevel.Error;
                default:
                    return LogLevel.Info;
            }
        }
    }
}
