using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Threading.Tasks;
using Ferrite.Sdk;

namespace Ferrite.Wrapper
{
    /// <summary>
    /// One wrapper's conversation with the processor, in the shape every ferrite wrapper has:
    /// connect, hello, load handler, init, ready, loop (event, response, log).
    ///
    /// Events run one at a time, in the order they are read, each response written before
    /// the next event starts (PROTOCOL.md section 5): a nuclio handler object need not be
    /// thread-safe, and the processor blames a crash or an overrun on the oldest unanswered event.
    /// </summary>
    public sealed class Worker
    {
        private readonly Connection conn;
        private readonly Config config;
        private readonly IList<Assembly> assemblies;
        private readonly Context context;

        /// <summary>The event being handled, so log lines carry its id; -1 between events.</summary>
        private long running = -1;

        private Func<Context, Event, object> handler;
        private Action<Context> initContext;

        public Worker(Connection conn, Config config, IList<Assembly> assemblies)
        {
            this.conn = conn;
            this.config = config;
            this.assemblies = assemblies;
            var logger = new Logger(config.LogLevel, (level, message, fields) => Log(level, message, fields, running));
            context = new Context(logger, config.WorkerId, config.FunctionName);
        }

        public Context Context
        {
            get { return context; }
        }

        /// <summary>The whole conversation; the process's exit status.</summary>
        public int Run()
        {
            Hello();
            try
            {
                LoadHandler();
                Init();
            }
            catch (Exception e)
            {
                InitError(Unwrap(e));
                return 1;
            }
            Ready();
            return Loop();
        }

        /// <summary>Introduces the wrapper, before any user code can fail.</summary>
        public void Hello()
        {
            conn.Send(new Message(Protocol.Hello, new Dictionary<string, object>
            {
                { "protocol", Protocol.Version },
                { "token", config.Token },
                { "runtime", "dotnet" },
                { "runtime_version", RuntimeVersion() },
                { "pid", Process.GetCurrentProcess().Id },
                { "concurrency", 1 },
            }));
        }

        /// <summary>Mono's version (<c>6.8.0.105 (Debian ...)</c>), else the .NET runtime's.</summary>
        private static string RuntimeVersion()
        {
            var mono = Type.GetType("Mono.Runtime");
            if (mono != null)
            {
                var name = mono.GetMethod("GetDisplayName", BindingFlags.NonPublic | BindingFlags.Static);
                if (name != null)
                {
                    return "mono " + name.Invoke(null, null);
                }
            }
            return Environment.Version.ToString();
        }

        /// <summary>
        /// Finds the method <c>FERRITE_HANDLER</c> names (<c>Namespace.Class</c>, whose method
        /// is <c>Handle</c>, or <c>Namespace.Class:Method</c>) and the optional
        /// <c>InitContext(Context)</c> beside it; makes the one instance they need.
        /// </summary>
        public void LoadHandler()
        {
            var spec = config.Handler;
            if (spec.Length == 0)
            {
                throw new ArgumentException("FERRITE_HANDLER is empty: spec.handler must name a class, e.g. Example.Hello or Example.Hello:Handle");
            }
            int colon = spec.LastIndexOf(':');
            var className = colon < 0 ? spec : spec.Substring(0, colon);
            var methodName = colon < 0 ? "Handle" : spec.Substring(colon + 1);
            var type = FindType(className);
            if (type == null)
            {
                throw new TypeLoadException("handler class " + className + " is not in the function's assemblies");
            }
            var method = type.GetMethod(
                methodName,
                BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static,
                null,
                new[] { typeof(Context), typeof(Event) },
                null);
            if (method == null)
            {
                var hint = type.GetMethod(methodName) != null
                    ? " (it has a " + methodName + " with other parameters; nuclio's Nuclio.Sdk types become Ferrite.Sdk's: change `using Nuclio.Sdk;` to `using Ferrite.Sdk;`)"
                    : "";
                throw new MissingMethodException(
                    "handler class " + className + " has no public method " + methodName + "(Context, Event)" + hint);
            }
            var init = type.GetMethod(
                "InitContext",
                BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static,
                null,
                new[] { typeof(Context) },
                null);
            object target = null;
            if (!method.IsStatic || (init != null && !init.IsStatic))
            {
                if (type.IsAbstract || type.GetConstructor(Type.EmptyTypes) == null)
                {
                    throw new MissingMethodException("handler class " + className + " needs a public constructor without parameters (or make " + methodName + " static)");
                }
                target = Activator.CreateInstance(type);
            }
            handler = Bind(method, method.IsStatic ? null : target);
            if (init != null)
            {
                var initTarget = init.IsStatic ? null : target;
                initContext = ctx => Call(init, initTarget, new object[] { ctx });
            }
        }

        private Type FindType(string name)
        {
            foreach (var assembly in assemblies)
            {
                var type = assembly.GetType(name, false);
                if (type != null)
                {
                    return type;
                }
            }
            return Type.GetType(name, false);
        }

        /// <summary>
        /// A delegate for the handler: a direct one where the signature allows (a reference
        /// return type), else a reflective call. A <c>Task</c> it returns is waited for.
        /// </summary>
        private static Func<Context, Event, object> Bind(MethodInfo method, object target)
        {
            Func<Context, Event, object> call;
            if (!method.ReturnType.IsValueType && method.ReturnType != typeof(void))
            {
                call = (Func<Context, Event, object>)Delegate.CreateDelegate(typeof(Func<Context, Event, object>), target, method);
            }
            else
            {
                call = (ctx, ev) => Call(method, target, new object[] { ctx, ev });
            }
            if (!typeof(Task).IsAssignableFrom(method.ReturnType) && method.ReturnType != typeof(object))
            {
                return call;
            }
            return (ctx, ev) => Await(call(ctx, ev));
        }

        private static object Await(object value)
        {
            var task = value as Task;
            if (task == null)
            {
                return value;
            }
            task.GetAwaiter().GetResult();
            var type = task.GetType();
            if (type.IsGenericType)
            {
                var result = type.GetProperty("Result");
                var answer = result == null ? null : result.GetValue(task, null);
                // An async method without a value is a Task<VoidTaskResult> underneath.
                return answer != null && answer.GetType().FullName == "System.Threading.Tasks.VoidTaskResult" ? null : answer;
            }
            return null;
        }

        private static object Call(MethodInfo method, object target, object[] arguments)
        {
            try
            {
                return method.Invoke(target, arguments);
            }
            catch (TargetInvocationException e)
            {
                if (e.InnerException != null)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                }
                throw;
            }
        }

        /// <summary>Runs the handler class's <c>InitContext</c>, if it has one, once.</summary>
        public void Init()
        {
            if (initContext != null)
            {
                initContext(context);
            }
            context.IsInitialized = true;
        }

        /// <summary>Tells the processor why the handler did not load (the process then exits).</summary>
        public void InitError(Exception error)
        {
            conn.Send(new Message(Protocol.InitError, new Dictionary<string, object>
            {
                { "message", Describe(error) },
                { "detail", error.ToString() },
            }));
        }

        /// <summary>Tells the processor events may come.</summary>
        public void Ready()
        {
            conn.Send(new Message(Protocol.Ready, null));
        }

        /// <summary>Answers events until <c>shutdown</c> or the end of the stream; the exit status.</summary>
        public int Loop()
        {
            var messages = new List<Message>();
            while (true)
            {
                messages.Clear();
                if (!conn.Receive(messages))
                {
                    return 0;
                }
                foreach (var message in messages)
                {
                    switch (message.Kind)
                    {
                        case Protocol.Event:
                            Answer(ToEvent(message));
                            break;
                        case Protocol.Ping:
                            object nonce;
                            message.Payload.TryGetValue("nonce", out nonce);
                            conn.Send(new Message(Protocol.Pong, new Dictionary<string, object> { { "nonce", nonce ?? 0L } }));
                            break;
                        case Protocol.Shutdown:
                            return 0;
                        default:
                            throw new ProtocolException("unexpected " + Protocol.Name(message.Kind) + " message from the processor");
                    }
                }
            }
        }

        /// <summary>Runs one event and writes its response.</summary>
        private void Answer(Event ev)
        {
            // Taken before the handler runs, which may set Id.
            long id = ev.Id;
            var response = HandleEvent(id, ev);
            try
            {
                conn.Send(response);
            }
            catch (ProtocolException e)
            {
                // The response cannot go on the wire (too large, say): answer like an exception.
                conn.Send(Failure(id, e));
            }
        }

        /// <summary>Runs the handler on one event; the <c>response</c> message, even if it threw.</summary>
        public Message HandleEvent(long id, Event ev)
        {
            running = id;
            try
            {
                return new Message(id, WireResponse.From(handler(context, ev)));
            }
            catch (Exception e)
            {
                return Failure(id, Unwrap(e));
            }
            finally
            {
                running = -1;
            }
        }

        /// <summary>The 500 for a handler that threw, after an error log with the stack trace.</summary>
        private Message Failure(long id, Exception error)
        {
            var message = Describe(error);
            Log(LogLevel.Error, "handler raised " + message, new Dictionary<string, object> { { "traceback", error.ToString() } }, id);
            return new Message(Protocol.Response, new Dictionary<string, object>
            {
                { "id", id },
                { "status", 500 },
                { "headers", new Dictionary<string, object>() },
                { "content_type", "" },
                { "body", Encoding.UTF8.GetBytes(message) },
                { "error", message },
            });
        }

        /// <summary>The logger's sink: a <c>log</c> message, written at once.</summary>
        private void Log(LogLevel level, string message, IDictionary<string, object> fields, long eventId)
        {
            var payload = new Dictionary<string, object>
            {
                { "level", Protocol.LevelName(level) },
                { "message", message },
            };
            if (eventId >= 0)
            {
                payload["id"] = eventId;
            }
            if (fields != null && fields.Count > 0)
            {
                payload["fields"] = fields;
            }
            try
            {
                conn.Send(new Message(Protocol.Log, payload));
            }
            catch (Exception e)
            {
                // A log line must never break the handler; say it where it can still be seen.
                Console.Error.WriteLine("[" + Protocol.LevelName(level) + "] " + message + " (not sent: " + e.Message + ")");
            }
        }

        private static long EventId(IDictionary<string, object> payload)
        {
            object id;
            if (!payload.TryGetValue("id", out id) || !(id is long || id is ulong))
            {
                throw new ProtocolException("malformed event message: no id");
            }
            return Convert.ToInt64(id, CultureInfo.InvariantCulture);
        }

        /// <summary>An <c>event</c> message as the handler's <see cref="Event"/>: the codec's, or made from its fields.</summary>
        public static Event ToEvent(Message message)
        {
            return message.Event ?? ToEvent(EventId(message.Payload), message.Payload);
        }

        /// <summary>An <c>event</c> message's fields as the handler's <see cref="Event"/>.</summary>
        public static Event ToEvent(long id, IDictionary<string, object> payload)
        {
            var trigger = new Dictionary<string, string>();
            Fill(trigger, payload, "trigger");
            object body;
            payload.TryGetValue("body", out body);
            if (body != null && !(body is byte[]))
            {
                throw new ProtocolException("malformed event message: body is not bytes");
            }
            long deadline = Number(payload, "deadline");
            var ev = new Event
            {
                Id = id,
                Trigger = new TriggerInfo(Entry(trigger, "kind"), Entry(trigger, "name")),
                Method = Text(payload, "method"),
                Path = Text(payload, "path"),
                Url = Text(payload, "url"),
                Fields = new Dictionary<string, string>(),
            };
            Fill(ev.Fields, payload, "query");
            // Straight into the event's own map, which looks names up in any case.
            Fill(ev.Headers, payload, "headers");
            ev.ContentType = Text(payload, "content_type");
            ev.Body = (byte[])body;
            ev.Timestamp = FromEpoch(Number(payload, "timestamp"));
            ev.Deadline = deadline == 0 ? (DateTime?)null : FromEpoch(deadline);
            return ev;
        }

        private static readonly DateTime Epoch = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        /// <summary>A time in the protocol's milliseconds since the Unix epoch.</summary>
        public static DateTime FromEpoch(long milliseconds)
        {
            return Epoch.AddMilliseconds(milliseconds);
        }

        private static string Text(IDictionary<string, object> fields, string name)
        {
            object value;
            return fields.TryGetValue(name, out value) && value != null ? value.ToString() : "";
        }

        private static string Entry(IDictionary<string, string> map, string name)
        {
            string value;
            return map.TryGetValue(name, out value) ? value : "";
        }

        private static long Number(IDictionary<string, object> fields, string name)
        {
            object value;
            return fields.TryGetValue(name, out value) && (value is long || value is double)
                ? Convert.ToInt64(value, CultureInfo.InvariantCulture)
                : 0;
        }

        /// <summary>Adds the entries of the map field <paramref name="name"/>, values as text, to <paramref name="map"/>.</summary>
        private static void Fill(IDictionary<string, string> map, IDictionary<string, object> fields, string name)
        {
            object value;
            if (!fields.TryGetValue(name, out value) || value == null)
            {
                return;
            }
            var entries = value as IDictionary<string, object>;
            if (entries == null)
            {
                throw new ProtocolException("malformed event message: " + name + " is not a map");
            }
            foreach (var entry in entries)
            {
                map[entry.Key] = entry.Value == null ? "" : entry.Value.ToString();
            }
        }

        /// <summary>The exception the handler threw, out of the wrappers reflection and tasks put on it.</summary>
        public static Exception Unwrap(Exception error)
        {
            while (error.InnerException != null
                && (error is TargetInvocationException || error is TypeInitializationException
                    || (error is AggregateException && ((AggregateException)error).InnerExceptions.Count == 1)))
            {
                error = error.InnerException;
            }
            return error;
        }

        /// <summary>
        /// An exception as one line a user can act on:
        /// <c>System.InvalidOperationException: boom</c>, line breaks as spaces.
        /// </summary>
        public static string Describe(Exception error)
        {
            var line = error.GetType().FullName + ": " + error.Message;
            var output = new StringBuilder(line.Length);
            foreach (var c in line)
            {
                if (c == '\r' || c == '\n')
                {
                    if (output.Length > 0 && output[output.Length - 1] != ' ')
                    {
                        output.Append(' ');
                    }
                }
                else
                {
                    output.Append(c);
                }
            }
            return output.ToString().TrimEnd();
        }
    }
}
