using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Ferrite.Sdk
{
    /// <summary>
    /// JSON as plain objects, with Newtonsoft.Json underneath: a handler's body and return
    /// values need no JSON library of their own.
    /// </summary>
    public static class Json
    {
        private static readonly JsonSerializerSettings Settings = new JsonSerializerSettings
        {
            DateParseHandling = DateParseHandling.None,
            FloatParseHandling = FloatParseHandling.Double,
        };

        /// <summary>
        /// UTF-8 JSON to <c>Dictionary&lt;string, object&gt;</c>, <c>List&lt;object&gt;</c>,
        /// <c>long</c> (or <c>System.Numerics.BigInteger</c>), <c>double</c>, <c>string</c>,
        /// <c>bool</c> or null. Throws <see cref="FormatException"/> on bad JSON.
        /// </summary>
        public static object Parse(byte[] utf8)
        {
            return Parse(Encoding.UTF8.GetString(utf8));
        }

        public static object Parse(string text)
        {
            try
            {
                using (var reader = new JsonTextReader(new StringReader(text)))
                {
                    reader.DateParseHandling = DateParseHandling.None;
                    reader.FloatParseHandling = FloatParseHandling.Double;
                    var token = JToken.ReadFrom(reader);
                    while (reader.Read())
                    {
                        if (reader.TokenType != JsonToken.Comment)
                        {
                            throw new FormatException("invalid JSON: text after the value");
                        }
                    }
                    return ToPlain(token);
                }
            }
            catch (JsonException e)
            {
                throw new FormatException("invalid JSON: " + e.Message, e);
            }
        }

        /// <summary>Any value (dictionaries, lists, plain objects) as compact JSON text.</summary>
        public static string Serialize(object value)
        {
            return JsonConvert.SerializeObject(value, Formatting.None, Settings);
        }

        /// <summary>A parsed token as plain .NET objects.</summary>
        public static object ToPlain(JToken token)
        {
            switch (token.Type)
            {
                case JTokenType.Object:
                    var map = new Dictionary<string, object>();
                    foreach (var property in ((JObject)token).Properties())
                    {
                        map[property.Name] = ToPlain(property.Value);
                    }
                    return map;
                case JTokenType.Array:
                    var list = new List<object>();
                    foreach (var item in (JArray)token)
                    {
                        list.Add(ToPlain(item));
                    }
                    return list;
                case JTokenType.Null:
                case JTokenType.Undefined:
                    return null;
                default:
                    return ((JValue)token).Value;
            }
        }
    }
}
