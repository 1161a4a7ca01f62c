using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading;
using Ferrite.Sdk;

namespace Conformance
{
    /// <summary>
    /// The conformance function for the .NET runtime: one handler, one route per case. Written
    /// as a nuclio .NET handler is, with ferrite's <c>using</c>.
    /// </summary>
    public class Handler
    {
        private int initCalls;
        private int events;

        public void InitContext(Context context)
        {
            initCalls++;
        }

        public object Handle(Context context, Event ev)
        {
            events++;
            switch (ev.Path)
            {
                case "/return-text":
                    return "hello, world";
                case "/return-bytes":
                    return new byte[] { 0x00, 0x01, 0xfe, 0xff };
                case "/return-json":
                    return new Dictionary<string, object>
                    {
                        { "name", "ferrite" },
                        { "count", 3 },
                        { "nested", new Dictionary<string, object> { { "ok", true } } },
                        { "list", new List<object> { 1, "two" } },
                    };
                case "/return-response":
                    return new Response
                    {
                        StatusCode = 201,
                        Headers = new Dictionary<string, object> { { "X-Ferrite-Case", "return-response" } },
                        ContentType = "text/x-ferrite",
                        Body = "created",
                    };
                case "/return-status-pair":
                    return (202, "accepted");
                case "/return-nothing":
                    return null;
                case "/echo":
                    return new Response { ContentType = "application/octet-stream", Body = ev.Body };
                case "/metadata":
                    return Metadata(ev);
                case "/json-body":
                    var body = (IDictionary<string, object>)ev.GetBodyObject();
                    return new Dictionary<string, object>
                    {
                        { "a_plus_one", Convert.ToInt64(body["a"]) + 1 },
                        { "tags", body["tags"] },
                    };
                case "/non-ascii":
                    return "héllo wörld ✓ 日本 | " + ev.GetBody();
                case "/raise":
                    throw new InvalidOperationException("conformance boom");
                case "/log":
                    var logger = context.Logger;
                    logger.Debug("conformance-debug");
                    logger.Info("conformance-info");
                    logger.Warn("conformance-warn");
                    logger.Error("conformance-error");
                    logger.InfoWith("conformance-structured", "answer", 42, "who", "dotnet");
                    return "logged";
                case "/env":
                    return Environment.GetEnvironmentVariable(ev.GetField("name") ?? "") ?? "";
                case "/state":
                    return new Dictionary<string, object>
                    {
                        { "worker", context.WorkerId },
                        { "init_calls", initCalls },
                        { "events", events },
                    };
                case "/noise":
                    Console.WriteLine("conformance-stdout-noise \u0000\u0000\u0000\u0005 {\"kind\":\"response\"}");
                    Console.Error.WriteLine("conformance-stderr-noise");
                    return "quiet";
                case "/exit":
                    Environment.Exit(3);
                    return null;
                case "/sleep":
                    double seconds = double.Parse(ev.GetField("seconds"), CultureInfo.InvariantCulture);
                    Thread.Sleep(TimeSpan.FromSeconds(seconds));
                    return new Dictionary<string, object> { { "worker", context.WorkerId }, { "slept", seconds } };
                default:
                    return new Response { StatusCode = 404, Body = "no case at " + ev.Path };
            }
        }

        private static Dictionary<string, object> Metadata(Event ev)
        {
            return new Dictionary<string, object>
            {
                { "method", ev.Method },
                { "path", ev.Path },
                { "url", ev.Url },
                { "query", ev.Fields },
                { "custom_header", ev.GetHeader("x-CUSTOM-header") },
                { "content_type", ev.ContentType },
                { "trigger_kind", ev.Trigger.Kind },
                { "body", Encoding.UTF8.GetString(ev.Body) },
                { "has_id", ev.ID.Length > 0 },
            };
        }
    }
}
