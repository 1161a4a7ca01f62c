using System;
using System.Collections.Generic;
using System.Text;

namespace Ferrite.Sdk
{
    /// <summary>What fired the event: <c>Kind</c> (<c>http</c>) and the trigger's name in the spec.</summary>
    public class TriggerInfo
    {
        public TriggerInfo(string kind, string name)
        {
            Kind = kind ?? "";
            Name = name ?? "";
        }

        public string Kind { get; private set; }
        public string Name { get; private set; }
    }

    /// <summary>One request, as nuclio's .NET <c>Event</c> has it.</summary>
    public class Event
    {
        private static readonly IDictionary<string, string> NoEntries = new Dictionary<string, string>();
        private object decoded;
        private bool isDecoded;

        public Event()
        {
            Trigger = new TriggerInfo("", "");
            Method = "";
            Path = "";
            Url = "";
            ContentType = "";
            Body = new byte[0];
            Fields = NoEntries;
            // The field, not the property: its setter would copy this into one more new map.
            headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        }

        /// <summary>Unique within the processor's life.</summary>
        public long Id { get; set; }

        /// <summary>nuclio's name: the id as text.</summary>
        public string ID { get { return Id.ToString(); } }

        public TriggerInfo Trigger { get; set; }
        public string Method { get; set; }
        /// <summary>The URL's path, e.g. <c>/a/b</c>.</summary>
        public string Path { get; set; }
        /// <summary>Path plus query, as requested.</summary>
        public string Url { get; set; }
        /// <summary>Query parameters, percent-decoded.</summary>
        public IDictionary<string, string> Fields { get; set; }

        private IDictionary<string, string> headers;

        /// <summary>Request headers, looked up case-insensitively.</summary>
        public IDictionary<string, string> Headers
        {
            get { return headers; }
            set
            {
                headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                if (value != null)
                {
                    foreach (var entry in value)
                    {
                        headers[entry.Key] = entry.Value;
                    }
                }
            }
        }

        public string ContentType { get; set; }

        private byte[] body;

        /// <summary>The raw body, never null.</summary>
        public byte[] Body
        {
            get { return body; }
            set
            {
                body = value ?? new byte[0];
                isDecoded = false;
            }
        }

        /// <summary>When the trigger received the event.</summary>
        public DateTime Timestamp { get; set; }

        /// <summary>When the processor gives up on the event; null for never.</summary>
        public DateTime? Deadline { get; set; }

        /// <summary>The body as UTF-8 text (nuclio's <c>GetBody()</c>).</summary>
        public string GetBody()
        {
            return Encoding.UTF8.GetString(Body);
        }

        /// <summary>
        /// The body decoded: for <c>application/json</c>, the JSON value as plain objects
        /// (<c>Dictionary&lt;string, object&gt;</c>, <c>List&lt;object&gt;</c>, <c>long</c>,
        /// <c>double</c>, <c>string</c>, <c>bool</c>, null); otherwise the bytes.
        /// </summary>
        public object GetBodyObject()
        {
            if (!isDecoded)
            {
                decoded = IsJson(ContentType) && Body.Length > 0 ? Json.Parse(Body) : (object)Body;
                isDecoded = true;
            }
            return decoded;
        }

        /// <summary>A header by name, any case; null when absent.</summary>
        public string GetHeader(string name)
        {
            string value;
            return name != null && Headers.TryGetValue(name, out value) ? value : null;
        }

        /// <summary>A query parameter; null when absent.</summary>
        public string GetField(string name)
        {
            string value;
            return name != null && Fields.TryGetValue(name, out value) ? value : null;
        }

        private static bool IsJson(string contentType)
        {
            var type = (contentType ?? "").Split(';')[0].Trim();
            return type.Equals("application/json", StringComparison.OrdinalIgnoreCase);
        }
    }
}
