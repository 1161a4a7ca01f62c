using System;
using System.Collections;
using System.Collections.Generic;
using System.Reflection;
using System.Text;

namespace Ferrite.Sdk
{
    /// <summary>
    /// A handler's return value as the response ferrite sends for it (status, headers as
    /// text, content type, body bytes), with the same rules as every ferrite runtime:
    /// <see cref="Response"/> as given; text as text/plain; bytes as
    /// application/octet-stream; dictionaries and lists as application/json; a
    /// <c>(status, body)</c> pair (<c>ValueTuple</c>, <c>Tuple</c> or <c>KeyValuePair</c> whose
    /// first item is an <c>int</c>) sets the status; null is 200 with an empty body; anything
    /// else is its <c>ToString()</c> as text. The wrapper puts it on the wire; a handler's
    /// test can call <see cref="From"/> to see what would be sent.
    /// </summary>
    public sealed class WireResponse
    {
        private static readonly byte[] Empty = new byte[0];

        private WireResponse(int status, IDictionary<string, string> headers, string contentType, byte[] body)
        {
            Status = status;
            Headers = headers;
            ContentType = contentType;
            Body = body;
        }

        public int Status { get; private set; }
        public IDictionary<string, string> Headers { get; private set; }
        public string ContentType { get; private set; }
        public byte[] Body { get; private set; }

        public static WireResponse From(object value)
        {
            var response = value as Response;
            if (response != null)
            {
                string contentType;
                var body = Encode(response.Body, out contentType);
                var headers = new Dictionary<string, string>();
                if (response.Headers != null)
                {
                    foreach (var entry in response.Headers)
                    {
                        headers[entry.Key] = entry.Value == null ? "" : entry.Value.ToString();
                    }
                }
                var given = response.ContentType;
                return new WireResponse(
                    response.StatusCode,
                    headers,
                    string.IsNullOrEmpty(given) ? contentType : given,
                    body);
            }
            int status;
            object pairBody;
            if (IsStatusPair(value, out status, out pairBody))
            {
                string contentType;
                var body = Encode(pairBody, out contentType);
                return new WireResponse(status, new Dictionary<string, string>(), contentType, body);
            }
            {
                string contentType;
                var body = Encode(value, out contentType);
                return new WireResponse(200, new Dictionary<string, string>(), contentType, body);
            }
        }

        /// <summary>A body's bytes and the content type they imply.</summary>
        private static byte[] Encode(object body, out string contentType)
        {
            if (body == null)
            {
                contentType = "";
                return Empty;
            }
            var text = body as string;
            if (text != null)
            {
                contentType = "text/plain; charset=utf-8";
                return Encoding.UTF8.GetBytes(text);
            }
            var bytes = body as byte[];
            if (bytes != null)
            {
                contentType = "application/octet-stream";
                return bytes;
            }
            if (body is IDictionary || body is IList || IsGenericDictionary(body.GetType()))
            {
                contentType = "application/json";
                return Encoding.UTF8.GetBytes(Json.Serialize(body));
            }
            contentType = "text/plain; charset=utf-8";
            return Encoding.UTF8.GetBytes(Convert.ToString(body, System.Globalization.CultureInfo.InvariantCulture));
        }

        private static bool IsGenericDictionary(Type type)
        {
            foreach (var face in type.GetInterfaces())
            {
                if (face.IsGenericType && face.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>))
                {
                    return true;
                }
            }
            return false;
        }

        private static bool IsStatusPair(object value, out int status, out object body)
        {
            status = 0;
            body = null;
            if (value == null)
            {
                return false;
            }
            var type = value.GetType();
            if (!type.IsGenericType || type.GetGenericArguments().Length != 2 || type.GetGenericArguments()[0] != typeof(int))
            {
                return false;
            }
            var definition = type.GetGenericTypeDefinition();
            if (definition == typeof(ValueTuple<,>))
            {
                status = (int)type.GetField("Item1").GetValue(value);
                body = type.GetField("Item2").GetValue(value);
                return true;
            }
            if (definition == typeof(Tuple<,>))
            {
                status = (int)type.GetProperty("Item1").GetValue(value, null);
                body = type.GetProperty("Item2").GetValue(value, null);
                return true;
            }
            if (definition == typeof(KeyValuePair<,>))
            {
                status = (int)type.GetProperty("Key").GetValue(value, null);
                body = type.GetProperty("Value").GetValue(value, null);
                return true;
            }
            return false;
        }
    }
}
