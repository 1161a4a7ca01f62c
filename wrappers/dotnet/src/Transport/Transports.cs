using System;

namespace Ferrite.Wrapper.Transport
{
    /// <summary>The transports by <c>FERRITE_TRANSPORT</c>'s name, each connecting to <c>FERRITE_ADDRESS</c>.</summary>
    public static class Transports
    {
        public static readonly Registry<Func<string, ITransport>> ByName = new Registry<Func<string, ITransport>>("FERRITE_TRANSPORT")
        {
            { "unix", UnixTransport.Connect },
            { "tcp", TcpTransport.Connect },
        };

        public static ITransport Connect(string name, string address)
        {
            return ByName.Get(name)(address);
        }
    }
}
