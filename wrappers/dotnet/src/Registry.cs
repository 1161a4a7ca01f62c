using System;
using System.Collections;
using System.Collections.Generic;

namespace Ferrite.Wrapper
{
    /// <summary>
    /// A closed set of implementations (codecs, transports) chosen by the name an environment
    /// variable gives; filled with a collection initializer, one line per implementation.
    /// </summary>
    public sealed class Registry<T> : IEnumerable<KeyValuePair<string, T>>
    {
        private readonly string variable;
        private readonly List<KeyValuePair<string, T>> entries = new List<KeyValuePair<string, T>>();

        /// <param name="variable">The environment variable that names the choice, for errors.</param>
        public Registry(string variable)
        {
            this.variable = variable;
        }

        public void Add(string name, T implementation)
        {
            entries.Add(new KeyValuePair<string, T>(name, implementation));
        }

        /// <summary>The implementation named <paramref name="name"/>; an <see cref="ArgumentException"/> saying what is allowed otherwise.</summary>
        public T Get(string name)
        {
            var names = new List<string>();
            foreach (var entry in entries)
            {
                if (entry.Key == name)
                {
                    return entry.Value;
                }
                names.Add(entry.Key);
            }
            throw new ArgumentException(variable + "=" + name + ": expected " + string.Join(" or ", names));
        }

        public IEnumerator<KeyValuePair<string, T>> GetEnumerator()
        {
            return entries.GetEnumerator();
        }

        IEnumerator IEnumerable.GetEnumerator()
        {
            return GetEnumerator();
        }
    }
}
