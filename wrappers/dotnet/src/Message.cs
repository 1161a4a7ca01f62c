using System.Collections.Generic;
using Ferrite.Sdk;

namespace Ferrite.Wrapper
{
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
}
