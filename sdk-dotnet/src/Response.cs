using System.Collections.Generic;

namespace Ferrite.Sdk
{
    /// <summary>
    /// A full response, as nuclio's .NET <c>Response</c>: status, headers, content type and a
    /// body that is text (sent as UTF-8), bytes, or anything else (sent as JSON).
    /// </summary>
    public class Response
    {
        public Response()
        {
            StatusCode = 200;
            ContentType = "";
            Headers = new Dictionary<string, object>();
        }

        public Response(int statusCode, object body)
            : this()
        {
            StatusCode = statusCode;
            Body = body;
        }

        public int StatusCode { get; set; }

        /// <summary>Empty: chosen from the body (text/plain, application/octet-stream, application/json).</summary>
        public string ContentType { get; set; }

        /// <summary>Header values are sent as text (<c>ToString()</c>).</summary>
        public Dictionary<string, object> Headers { get; set; }

        public object Body { get; set; }
    }
}
