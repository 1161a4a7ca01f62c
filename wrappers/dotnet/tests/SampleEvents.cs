using System;
using System.Collections.Generic;
using System.Globalization;

namespace Ferrite.Wrapper.Tests
{
    /// <summary>Event fields as the processor sends them, for the tests and benchmarks/CodecBench.cs.</summary>
    public static class SampleEvents
    {
        /// <summary>The event of wrk's GET of <c>/</c>, the benchmark's small event.</summary>
        public static Dictionary<string, object> WrkGet()
        {
            return new Dictionary<string, object>
            {
                { "id", 42L },
                { "trigger", new Dictionary<string, object> { { "kind", "http" }, { "name", "http" } } },
                { "method", "GET" },
                { "path", "/" },
                { "url", "/" },
                { "query", new Dictionary<string, object>() },
                { "headers", new Dictionary<string, object> { { "host", "127.0.0.1:8080" } } },
                { "content_type", "" },
                { "body", new byte[0] },
                { "timestamp", 1764000000000L },
                { "deadline", 1764000030000L },
            };
        }

        /// <summary>
        /// A POST of <paramref name="body"/> to <c>/echo</c>, with the headers a client sends
        /// and the body last, where the processor writes it in a json line.
        /// </summary>
        public static Dictionary<string, object> Echo(byte[] body)
        {
            var fields = new Dictionary<string, object>();
            foreach (var entry in WrkGet())
            {
                if (entry.Key != "body")
                {
                    fields.Add(entry.Key, entry.Value);
                }
            }
            fields["trigger"] = new Dictionary<string, object> { { "kind", "http" }, { "name", "echo" } };
            fields["method"] = "POST";
            fields["path"] = "/echo";
            fields["url"] = "http://127.0.0.1:8080/echo";
            fields["headers"] = new Dictionary<string, object>
            {
                { "content-length", body.Length.ToString(CultureInfo.InvariantCulture) },
                { "content-type", "application/octet-stream" },
                { "host", "127.0.0.1:8080" },
            };
            fields["content_type"] = "application/octet-stream";
            fields["body"] = body;
            return fields;
        }

        /// <summary>Random bodies of the lengths where base64's padding and a codec's size forms change.</summary>
        public static IEnumerable<byte[]> Bodies(int seed)
        {
            var random = new Random(seed);
            foreach (var length in new[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 61, 62, 63, 64, 65, 100000 })
            {
                var body = new byte[length];
                random.NextBytes(body);
                yield return body;
            }
        }
    }
}
