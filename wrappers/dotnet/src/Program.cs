using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Text;
using Ferrite.Wrapper.Codec;
using Ferrite.Wrapper.Transport;

namespace Ferrite.Wrapper
{
    /// <summary>
    /// <c>mono ferrite-wrapper.exe ASSEMBLY...</c> (or <c>dotnet ferrite-wrapper.dll ASSEMBLY...</c>):
    /// the function's assemblies, which hold the handler class, then the settings from the
    /// environment (PROTOCOL.md section 1).
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            try
            {
                // Handler prints are UTF-8 whatever the locale, and reach the log line by line.
                Console.OutputEncoding = new UTF8Encoding(false);
            }
            catch (IOException)
            {
            }
            var config = Config.FromEnvironment();
            var assemblies = LoadAssemblies(args);
            ITransport transport;
            try
            {
                transport = Transports.Connect(config);
            }
            catch (ShmSegmentException e)
            {
                // Its message says which segment and what is wrong with it (claimed already, say).
                Console.Error.WriteLine("ferrite wrapper: " + e.Message);
                return 1;
            }
            using (var conn = new Connection(transport, Codecs.Create(config.Codec)))
            {
                try
                {
                    return new Worker(conn, config, assemblies).Run();
                }
                catch (ProtocolException e)
                {
                    Console.Error.WriteLine("ferrite wrapper: protocol error: " + e.Message);
                    return 2;
                }
            }
        }

        /// <summary>
        /// Loads the function's assemblies; the ones they reference are looked for beside them
        /// (and in a <c>lib/</c> there) when the runtime does not find them itself.
        /// </summary>
        private static IList<Assembly> LoadAssemblies(string[] paths)
        {
            var directories = new List<string>();
            var loaded = new List<Assembly>();
            foreach (var path in paths)
            {
                var dir = Path.GetDirectoryName(Path.GetFullPath(path));
                if (!directories.Contains(dir))
                {
                    directories.Add(dir);
                    directories.Add(Path.Combine(dir, "lib"));
                }
            }
            AppDomain.CurrentDomain.AssemblyResolve += (sender, request) =>
            {
                var name = new AssemblyName(request.Name).Name;
                foreach (var dir in directories)
                {
                    var candidate = Path.Combine(dir, name + ".dll");
                    if (File.Exists(candidate))
                    {
                        return Assembly.LoadFrom(candidate);
                    }
                }
                return null;
            };
            foreach (var path in paths)
            {
                loaded.Add(Assembly.LoadFrom(path));
            }
            return loaded;
        }
    }
}
