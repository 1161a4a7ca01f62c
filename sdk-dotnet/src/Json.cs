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
                    reader.MaxDepth = MaxDepth;
                    if (!Next(reader))
                    {
                        throw new FormatException("invalid JSON: no value");
                    }
                    var value = ReadValue(reader);
                    if (Next(reader))
                    {
                        throw new FormatException("invalid JSON: text after the value");
                    }
                    return value;
                }
            }
            catch (JsonException e)
            {
                throw new FormatException("invalid JSON: " + e.Message, e);
            }
        }

        /// <summary>The deepest nesting <see cref="Parse(string)"/> reads, so that no input can exhaust the stack.</summary>
        public const int MaxDepth = 512;

        /// <summary>
        /// The value whose first token the reader is on, read straight into plain objects.
        /// Building a <c>JToken</c> tree first and copying it took three times as long (a
        /// protocol event on Mono: ~19 µs against ~6.5). A repeated key keeps its last value,
        /// as <c>JObject</c> does in current Newtonsoft.Json; comments are skipped.
        /// </summary>
        private static object ReadValue(JsonTextReader reader)
        {
            switch (reader.TokenType)
            {
                case JsonToken.StartObject:
                    var map = new Dictionary<string, object>();
                    while (Within(reader, JsonToken.EndObject))
                    {
                        var name = (string)reader.Value;
                        NextInside(reader);
                        map[name] = ReadValue(reader);
                    }
                    return map;
                case JsonToken.StartArray:
                    var list = new List<object>();
                    while (Within(reader, JsonToken.EndArray))
                    {
                        list.Add(ReadValue(reader));
                    }
                    return list;
                case JsonToken.Null:
                case JsonToken.Undefined:
                    return null;
                default:
                    return reader.Value;
            }
        }

        /// <summary>Moves to the next token of a container; false at its end token.</summary>
        private static bool Within(JsonTextReader reader, JsonToken end)
        {
            NextInside(reader);
            return reader.TokenType != end;
        }

        /// <summary>Moves to the next token inside a container, which the text must still hold.</summary>
        private static void NextInside(JsonTextReader reader)
        {
            if (!Next(reader))
            {
                throw new FormatException("invalid JSON: the text ends inside an object or array");
            }
        }

        /// <summary>Moves to the next token that is not a comment; false at the end of the text.</summary>
        private static bool Next(JsonTextReader reader)
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonToken.Comment)
                {
                    return true;
                }
            }
            return false;
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
