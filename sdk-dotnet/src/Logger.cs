using System;
using System.Collections.Generic;

namespace Ferrite.Sdk
{
    /// <summary>Log levels, lowest first.</summary>
    public enum LogLevel
    {
        Debug = 0,
        Info = 1,
        Warn = 2,
        Error = 3,
    }

    /// <summary>Where a <see cref="Logger"/> sends what is worth sending.</summary>
    public delegate void LogSink(LogLevel level, string message, IDictionary<string, object> fields);

    /// <summary>
    /// nuclio's logger: plain (<c>Info("text")</c>) and structured
    /// (<c>InfoWith("text", "key", value, ...)</c> or with a dictionary) forms at four levels.
    /// Lines below the processor's level are dropped here, before the wrapper sends them.
    /// </summary>
    public class Logger
    {
        private readonly LogLevel minimum;
        private readonly LogSink sink;

        public Logger(LogLevel minimum, LogSink sink)
        {
            this.minimum = minimum;
            this.sink = sink;
        }

        public bool IsEnabled(LogLevel level)
        {
            return level >= minimum;
        }

        public void Debug(string message) { Log(LogLevel.Debug, message, null); }
        public void Info(string message) { Log(LogLevel.Info, message, null); }
        public void Warn(string message) { Log(LogLevel.Warn, message, null); }
        /// <summary>nuclio's name for <see cref="Warn(string)"/>.</summary>
        public void Warning(string message) { Log(LogLevel.Warn, message, null); }
        public void Error(string message) { Log(LogLevel.Error, message, null); }

        public void DebugWith(string message, params object[] keysAndValues) { LogWith(LogLevel.Debug, message, keysAndValues); }
        public void InfoWith(string message, params object[] keysAndValues) { LogWith(LogLevel.Info, message, keysAndValues); }
        public void WarnWith(string message, params object[] keysAndValues) { LogWith(LogLevel.Warn, message, keysAndValues); }
        public void ErrorWith(string message, params object[] keysAndValues) { LogWith(LogLevel.Error, message, keysAndValues); }

        public void DebugWith(string message, IDictionary<string, object> fields) { Log(LogLevel.Debug, message, fields); }
        public void InfoWith(string message, IDictionary<string, object> fields) { Log(LogLevel.Info, message, fields); }
        public void WarnWith(string message, IDictionary<string, object> fields) { Log(LogLevel.Warn, message, fields); }
        public void ErrorWith(string message, IDictionary<string, object> fields) { Log(LogLevel.Error, message, fields); }

        /// <summary>Logs at <paramref name="level"/>; <paramref name="fields"/> may be null.</summary>
        public void Log(LogLevel level, string message, IDictionary<string, object> fields)
        {
            if (level < minimum)
            {
                return;
            }
            sink(level, message ?? "", fields);
        }

        /// <summary>
        /// Alternating keys and values, as nuclio's loggers take them. A key that is not text
        /// is written with <c>ToString()</c>; an odd value out is kept under <c>"_extra"</c>
        /// rather than dropped.
        /// </summary>
        public static IDictionary<string, object> Fields(object[] keysAndValues)
        {
            var fields = new Dictionary<string, object>();
            if (keysAndValues == null)
            {
                return fields;
            }
            int i = 0;
            for (; i + 1 < keysAndValues.Length; i += 2)
            {
                var key = keysAndValues[i] == null ? "null" : keysAndValues[i].ToString();
                fields[key] = keysAndValues[i + 1];
            }
            if (i < keysAndValues.Length)
            {
                fields["_extra"] = keysAndValues[i];
            }
            return fields;
        }

        private void LogWith(LogLevel level, string message, object[] keysAndValues)
        {
            if (level < minimum)
            {
                return;
            }
            sink(level, message ?? "", Fields(keysAndValues));
        }
    }
}
