using System;
using System.Collections.Generic;
using System.Text;
using Ferrite.Sdk;
using NUnit.Framework;

namespace Ferrite.Sdk.Tests
{
    [TestFixture]
    public class WireResponseTest
    {
        [Test]
        public void TextIsPlainUtf8()
        {
            var response = WireResponse.From("héllo");
            Assert.AreEqual(200, response.Status);
            Assert.AreEqual("text/plain; charset=utf-8", response.ContentType);
            Assert.AreEqual("héllo", Encoding.UTF8.GetString(response.Body));
        }

        [Test]
        public void BytesAreOctetStream()
        {
            var response = WireResponse.From(new byte[] { 1, 2 });
            Assert.AreEqual("application/octet-stream", response.ContentType);
            CollectionAssert.AreEqual(new byte[] { 1, 2 }, response.Body);
        }

        [Test]
        public void DictionariesAndListsAreJson()
        {
            var map = WireResponse.From(new Dictionary<string, object> { { "a", 1 }, { "b", new List<object> { true, null } } });
            Assert.AreEqual("application/json", map.ContentType);
            Assert.AreEqual("{\"a\":1,\"b\":[true,null]}", Encoding.UTF8.GetString(map.Body));
            Assert.AreEqual("[1,2]", Encoding.UTF8.GetString(WireResponse.From(new List<int> { 1, 2 }).Body));
        }

        [Test]
        public void NullIsAnEmpty200()
        {
            var response = WireResponse.From(null);
            Assert.AreEqual(200, response.Status);
            Assert.AreEqual(0, response.Body.Length);
            Assert.AreEqual("", response.ContentType);
        }

        [Test]
        public void StatusPairsSetTheStatus()
        {
            Assert.AreEqual(202, WireResponse.From((202, "accepted")).Status);
            Assert.AreEqual(203, WireResponse.From(Tuple.Create(203, "x")).Status);
            var pair = WireResponse.From(new KeyValuePair<int, object>(404, new byte[] { 9 }));
            Assert.AreEqual(404, pair.Status);
            Assert.AreEqual("application/octet-stream", pair.ContentType);
        }

        [Test]
        public void ResponsesKeepStatusHeadersAndContentType()
        {
            var response = WireResponse.From(new Response
            {
                StatusCode = 201,
                Headers = new Dictionary<string, object> { { "X-Count", 3 } },
                ContentType = "text/x-ferrite",
                Body = "created",
            });
            Assert.AreEqual(201, response.Status);
            Assert.AreEqual("3", response.Headers["X-Count"]);
            Assert.AreEqual("text/x-ferrite", response.ContentType);
            Assert.AreEqual("created", Encoding.UTF8.GetString(response.Body));
            Assert.AreEqual("application/json", WireResponse.From(new Response { Body = new List<object>() }).ContentType);
        }

        [Test]
        public void OtherValuesAreTheirText()
        {
            Assert.AreEqual("1.5", Encoding.UTF8.GetString(WireResponse.From(1.5).Body));
        }
    }

    [TestFixture]
    public class EventTest
    {
        [Test]
        public void HeadersAreCaseInsensitive()
        {
            var ev = new Event { Headers = new Dictionary<string, string> { { "x-custom", "v" } } };
            Assert.AreEqual("v", ev.GetHeader("X-CUSTOM"));
            Assert.AreEqual("v", ev.Headers["X-Custom"]);
            Assert.IsNull(ev.GetHeader("missing"));
        }

        [Test]
        public void JsonBodiesDecodeToPlainObjects()
        {
            var ev = new Event { ContentType = "application/json; charset=utf-8", Body = Encoding.UTF8.GetBytes("{\"a\": 41, \"tags\": [\"x\"], \"when\": \"2024-01-01T00:00:00Z\"}") };
            var body = (Dictionary<string, object>)ev.GetBodyObject();
            Assert.AreEqual(41L, body["a"]);
            CollectionAssert.AreEqual(new List<object> { "x" }, (List<object>)body["tags"]);
            Assert.AreEqual("2024-01-01T00:00:00Z", body["when"]);
        }

        [Test]
        public void OtherBodiesStayBytes()
        {
            var ev = new Event { ContentType = "text/plain", Body = Encoding.UTF8.GetBytes("żółw") };
            Assert.AreEqual(ev.Body, ev.GetBodyObject());
            Assert.AreEqual("żółw", ev.GetBody());
            Assert.AreEqual(0, new Event().Body.Length);
        }

        [Test]
        public void BadJsonIsAFormatException()
        {
            Assert.Throws<FormatException>(() => Json.Parse("{\"a\":"));
            Assert.Throws<FormatException>(() => Json.Parse("1 2"));
            foreach (var bad in new[] { "", "  ", "[1,", "[1", "{\"a\":1", "{\"a\"", "{\"a\":[{}", "{\"a\" 1}", "[1 2]", "nul" })
            {
                Assert.Throws<FormatException>(() => Json.Parse(bad), bad);
            }
        }

        [Test]
        public void JsonReadsEveryKindOfValue()
        {
            var value = (Dictionary<string, object>)Json.Parse(
                "{\"i\": -7, \"big\": 123456789012345678901234, \"f\": 1.5, \"s\": \"\\u00e9\", \"t\": true, "
                + "\"n\": null, \"a\": [1, [2], {}], \"o\": {\"k\": \"v\"}, \"d\": \"2024-01-01T00:00:00Z\"}");
            Assert.AreEqual(-7L, value["i"]);
            Assert.AreEqual("BigInteger", value["big"].GetType().Name);
            Assert.AreEqual("123456789012345678901234", value["big"].ToString());
            Assert.AreEqual(1.5, value["f"]);
            Assert.AreEqual("\u00e9", value["s"]);
            Assert.AreEqual(true, value["t"]);
            Assert.IsNull(value["n"]);
            var list = (List<object>)value["a"];
            Assert.AreEqual(1L, list[0]);
            CollectionAssert.AreEqual(new List<object> { 2L }, (List<object>)list[1]);
            Assert.AreEqual(0, ((Dictionary<string, object>)list[2]).Count);
            Assert.AreEqual("v", ((Dictionary<string, object>)value["o"])["k"]);
            Assert.AreEqual("2024-01-01T00:00:00Z", value["d"]);
            Assert.AreEqual(9, value.Count);
            Assert.AreEqual("x", Json.Parse(" \"x\" "));
            Assert.IsNull(Json.Parse("null"));
        }

        [Test]
        public void JsonKeepsTheLastOfARepeatedKeyAndSkipsComments()
        {
            var value = (Dictionary<string, object>)Json.Parse("{\"a\": 1, \"a\": 2}");
            Assert.AreEqual(2L, value["a"]);
            value = (Dictionary<string, object>)Json.Parse("/*x*/{/*x*/\"a\":/*x*/[1,/*x*/2]/*x*/}/*x*/");
            CollectionAssert.AreEqual(new List<object> { 1L, 2L }, (List<object>)value["a"]);
        }

        [Test]
        public void JsonNestedPastTheLimitIsAFormatExceptionNotACrash()
        {
            Func<int, string> nested = depth => new string('[', depth) + new string(']', depth);
            Assert.IsInstanceOf<List<object>>(Json.Parse(nested(Json.MaxDepth)));
            Assert.Throws<FormatException>(() => Json.Parse(nested(Json.MaxDepth + 1)));
            Assert.Throws<FormatException>(() => Json.Parse(nested(100000)));
        }
    }

    [TestFixture]
    public class LoggerTest
    {
        private readonly List<string> lines = new List<string>();

        private Logger NewLogger(LogLevel minimum)
        {
            lines.Clear();
            return new Logger(minimum, (level, message, fields) =>
                lines.Add(level.ToString().ToLowerInvariant() + " " + message + (fields == null ? "" : " " + Json.Serialize(fields))));
        }

        [Test]
        public void PlainAndStructuredFormsAtEveryLevel()
        {
            var logger = NewLogger(LogLevel.Debug);
            logger.Debug("d");
            logger.Info("i");
            logger.Warning("w");
            logger.Error("e");
            logger.InfoWith("s", "answer", 42, "who", "dotnet");
            logger.ErrorWith("m", new Dictionary<string, object> { { "k", true } });
            CollectionAssert.AreEqual(
                new[] { "debug d", "info i", "warn w", "error e", "info s {\"answer\":42,\"who\":\"dotnet\"}", "error m {\"k\":true}" },
                lines);
        }

        [Test]
        public void LinesBelowTheLevelAreDropped()
        {
            var logger = NewLogger(LogLevel.Warn);
            logger.Info("no");
            logger.DebugWith("no", "a", 1);
            logger.Warn("yes");
            CollectionAssert.AreEqual(new[] { "warn yes" }, lines);
        }

        [Test]
        public void AnOddValueOutIsKept()
        {
            Assert.AreEqual("{\"a\":1,\"_extra\":\"b\"}", Json.Serialize(Logger.Fields(new object[] { "a", 1, "b" })));
        }
    }

    [TestFixture]
    public class ContextTest
    {
        [Test]
        public void KeepsUserDataAndIdentity()
        {
            var context = new Context(new Logger(LogLevel.Info, (l, m, f) => { }), 3, "hello");
            context.UserData["greeting"] = "Hello";
            Assert.AreEqual(3, context.WorkerId);
            Assert.AreEqual("hello", context.Name);
            Assert.AreEqual("Hello", context.UserData["greeting"]);
        }
    }
}
