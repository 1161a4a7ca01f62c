using System;

namespace Ferrite.Wrapper.Transport
{
    /// <summary>
    /// The transports by <c>FERRITE_TRANSPORT</c>'s name, each connecting to
    /// <c>FERRITE_ADDRESS</c> (shm also maps <c>FERRITE_SHM_PATH</c>, so each takes the config).
    /// </summary>
    public static class Transports
    {
        public static readonly Registry<Func<Config, ITransport>> ByName = new Registry<Func<Config, ITransport>>("FERRITE_TRANSPORT")
        {
            { "unix", config => UnixTransport.Connect(config.Address) },
            { "tcp", config => TcpTransport.Connect(config.Address) },
            { "shm", ShmTransport.Connect },
        };

        /// <summary>Connects the transport <paramref name="config"/> names.</summary>
        public static ITransport Connect(Config config)
        {
            return ByName.Get(config.Transport)(config);
        }
    }
}
