using System.Collections.Generic;

namespace Ferrite.Sdk
{
    /// <summary>
    /// What a handler knows about the worker running it: nuclio's .NET <c>Context</c>.
    /// One per worker, passed to <c>InitContext</c> and to every event.
    /// </summary>
    public class Context
    {
        public Context(Logger logger, int workerId, string functionName)
        {
            Logger = logger;
            WorkerId = workerId;
            FunctionName = functionName ?? "";
            UserData = new Dictionary<string, object>();
        }

        /// <summary>Logs to the processor's log, tagged with the worker and the event.</summary>
        public Logger Logger { get; private set; }

        /// <summary>Per-worker state, kept between events (set it up in <c>InitContext</c>).</summary>
        public Dictionary<string, object> UserData { get; set; }

        /// <summary>This worker's index, 0 to numWorkers - 1.</summary>
        public int WorkerId { get; private set; }

        /// <summary>The spec's <c>metadata.name</c>.</summary>
        public string FunctionName { get; private set; }

        /// <summary>nuclio's name for <see cref="FunctionName"/>.</summary>
        public string Name
        {
            get { return FunctionName; }
            set { FunctionName = value ?? ""; }
        }

        /// <summary>Set once the init hook has run (nuclio has it too).</summary>
        public bool IsInitialized { get; set; }
    }
}
