using System;
using Ferrite.Sdk;

namespace Ferrite.Wrapper
{
    /// <summary>The wire protocol's constants (schemas/PROTOCOL.md).</summary>
    public static class Protocol
    {
        public const int Version = 1;

        public const byte Hello = 1;
        public const byte Ready = 2;
        public const byte InitError = 3;
        public const byte Event = 4;
        public const byte Response = 5;
        public const byte Log = 6;
        public const byte Metric = 7;
        public const byte Ping = 8;
        public const byte Pong = 9;
        public const byte Shutdown = 10;

        /// <summary>The largest frame either side may send: 256 MiB.</summary>
        public const int MaxFrame = 256 * 1024 * 1024;

        private static readonly string[] Names =
        {
            null, "hello", "ready", "init_error", "event", "response", "log", "metric", "ping", "pong", "shutdown",
        };

        public static string Name(int kind)
        {
            return kind > 0 && kind < Names.Length ? Names[kind] : "unknown kind " + kind;
        }

        /// <summary>A log message's <c>level</c>: debug, info, warn, error.</summary>
        public static string LevelName(LogLevel level)
        {
            switch (level)
            {
                case LogLevel.Debug:
                    return "debug";
                case LogLevel.Warn:
                    return "warn";
                case LogLevel.Error:
                    return "error";
                default:
                    return "info";
            }
        }

        /// <summary>The kind named <paramref name="name"/> (json's <c>"kind"</c>), or 0.</summary>
        public static byte Kind(string name)
        {
            for (int i = 1; i < Names.Length; i++)
            {
                if (Names[i] == name)
                {
                    return (byte)i;
                }
            }
            return 0;
        }
    }

    /// <summary>A frame that breaks the protocol: the connection cannot be trusted after it.</summary>
    public class ProtocolException : Exception
    {
        public ProtocolException(string message)
            : base(message)
        {
        }

        public ProtocolException(string message, Exception inner)
            : base(message, inner)
        {
        }
    }
}
