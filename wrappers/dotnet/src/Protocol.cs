using System;
using System.Collections.Generic;
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

    /// <summary>
    /// One message: its kind and its fields. An event or a handler's response may carry its
    /// fields typed instead, as the handler sees them: msgpack reads events and writes
    /// responses that way, without a dictionary of text keys in between.
    /// </summary>
    public sealed class Message
    {
        private IDictionary<string, object> payload;

        public Message(byte kind, IDictionary<string, object> payload)
        {
            Kind = kind;
            this.payload = payload ?? new Dictionary<string, object>();
        }

        /// <summary>An event read straight into the handler's type; its <see cref="Payload"/> is empty.</summary>
        public Message(Event ev)
        {
            Kind = Protocol.Event;
            Event = ev;
        }

        /// <summary>The handler's answer to event <paramref name="id"/>.</summary>
        public Message(long id, WireResponse response)
        {
            Kind = Protocol.Response;
            Id = id;
            Response = response;
        }

        public byte Kind { get; private set; }

        /// <summary>The fields; a typed response's are made on first use (the json codec writes them).</summary>
        public IDictionary<string, object> Payload
        {
            get
            {
                if (payload == null)
                {
                    payload = Response == null ? new Dictionary<string, object>() : new Dictionary<string, object>
                    {
                        { "id", Id },
                        { "status", Response.Status },
                        { "headers", Response.Headers },
                        { "content_type", Response.ContentType },
                        { "body", Response.Body },
                    };
                }
                return payload;
            }
        }

        /// <summary>A typed event, else null.</summary>
        public Event Event { get; private set; }

        /// <summary>The id of the event a typed response answers.</summary>
        public long Id { get; private set; }

        /// <summary>A typed response, else null.</summary>
        public WireResponse Response { get; private set; }
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

    /// <summary>
    /// A codec: framing and payload encoding together, pure (never touches a socket).
    /// </summary>
    public interface ICodec
    {
        /// <summary>
        /// Takes the first complete frame of <c>buffer[start..end)</c>: the bytes it used, or 0
        /// (and <paramref name="message"/> null) when the frame is not complete yet.
        /// <paramref name="needed"/> is then how many bytes from <c>start</c> the frame needs,
        /// when known, else 0. Throws <see cref="ProtocolException"/> on a bad frame.
        /// </summary>
        int TryDecode(byte[] buffer, int start, int end, out Message message, out int needed);

        /// <summary>
        /// Appends one whole frame to <paramref name="output"/>. Throws
        /// <see cref="ProtocolException"/> if it would be too large, leaving part of it written.
        /// </summary>
        void Encode(Message message, FrameWriter output);
    }
}
